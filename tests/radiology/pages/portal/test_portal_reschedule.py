"""A patient moves her own appointment from her link: to one of the next free times the
rules allow, through the booking service, or she asks to be called."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache

from notifications.models import Message
from radiology.errors import ServiceRefusal
from radiology.models import Appointment
from radiology.services import portal as services
from radiology.services.booking import book_appointment
from radiology.services.patient_links import patient_path
from scheduling.models import Reservation
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=NY)  # Monday
WEDNESDAY_10 = datetime(2027, 1, 13, 10, 0, tzinfo=NY)


@pytest.fixture(autouse=True)
def clock_and_department(frozen_clock, dept):
    cache.clear()  # the patient pages' rate limit counts per address


def book(galactogram, scheduler, start=WEDNESDAY_10, **kwargs):
    return book_appointment(
        patient=kwargs.pop("patient", None) or PatientFactory(),
        procedure=galactogram,
        start=start,
        duration_minutes=45,
        actor=scheduler,
        **kwargs,
    )


def test_the_choices_follow_the_lead_time_and_working_hours_over_several_days(galactogram, scheduler):
    appointment = book(galactogram, scheduler)

    choices = services.reschedule_choices(appointment=appointment, now=NOW)

    local = [c.astimezone(NY) for c in choices]
    days = sorted({t.date() for t in local})
    assert len(days) == services.OFFER_DAYS
    assert min(choices) >= NOW + timedelta(hours=galactogram.min_lead_time_hours)
    assert all(t.weekday() < 5 and t.hour >= 8 and t + timedelta(minutes=45) <= t.replace(hour=17) for t in local)
    assert WEDNESDAY_10 not in choices
    # Mornings and afternoons, not a row of quarter hours: the day's earliest (Wednesday from
    # 09:00, 48 hours from now), a middle one and its latest.
    assert [t.strftime("%a %H:%M") for t in local if t.date() == days[0]] == ["Wed 09:00", "Wed 12:45", "Wed 16:15"]


def test_times_held_by_other_bookings_are_not_offered(galactogram, scheduler):
    appointment = book(galactogram, scheduler)
    first = services.reschedule_choices(appointment=appointment, now=NOW)[0]

    book(galactogram, scheduler, start=first)

    assert first not in services.reschedule_choices(appointment=appointment, now=NOW)


def test_the_patient_moves_her_appointment_and_the_move_is_logged_as_hers(galactogram, scheduler):
    appointment = book(galactogram, scheduler)
    services.request_another_time(appointment_id=appointment.pk, now=NOW)
    new_start = services.reschedule_choices(appointment=appointment, now=NOW)[4]

    moved = services.reschedule_by_patient(appointment_id=appointment.pk, start=new_start, now=NOW)

    assert (moved.start, moved.version, moved.duration_minutes) == (new_start, 2, 45)
    held = Reservation.objects.filter(holder=moved.holder, released_at__isnull=True)
    assert set(held.values_list("start", flat=True)) == {new_start}
    log = moved.transitions.last()
    assert log.actor is None and "Patient via link" in log.note
    assert moved.patient_confirmed_at is not None and moved.reschedule_requested_at is None
    planned = Message.objects.filter(subject=moved.holder, subject_version=2, status="scheduled")
    assert {"moved", "no_expression", "day_before"} <= set(planned.values_list("kind", flat=True))


def test_a_move_of_an_appointment_inside_48_hours_tells_its_staff(galactogram, scheduler):
    soon = datetime(2027, 1, 5, 14, 0, tzinfo=NY)
    appointment = book(galactogram, scheduler, start=soon, lead_time_override_reason="Urgent")
    new_start = services.reschedule_choices(appointment=appointment, now=NOW)[0]

    services.reschedule_by_patient(appointment_id=appointment.pk, start=new_start, now=NOW)

    staff = Message.objects.filter(subject=appointment.holder, kind="staff_change", subject_version=2)
    assert staff.count() == 2
    assert {m.context["change"] for m in staff} == {"moved"}


def test_a_time_that_was_not_offered_changes_nothing_and_comes_back_with_choices(galactogram, scheduler):
    appointment = book(galactogram, scheduler)

    with pytest.raises(ServiceRefusal) as refused:
        services.reschedule_by_patient(
            appointment_id=appointment.pk, start=datetime(2027, 1, 12, 10, 7, tzinfo=NY), now=NOW
        )

    assert refused.value.code == "conflict"
    assert refused.value.suggestions == services.reschedule_choices(appointment=appointment, now=NOW)
    appointment.refresh_from_db()
    assert (appointment.start, appointment.version) == (WEDNESDAY_10, 1)


def test_a_cancelled_appointment_cannot_be_moved_by_its_link(galactogram, scheduler):
    appointment = book(galactogram, scheduler)
    services.cancel_by_patient(appointment_id=appointment.pk, now=NOW)
    appointment.refresh_from_db()

    assert services.reschedule_choices(appointment=appointment, now=NOW) == []
    with pytest.raises(ServiceRefusal):
        services.reschedule_by_patient(appointment_id=appointment.pk, start=NOW + timedelta(days=3), now=NOW)


def test_the_page_offers_times_by_day_and_moves_her(client, galactogram, scheduler):
    appointment = book(galactogram, scheduler)
    path = patient_path(appointment.pk)
    new_start = services.reschedule_choices(appointment=appointment, now=NOW)[3]

    page = client.get(path + "new-time/")
    response = client.post(path + "new-time/", {"start": new_start.isoformat()}, follow=True)

    assert "<legend>Thursday 7 January</legend>" in page.text
    assert "Your appointment is moved" in response.text
    assert "Thursday 7 January 2027, 08:00" in response.text
    assert Appointment.objects.get(pk=appointment.pk).start == new_start


def test_a_time_taken_while_she_chose_shows_fresh_choices(client, galactogram, scheduler):
    appointment = book(galactogram, scheduler)
    path = patient_path(appointment.pk)
    chosen = services.reschedule_choices(appointment=appointment, now=NOW)[0]
    client.get(path + "new-time/")
    book(galactogram, scheduler, start=chosen)  # a scheduler is quicker

    response = client.post(path + "new-time/", {"start": chosen.isoformat()})

    assert response.status_code == 409
    assert "That time was just taken. Here are the next free times." in response.text
    assert chosen.isoformat() not in response.text
    assert 'name="start"' in response.text
    assert Appointment.objects.get(pk=appointment.pk).start == WEDNESDAY_10


def test_with_no_choice_she_can_ask_to_be_called(client, galactogram, scheduler):
    appointment = book(galactogram, scheduler)

    client.post(patient_path(appointment.pk) + "another-time/")

    appointment.refresh_from_db()
    assert appointment.reschedule_requested_at is not None
    assert appointment.start == WEDNESDAY_10
