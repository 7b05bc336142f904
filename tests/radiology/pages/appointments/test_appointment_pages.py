import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import AppointmentFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


def _list_queries(client, day):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("radiology:appointment_list"), {"start": day, "end": day + timedelta(days=7)})
    assert response.status_code == 200
    return len(queries), response


def test_the_appointment_list_runs_the_same_number_of_queries_for_3_and_30_appointments(client):
    client.force_login(StaffMemberFactory(scheduler=True).user)
    first = AppointmentFactory()
    day = first.local_start.date()
    few, _ = _list_queries(client, day)
    for hours in range(1, 30):
        AppointmentFactory(start=first.start + timedelta(hours=hours))
    many, response = _list_queries(client, day)
    assert few == many
    assert len(re.findall(r'href="/appointments/\d+/"', response.content.decode())) == 30


def test_the_appointment_list_explains_a_bad_date_range(client):
    client.force_login(StaffMemberFactory(scheduler=True).user)
    response = client.get(reverse("radiology:appointment_list"), {"start": "2026-12-10", "end": "2026-12-01"})
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()


def test_the_appointment_page_of_an_unknown_id_is_a_404(client):
    client.force_login(StaffMemberFactory(scheduler=True).user)
    assert client.get(reverse("radiology:appointment_detail", args=[987654])).status_code == 404


def test_the_login_page_is_styled_and_says_who_it_is_for(client):
    response = client.get(reverse("login"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "bootstrap.min.css" in page and "Log in" in page and "Patients: please use the link" in page


def test_cancelling_from_the_appointment_page_frees_the_room_and_people(client, galactogram):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from radiology.services.booking import book_appointment
    from scheduling.models import Reservation
    from tests.factories import PatientFactory, small_department

    small_department()
    scheduler = StaffMemberFactory(scheduler=True).user
    with time_machine.travel(datetime(2027, 1, 4, 9, tzinfo=ZoneInfo("America/New_York")), tick=False):
        appointment = book_appointment(
            patient=PatientFactory(),
            procedure=galactogram,
            start=datetime(2027, 1, 13, 10, tzinfo=ZoneInfo("America/New_York")),
            duration_minutes=45,
            actor=scheduler,
        )
        client.force_login(scheduler)
        client.post(
            reverse("radiology:appointment_cancel", args=[appointment.pk]),
            {"reason_code": "other", "note": "Patient moved away"},
        )
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert not Reservation.objects.filter(holder=appointment.holder, active=True).exists()


def test_the_appointment_page_shows_the_planned_messages_and_the_patients_answers(client):
    from django.utils import timezone

    from tests.factories import MessageFactory, ReadinessResponseFactory

    appointment = AppointmentFactory(patient__contrast_allergy=True, patient__contrast_allergy_note="Hives")
    MessageFactory(subject=f"appointment:{appointment.pk}", kind="no_expression")
    ReadinessResponseFactory(appointment=appointment, discharge_present=True, answered_at=timezone.now())
    client.force_login(StaffMemberFactory(role="nurse").user)
    page = client.get(appointment.get_absolute_url()).content.decode()
    assert "Reminder: do not express for 48 hours" in page
    assert "Discharge still present?" in page
    assert "Contrast allergy." in page and "Hives" in page


def test_completing_through_the_shared_action_plans_the_follow_up_message():
    from notifications.models import Message
    from radiology.services.actions import run_action

    appointment = AppointmentFactory(status="in_procedure")
    radiologist = appointment.radiologist.user
    outcome = {"ducts": "single", "contrast_volume_ml": "1.5", "complications": ["none"]}
    run_action(appointment_id=appointment.pk, action="complete", actor=radiologist, inputs={"outcome": outcome})
    appointment.refresh_from_db()
    assert appointment.status == "completed"
    assert Message.objects.filter(subject=f"appointment:{appointment.pk}", kind="follow_up").exists()


def test_a_scheduler_moves_an_appointment_from_any_date_picked_on_its_page(client):
    client.force_login(StaffMemberFactory(scheduler=True).user)
    appointment = AppointmentFactory(status="booked")
    page = client.get(appointment.get_absolute_url()).content.decode()
    assert 'data-testid="move-from"' in page and 'type="date"' in page
    day = appointment.local_start.date() + timedelta(days=21)
    response = client.get(
        reverse("radiology:appointment_reschedule", args=[appointment.pk]),
        {"search": "1", "procedure": "galactogram", "duration": appointment.duration_minutes, "start": day, "end": day},
    )
    assert response.status_code == 200
    assert response.context["search"].is_valid(), response.context["search"].errors


def test_a_technologist_gets_no_date_picker_to_move_it(client):
    client.force_login(StaffMemberFactory().user)
    page = client.get(AppointmentFactory(status="booked").get_absolute_url()).content.decode()
    assert 'data-testid="move-from"' not in page
