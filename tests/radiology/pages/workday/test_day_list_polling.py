"""The day list's one-minute poll: 304 Not Modified while nothing about the day changed,
a fresh page as soon as anything did, whichever path changed it."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from radiology.models import Appointment, DayVersion, Order, Room
from radiology.services import workflow
from tests.actions import CHECKLIST
from tests.factories import (
    AppointmentFactory,
    ReadinessResponseFactory,
    StaffMemberFactory,
    UnavailabilityFactory,
)

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
DAY = datetime(2027, 1, 13, tzinfo=NY)  # a Wednesday
URL = reverse("radiology:day_list_for", args=["2027-01-13"])


def at(hour, minute=0):
    return DAY.replace(hour=hour, minute=minute)


@pytest.fixture(autouse=True)
def morning():
    with time_machine.travel(at(8), tick=False) as traveller:
        yield traveller


@pytest.fixture
def tech(client):
    member = StaffMemberFactory(role="technologist")
    client.force_login(member.user)
    return member


@pytest.fixture
def appointment(tech):
    return AppointmentFactory(start=at(9), status="reminded", technologist=tech)


def etag_of(client, **headers):
    response = client.get(URL, **headers)
    assert response.status_code == 200
    return response["ETag"]


def poll(client, etag, **headers):
    return client.get(URL, headers={"If-None-Match": etag, **headers})


def test_a_poll_with_nothing_changed_is_answered_304_without_a_body(client, appointment):
    etag = etag_of(client)
    response = poll(client, etag)
    assert response.status_code == 304 and response.content == b""


def test_a_poll_costs_three_queries_and_reads_no_appointment_rows(client, appointment):
    etag = etag_of(client)
    with CaptureQueriesContext(connection) as captured:
        assert poll(client, etag).status_code == 304
    assert len(captured) <= 3  # session, user, and permissions with the fingerprint
    assert not any('"radiology_appointment"."id"' in q["sql"] for q in captured.captured_queries)


def test_a_check_in_through_the_service_changes_the_page(client, tech, appointment):
    etag = etag_of(client)
    workflow.check_in_patient(
        appointment_id=appointment.pk,
        actor=tech.user,
        checklist=workflow.Checklist(**CHECKLIST),
    )
    response = poll(client, etag)
    assert response.status_code == 200 and "Arrived" in response.content.decode()


def test_a_bulk_update_changes_the_page(client, appointment, morning):
    etag = etag_of(client)
    Appointment.objects.filter(pk=appointment.pk).update(patient_confirmed_at=at(8))
    assert poll(client, etag).status_code == 200


def test_a_readiness_answer_changes_the_page(client, appointment):
    etag = etag_of(client)
    ReadinessResponseFactory(appointment=appointment, discharge_present=False)
    response = poll(client, etag)
    assert response.status_code == 200 and "discharge NO" in response.content.decode()


def test_a_contrast_allergy_entered_on_the_patient_record_changes_the_page(client, appointment):
    etag = etag_of(client)
    appointment.patient.contrast_allergy = True
    appointment.patient.save()
    response = poll(client, etag)
    assert response.status_code == 200 and "CONTRAST ALLERGY" in response.content.decode()


def test_moving_an_appointment_to_another_day_changes_both_days(client, appointment):
    etag = etag_of(client)
    other_url = reverse("radiology:day_list_for", args=["2027-01-20"])
    other_etag = client.get(other_url)["ETag"]
    Appointment.objects.filter(pk=appointment.pk).update(
        start=at(9) + timedelta(days=7), end=at(9, 45) + timedelta(days=7)
    )
    assert poll(client, etag).status_code == 200
    assert client.get(other_url, headers={"If-None-Match": other_etag}).status_code == 200


def test_a_change_on_another_day_still_answers_304(client, appointment):
    etag = etag_of(client)
    AppointmentFactory(
        start=at(9) + timedelta(days=2),
        room=appointment.room,
        radiologist=appointment.radiologist,
        technologist=appointment.technologist,
        procedure=appointment.procedure,
    )
    assert poll(client, etag).status_code == 304


def test_an_order_corrected_after_booking_changes_the_page(client, appointment):
    etag = etag_of(client)
    Order.objects.filter(pk=appointment.order_id).update(
        side=Order.Side.RIGHT if appointment.order.side == "left" else Order.Side.LEFT
    )
    response = poll(client, etag)
    assert response.status_code == 200
    assert f">{Order.objects.get(pk=appointment.order_id).side.upper()}<" in response.content.decode()


def test_a_renamed_room_or_radiologist_changes_every_day(client, appointment):
    etag = etag_of(client)
    Room.objects.filter(pk=appointment.room_id).update(name="Mammo Suite B")
    response = poll(client, etag)
    assert response.status_code == 200 and "Mammo Suite B" in response.content.decode()
    etag = response["ETag"]
    user = appointment.radiologist.user
    user.last_name = "Okafor-Reyes"
    user.save()
    response = poll(client, etag)
    assert response.status_code == 200 and "Okafor-Reyes" in response.content.decode()


def test_time_off_entered_over_a_booking_flags_it_at_the_next_poll(client, appointment):
    etag = etag_of(client)
    UnavailabilityFactory(resource=appointment.radiologist.resource, start=at(8), end=at(12))
    response = poll(client, etag)
    assert response.status_code == 200 and "NEEDS NEW TIME" in response.content.decode()


def test_a_sign_in_changes_nothing_shown(client, appointment, tech):
    etag = etag_of(client)
    tech.user.last_login = at(8)
    tech.user.save()
    assert poll(client, etag).status_code == 304


def test_the_clock_alone_changes_the_page_at_the_start_and_when_the_patient_is_late(client, appointment, morning):
    etag = etag_of(client)
    morning.move_to(at(8, 59))
    assert poll(client, etag).status_code == 304
    morning.move_to(at(9, 0))
    at_start = poll(client, etag)
    assert at_start.status_code == 200 and "is-late" not in at_start.content.decode()
    etag = at_start["ETag"]
    morning.move_to(at(9, 10))
    late = poll(client, etag)
    assert late.status_code == 200 and "is-late" in late.content.decode()


def test_the_fragment_and_the_page_and_each_filter_have_their_own_etag(client, appointment):
    page = etag_of(client)
    fragment = etag_of(client, headers={"HX-Request": "true"})
    filtered = client.get(URL, {"mine": "on"})["ETag"]
    assert len({page, fragment, filtered}) == 3
    assert poll(client, fragment, **{"HX-Request": "true"}).status_code == 304


def test_another_user_never_gets_a_304_for_someone_elses_page(client, appointment):
    etag = etag_of(client)
    client.force_login(StaffMemberFactory(role="scheduler").user)
    assert poll(client, etag).status_code == 200


def test_the_counter_moves_in_the_same_transaction_as_the_change(appointment):
    from django.db import transaction

    before = sum(DayVersion.objects.values_list("version", flat=True))
    with pytest.raises(RuntimeError), transaction.atomic():
        Appointment.objects.filter(pk=appointment.pk).update(duration_minutes=30)
        assert sum(DayVersion.objects.values_list("version", flat=True)) == before + 1
        raise RuntimeError("roll back")
    assert sum(DayVersion.objects.values_list("version", flat=True)) == before


def test_the_page_asks_the_browser_to_revalidate_and_varies_by_htmx(client, appointment):
    response = client.get(URL)
    assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "HX-Request" in response["Vary"]


def test_a_user_whose_role_was_taken_away_gets_403_not_304(client, tech, appointment):
    etag = etag_of(client)
    tech.user.groups.clear()
    assert poll(client, etag).status_code == 403


def test_a_superuser_polls_through_djangos_own_permission_path(client, appointment):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_superuser=True))
    etag = etag_of(client)
    assert poll(client, etag).status_code == 304


def test_a_role_given_or_taken_takes_effect_at_the_next_poll(client, appointment, tech):
    etag = etag_of(client)
    assert poll(client, etag).status_code == 304
    tech.user.groups.add(Group.objects.get(name="scheduler"))
    response = poll(client, etag)
    assert response.status_code == 200 and "Reschedule" not in response.content.decode()  # workflow buttons only
    assert response["ETag"] != etag
    tech.user.groups.remove(Group.objects.get(name="technologist"), Group.objects.get(name="scheduler"))
    assert poll(client, response["ETag"]).status_code == 403


def test_a_permission_taken_from_the_group_takes_effect_at_the_next_poll(client, appointment, tech):
    etag = etag_of(client)
    Group.objects.get(name="technologist").permissions.remove(Permission.objects.get(codename="view_day_list"))
    assert poll(client, etag).status_code == 403
