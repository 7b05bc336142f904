"""The technologist's "exam done": the room is free at once, the outcome stays to record, and
its form starts from what the modality sent."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from radiology.models import PerformedProcedureStep
from radiology.selectors.modality import worklist_appointments
from scheduling.models import Reservation
from tests.factories import AppointmentFactory, PerformedProcedureStepFactory, ReservationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_the_room():
    appointment = AppointmentFactory(status="in_procedure")
    ReservationFactory(holder=appointment.holder, start=appointment.start, end=appointment.end)
    return appointment


def test_exam_done_on_the_day_list_frees_the_room_and_leaves_the_outcome_to_record(client, in_the_room):
    appointment = in_the_room
    client.force_login(appointment.technologist.user)
    done_at = appointment.start + timedelta(minutes=28)
    with time_machine.travel(done_at, tick=False):
        day = client.get(reverse("radiology:day_list"))
        assert f"/appointments/{appointment.pk}/exam-done/" in day.content.decode()
        response = client.post(reverse("radiology:exam_done", args=[appointment.pk]), follow=True)
        page = response.content.decode()
        assert "the room is free" in page
        day = client.get(reverse("radiology:day_list")).content.decode()

    appointment.refresh_from_db()
    assert (appointment.status, appointment.performed_at) == ("performed", done_at)
    assert not Reservation.objects.filter(holder=appointment.holder, active=True).exists()
    assert "Outcome to record" in day
    assert f"/appointments/{appointment.pk}/complete/" in day  # the next step is offered
    assert not worklist_appointments().filter(pk=appointment.pk).exists()  # the modality's item leaves


def test_the_outcome_form_starts_from_what_the_modality_sent(client, in_the_room):
    appointment = in_the_room
    PerformedProcedureStepFactory(
        appointment=appointment,
        status=PerformedProcedureStep.Status.COMPLETED,
        ducts="multiple",
        contrast_volume_ml=Decimal("2.5"),
    )
    client.force_login(appointment.radiologist.user)
    form = client.get(reverse("radiology:complete_procedure", args=[appointment.pk])).context["form"]
    assert form.initial == {"ducts": "multiple", "contrast_volume_ml": Decimal("2.5")}
    assert "complications" not in form.initial  # not sent: not guessed
