"""Booking, rescheduling and cancelling through the services, with a frozen clock."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from radiology.errors import ServiceRefusal
from radiology.models import Appointment
from radiology.services.booking import book_appointment
from radiology.services.cancellation import cancel_appointment, mark_no_show
from radiology.services.rescheduling import reschedule_appointment
from radiology.services.slots import find_galactogram_slots
from radiology.services.transitions import perform_transition
from scheduling.models import Reservation
from tests.factories import PatientFactory, RoomFactory, UnavailabilityFactory, small_department

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=NY)  # Monday
WEDNESDAY_10 = datetime(2027, 1, 13, 10, 0, tzinfo=NY)


def book(galactogram, scheduler, start=WEDNESDAY_10, patient=None, **kwargs):
    kwargs.setdefault("duration_minutes", 45)
    return book_appointment(
        patient=patient or PatientFactory(), procedure=galactogram, start=start, actor=scheduler, **kwargs
    )


def test_booking_holds_room_radiologist_and_technologist_and_logs_it(galactogram, dept, scheduler):
    appointment = book(galactogram, scheduler)
    assert appointment.status == "booked"
    assert appointment.end - appointment.start == timedelta(minutes=45)
    held = set(Reservation.objects.filter(holder=appointment.holder, active=True).values_list("resource", flat=True))
    assert held == {dept.rooms[0].resource_id, dept.radiologists[0].resource_id, dept.technologists[0].resource_id}
    log = appointment.transitions.get()
    assert (log.action, log.actor) == ("book", scheduler)
    assert "Wed 13 Jan 2027 10:00" in log.note


def test_the_same_time_cannot_be_booked_twice(galactogram, dept, scheduler):
    book(galactogram, scheduler)
    with pytest.raises(ServiceRefusal) as error:
        book(galactogram, scheduler)
    assert error.value.code == "conflict"
    assert error.value.message == "That time was just taken. Here are the next free times."
    assert error.value.suggestions[0].start == WEDNESDAY_10 + timedelta(minutes=45)


@pytest.mark.parametrize(
    ("start", "duration", "field", "words"),
    [
        (datetime(2027, 1, 1, 10, tzinfo=NY), 45, "start", "in the past"),
        (WEDNESDAY_10, 60, "duration", "30 or 45 minutes"),
        (datetime(2027, 1, 5, 10, tzinfo=NY), 45, "lead_time_override_reason", "less than 48 hours"),
        (datetime(2027, 1, 13, 18, tzinfo=NY), 45, "start", "works then"),
        (datetime(2027, 1, 16, 10, tzinfo=NY), 45, "start", "works then"),  # Saturday
        (datetime(2027, 1, 13, 10), 45, "start", "time zone"),  # naive
    ],
)
def test_a_booking_that_breaks_a_rule_is_refused_with_a_sentence(
    galactogram, dept, scheduler, start, duration, field, words
):
    with pytest.raises(ServiceRefusal) as error:
        book(galactogram, scheduler, start=start, duration_minutes=duration)
    assert error.value.code == "invalid"
    assert field in error.value.fields
    assert words in error.value.message
    assert not Appointment.objects.exists() and not Reservation.objects.exists()


def test_a_short_notice_booking_with_a_reason_is_allowed_and_keeps_the_reason(galactogram, dept, scheduler):
    appointment = book(
        galactogram, scheduler, start=datetime(2027, 1, 5, 10, tzinfo=NY), lead_time_override_reason="Surgeon asked"
    )
    assert appointment.lead_time_override_reason == "Surgeon asked"
    assert "short notice: Surgeon asked" in appointment.transitions.get().note


def test_a_patient_cannot_be_in_two_places_at_once(galactogram, scheduler):
    small_department(rooms=2, radiologists=2, technologists=2)
    patient = PatientFactory()
    book(galactogram, scheduler, patient=patient)
    with pytest.raises(ServiceRefusal, match="already has an appointment"):
        book(galactogram, scheduler, patient=patient, start=WEDNESDAY_10 + timedelta(minutes=30))


def test_a_chosen_person_on_time_off_is_named_in_the_refusal(galactogram, dept, scheduler):
    radiologist = dept.radiologists[0]
    UnavailabilityFactory(resource=radiologist.resource, start=WEDNESDAY_10, end=WEDNESDAY_10 + timedelta(hours=2))
    with pytest.raises(ServiceRefusal) as error:
        book(galactogram, scheduler, radiologist=radiologist)
    assert radiologist.name in error.value.message and "not available" in error.value.message
    assert "radiologist" in error.value.fields


def test_a_chosen_person_outside_working_hours_is_named_with_that_reason(galactogram, dept, scheduler):
    radiologist = dept.radiologists[0]
    radiologist.resource.working_hours.filter(weekday=WEDNESDAY_10.weekday()).delete()
    with pytest.raises(ServiceRefusal) as error:
        book(galactogram, scheduler, radiologist=radiologist)
    assert error.value.message == f"{radiologist} is not available then (outside working hours)."
    assert "radiologist" in error.value.fields


def test_when_every_radiologist_is_away_the_refusal_says_so_without_offering_other_times(galactogram, dept, scheduler):
    for radiologist in dept.radiologists:
        UnavailabilityFactory(resource=radiologist.resource, start=WEDNESDAY_10, end=WEDNESDAY_10 + timedelta(hours=2))
    with pytest.raises(ServiceRefusal) as error:
        book(galactogram, scheduler)
    assert error.value.code == "invalid" and not error.value.suggestions
    assert error.value.message == "No radiologist is available then (time off or closure)."
    assert "start" in error.value.fields


def test_a_room_without_a_mammography_unit_is_refused(galactogram, dept, scheduler):
    ultrasound = RoomFactory(capabilities=["ultrasound"])
    with pytest.raises(ServiceRefusal, match="no mammography unit"):
        book(galactogram, scheduler, room=ultrasound)


def test_a_technologist_cannot_book(galactogram, dept):
    with pytest.raises(ServiceRefusal) as error:
        book(galactogram, dept.technologists[0].user)
    assert error.value.code == "forbidden"


def test_the_first_free_of_each_resource_is_taken_when_none_is_chosen(galactogram, scheduler):
    small_department(rooms=2, radiologists=2, technologists=2)
    first = book(galactogram, scheduler)
    second = book(galactogram, scheduler)
    assert {first.room, second.room} and first.room != second.room
    assert first.radiologist != second.radiologist and first.technologist != second.technologist


def test_slot_search_skips_the_lead_time_and_taken_times(galactogram, dept, scheduler):
    book(galactogram, scheduler, start=datetime(2027, 1, 6, 9, tzinfo=NY))
    slots = find_galactogram_slots(
        procedure=galactogram, duration_minutes=45, start_date=NOW.date(), end_date=NOW.date() + timedelta(days=7)
    )
    firsts = [s.start.astimezone(NY) for s in slots[:4]]
    assert firsts[0] == datetime(2027, 1, 6, 9, 45, tzinfo=NY)  # 48 h lead time; 09:00 taken
    assert slots[0].room == dept.rooms[0] and slots[0].technologist == dept.technologists[0]


def test_slot_search_honours_a_preferred_radiologist(galactogram, scheduler):
    dept = small_department(rooms=1, radiologists=2, technologists=1)
    wanted = dept.radiologists[1]
    slots = find_galactogram_slots(
        procedure=galactogram,
        duration_minutes=30,
        start_date=WEDNESDAY_10.date(),
        end_date=WEDNESDAY_10.date(),
        radiologist=wanted,
        limit=3,
    )
    assert [s.radiologist for s in slots] == [wanted] * 3
    assert slots[0].end - slots[0].start == timedelta(minutes=30)


def test_reschedule_moves_the_same_appointment_and_its_reservations(galactogram, dept, scheduler):
    appointment = book(galactogram, scheduler)
    new_start = WEDNESDAY_10 + timedelta(days=1)
    moved = reschedule_appointment(appointment_id=appointment.pk, start=new_start, actor=scheduler)
    assert moved.pk == appointment.pk and moved.start == new_start and moved.version == 2
    active = Reservation.objects.filter(holder=appointment.holder, active=True)
    assert active.count() == 3 and {r.start for r in active} == {new_start}
    assert Reservation.objects.filter(holder=appointment.holder, active=False).count() == 3
    assert "Moved from Wed 13 Jan 10:00 to Thu 14 Jan 10:00" in moved.transitions.last().note


def test_a_reminded_appointment_steps_back_to_prep_sent_when_moved(galactogram, dept, scheduler):
    appointment = book(galactogram, scheduler)
    perform_transition(appointment_id=appointment.pk, action="send_prep", actor=None)
    perform_transition(appointment_id=appointment.pk, action="send_no_expression_reminder", actor=None)
    moved = reschedule_appointment(
        appointment_id=appointment.pk, start=WEDNESDAY_10 + timedelta(hours=2), actor=scheduler
    )
    assert moved.status == "prep_sent"
    assert moved.transitions.last().action == "step_back_for_reschedule"


def test_reschedule_into_a_taken_time_changes_nothing(galactogram, dept, scheduler):
    first = book(galactogram, scheduler)
    other = book(galactogram, scheduler, start=WEDNESDAY_10 + timedelta(hours=2))
    with pytest.raises(ServiceRefusal):
        reschedule_appointment(appointment_id=other.pk, start=first.start, actor=scheduler)
    other.refresh_from_db()
    assert other.start == WEDNESDAY_10 + timedelta(hours=2) and other.version == 1
    assert Reservation.objects.filter(holder=other.holder, active=True).count() == 3


def test_a_completed_appointment_cannot_be_moved(galactogram, dept, scheduler):
    appointment = book(galactogram, scheduler)
    Appointment.objects.filter(pk=appointment.pk).update(status="completed", performed_at=appointment.end)
    with pytest.raises(ServiceRefusal, match="Only upcoming appointments"):
        reschedule_appointment(appointment_id=appointment.pk, start=WEDNESDAY_10 + timedelta(days=1), actor=scheduler)


def test_cancel_frees_the_time_for_another_patient(galactogram, dept, scheduler):
    appointment = book(galactogram, scheduler)
    cancelled = cancel_appointment(appointment_id=appointment.pk, actor=scheduler, reason_code="patient_unwell")
    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "Patient unwell"
    assert cancelled.cancel_reason_code == "patient_unwell"
    assert not Reservation.objects.filter(holder=appointment.holder, active=True).exists()
    assert book(galactogram, scheduler).start == WEDNESDAY_10


def test_cancel_without_a_reason_changes_nothing(galactogram, dept, scheduler):
    appointment = book(galactogram, scheduler)
    with pytest.raises(ServiceRefusal, match="reason"):
        cancel_appointment(appointment_id=appointment.pk, actor=scheduler, reason_code="")
    assert Reservation.objects.filter(holder=appointment.holder, active=True).count() == 3


def test_a_no_show_frees_the_rest_of_the_slot(galactogram, dept, scheduler):
    appointment = book(galactogram, scheduler)
    with time_machine.travel(WEDNESDAY_10 + timedelta(minutes=20), tick=False):
        mark_no_show(appointment_id=appointment.pk, actor=scheduler)
    appointment.refresh_from_db()
    assert appointment.status == "no_show"
    assert not Reservation.objects.filter(holder=appointment.holder, active=True).exists()


def test_a_second_galactogram_ahead_needs_a_reason_naming_the_first(galactogram, dept, scheduler):
    first = book(galactogram, scheduler)
    with pytest.raises(ServiceRefusal) as error:
        book(galactogram, scheduler, start=WEDNESDAY_10 + timedelta(days=1), patient=first.patient)
    assert "repeat_booking_reason" in error.value.fields
    assert f"#{first.pk}" in error.value.message and "Wed 13 Jan 2027 10:00" in error.value.message
    assert Appointment.objects.filter(patient=first.patient).count() == 1

    second = book(
        galactogram,
        scheduler,
        start=WEDNESDAY_10 + timedelta(days=1),
        patient=first.patient,
        repeat_booking_reason="The other breast",
    )
    assert second.repeat_booking_reason == "The other breast"
    assert "another galactogram already booked: The other breast" in second.transitions.get().note


def test_a_cancelled_galactogram_does_not_count_as_one_ahead(galactogram, dept, scheduler):
    first = book(galactogram, scheduler)
    cancel_appointment(appointment_id=first.pk, actor=scheduler, reason_code="patient_request")
    again = book(galactogram, scheduler, start=WEDNESDAY_10 + timedelta(days=1), patient=first.patient)
    assert again.status == "booked"


def test_a_move_asks_the_patient_to_confirm_the_new_time(galactogram, dept, scheduler):
    appointment = book(galactogram, scheduler)
    Appointment.objects.filter(pk=appointment.pk).update(patient_confirmed_at=NOW)
    moved = reschedule_appointment(
        appointment_id=appointment.pk, start=WEDNESDAY_10 + timedelta(days=1), actor=scheduler
    )
    assert moved.patient_confirmed_at is None
