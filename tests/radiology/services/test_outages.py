"""An outage (a radiologist off sick today, a room's unit down from 10:00): recorded on the
calendar, every appointment it catches re-staffed or moved, each on its own, all or nothing."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from notifications.models import Message
from radiology.errors import ServiceRefusal
from radiology.models import Appointment
from radiology.services import reminders
from radiology.services.booking import book_appointment
from radiology.services.outages import declare_outage, plan_outage
from radiology.services.slots import find_galactogram_slots
from scheduling.models import Reservation, Unavailability
from tests.factories import PatientFactory, small_department

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 13, 7, 30, tzinfo=NY)  # Wednesday, before the day starts
TODAY_8, TODAY_18 = datetime(2027, 1, 13, 8, tzinfo=NY), datetime(2027, 1, 13, 18, tzinfo=NY)


def at(hour, minute=0, day=13):
    return datetime(2027, 1, day, hour, minute, tzinfo=NY)


@pytest.fixture
def team():
    return small_department(rooms=2, radiologists=2, technologists=2)


@pytest.fixture
def book(galactogram, scheduler, team):
    def make(start, *, room=0, radiologist=0, technologist=0, language="en"):
        return book_appointment(
            patient=PatientFactory(language=language),
            procedure=galactogram,
            start=start,
            duration_minutes=45,
            actor=scheduler,
            room=team.rooms[room],
            radiologist=team.radiologists[radiologist],
            technologist=team.technologists[technologist],
            lead_time_override_reason="Booked at short notice",
            side="left",
            indication="spontaneous_single_duct",
        )

    return make


def patient_messages(appointment, kind=None):
    rows = Message.objects.filter(subject=appointment.holder, audience="patient")
    return list(rows.filter(kind=kind) if kind else rows)


def test_a_radiologist_off_sick_today_is_replaced_where_someone_is_free_and_the_rest_are_moved(book, team, scheduler):
    # At 10:00 the other radiologist is free; at 14:00 she is busy with her own patient.
    covered = book(at(10), room=0, radiologist=0, technologist=0)
    book(at(14), room=1, radiologist=1, technologist=1)
    moved = book(at(14), room=0, radiologist=0, technologist=0, language="es")
    sick = team.radiologists[0]

    steps = declare_outage(resource=sick.resource, start=TODAY_8, end=TODAY_18, reason="Off sick", actor=scheduler)

    assert [(s.appointment.pk, s.action, s.done) for s in steps] == [
        (covered.pk, "restaff", True),
        (moved.pk, "move", True),
    ]
    covered.refresh_from_db()
    moved.refresh_from_db()
    assert (covered.start, covered.radiologist) == (at(10), team.radiologists[1])
    assert patient_messages(covered, "moved") == []  # re-staffed: she is told nothing
    # Moved to the earliest time the slot search finds, never before her own: both
    # radiologists are free again from 14:45.
    assert moved.start == at(14, 45)
    assert moved.radiologist == team.radiologists[1]
    (told,) = patient_messages(moved, "moved")
    assert told.language == "es" and told.status == "scheduled"
    record = Unavailability.objects.get(resource=sick.resource)
    assert (record.start, record.end, record.kind, record.reason) == (TODAY_8, TODAY_18, "time_off", "Off sick")
    assert not Reservation.objects.filter(resource=sick.resource, active=True, start__lt=TODAY_18, end__gt=TODAY_8)
    assert "Outage: " in moved.transitions.order_by("pk").last().note


def test_the_slot_search_respects_the_outage_afterwards(book, team, scheduler, galactogram):
    declare_outage(resource=team.rooms[0].resource, start=at(10), end=TODAY_18, reason="Unit down", actor=scheduler)
    slots = find_galactogram_slots(
        procedure=galactogram,
        duration_minutes=45,
        start_date=at(10).date(),
        end_date=at(10).date(),
        short_notice=True,
        limit=50,
    )
    late = [(slot.start.astimezone(NY).time(), slot.room.name) for slot in slots if slot.start > at(9, 15)]
    assert late and all(room == team.rooms[1].name for _, room in late), late


def test_a_room_down_from_ten_moves_its_patients_to_the_other_room_and_tells_them(book, team, scheduler):
    caught = book(at(10), room=0)
    earlier = book(at(8, 30), room=0)
    unit_down = team.rooms[0]

    steps = declare_outage(resource=unit_down.resource, start=at(10), end=TODAY_18, reason="Unit down", actor=scheduler)

    assert [(s.appointment.pk, s.action) for s in steps] == [(caught.pk, "move")]
    caught.refresh_from_db()
    assert (caught.start, caught.room) == (at(10), team.rooms[1])  # the same time, the other room
    assert len(patient_messages(caught, "moved")) == 1
    assert Unavailability.objects.get(resource=unit_down.resource).kind == "maintenance"
    earlier.refresh_from_db()
    assert earlier.room == unit_down  # before the outage: untouched


def test_the_plan_shows_what_would_be_done_and_changes_nothing(book, team, scheduler):
    covered = book(at(10))
    steps = plan_outage(
        resource=team.radiologists[0].resource, start=TODAY_8, end=TODAY_18, reason="Off sick", actor=scheduler
    )
    assert [(s.action, s.proposal.radiologist) for s in steps] == [("restaff", team.radiologists[1])]
    assert "instead of" in steps[0].detail
    assert not Unavailability.objects.exists()
    covered.refresh_from_db()
    assert covered.radiologist == team.radiologists[0]


def test_each_appointment_is_all_or_nothing_and_a_refused_one_is_reported_unchanged(book, team, scheduler, monkeypatch):
    book(at(14), room=1, radiologist=1, technologist=1)
    first = book(at(14), room=0)
    second = book(at(16), room=1, radiologist=0, technologist=1)
    before = {a.pk: (a.start, a.room_id, a.radiologist_id) for a in (first, second)}
    original = reminders.on_rescheduled

    def fail_for_the_first(*, appointment, previous_start, now):
        if appointment.pk == first.pk:
            raise ServiceRefusal("Her reminders could not be planned.")
        return original(appointment=appointment, previous_start=previous_start, now=now)

    monkeypatch.setattr(reminders, "on_rescheduled", fail_for_the_first)

    steps = declare_outage(
        resource=team.radiologists[0].resource, start=TODAY_8, end=TODAY_18, reason="Off sick", actor=scheduler
    )

    by_pk = {s.appointment.pk: s for s in steps}
    assert by_pk[first.pk].action == "none"
    assert by_pk[first.pk].why == "Moved: refused, Her reminders could not be planned."
    first.refresh_from_db()
    assert (first.start, first.room_id, first.radiologist_id) == before[first.pk]
    assert set(Reservation.objects.filter(holder=first.holder, active=True).values_list("resource", flat=True)) == {
        team.rooms[0].resource_id,
        team.radiologists[0].resource_id,
        team.technologists[0].resource_id,
    }
    assert patient_messages(first, "moved") == []
    assert by_pk[second.pk].action == "restaff" and by_pk[second.pk].done
    second.refresh_from_db()
    assert second.radiologist == team.radiologists[1]


def test_an_outage_that_is_over_or_without_a_reason_is_refused(team, scheduler):
    resource = team.radiologists[0].resource
    with pytest.raises(ServiceRefusal) as over:
        declare_outage(resource=resource, start=at(5), end=at(6), reason="Off sick", actor=scheduler)
    assert over.value.fields.keys() == {"end"}
    with pytest.raises(ServiceRefusal) as why:
        declare_outage(resource=resource, start=TODAY_8, end=TODAY_18, reason=" ", actor=scheduler)
    assert why.value.fields.keys() == {"reason"}
    assert not Unavailability.objects.exists()


def test_a_checked_in_patient_nobody_can_take_over_is_left_with_the_reason(book, team, scheduler):
    book(at(10), room=1, radiologist=1, technologist=1)
    waiting = book(at(10), room=0)
    Appointment.objects.filter(pk=waiting.pk).update(status="checked_in")

    (step,) = declare_outage(
        resource=team.radiologists[0].resource,
        start=TODAY_8,
        end=TODAY_8 + timedelta(hours=4),
        reason="Called away",
        actor=scheduler,
    )

    assert step.action == "none" and "she is checked in" in step.why
