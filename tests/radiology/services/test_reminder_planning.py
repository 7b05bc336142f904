"""When each reminder is due: a frozen clock, both DST changes in New York, quiet hours,
short-lead bookings, reschedule, cancel and completion. The hooks are called directly,
as the booking and workflow services call them inside their transaction."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F

from notifications.models import Message
from radiology import selectors
from radiology.models import Appointment
from radiology.services import reminders, staff_digests
from tests.factories import AppointmentFactory, PatientFactory, ResourceFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
S = Message.Status


@pytest.fixture(autouse=True)
def _clinic_in_new_york(settings):
    settings.CLINIC_TIME_ZONE = "America/New_York"
    settings.NOTIFICATIONS_TIME_ZONE = "America/New_York"
    settings.SMS_QUIET_HOURS_START, settings.SMS_QUIET_HOURS_END = "21:00", "08:00"


def local(*args):
    return datetime(*args, tzinfo=NY)


def book(start, *, now, **patient):
    appointment = AppointmentFactory(start=start, patient=PatientFactory(**patient))
    reminders.on_booked(appointment=appointment, now=now)
    return appointment


def plan(appointment, audience="patient"):
    rows = Message.objects.filter(subject=f"appointment:{appointment.pk}", audience=audience)
    return {m.kind: m for m in rows.exclude(status=S.CANCELLED)}


def test_booking_plans_prep_now_no_expression_48_hours_before_and_day_before_at_five():
    now = local(2026, 1, 12, 10, 0)
    appointment = book(local(2026, 1, 20, 10, 0), now=now)

    p = plan(appointment)

    assert set(p) == {"prep", "no_expression", "day_before"}
    assert p["prep"].due_at == now
    assert p["no_expression"].due_at == local(2026, 1, 18, 10, 0)
    assert p["day_before"].due_at == local(2026, 1, 19, 17, 0)
    assert {m.status for m in p.values()} == {S.SCHEDULED}


def test_the_messages_carry_time_and_place_but_nothing_clinical():
    appointment = book(local(2026, 1, 20, 10, 0), now=local(2026, 1, 12, 10, 0))

    context = plan(appointment)["prep"].context

    assert set(context) == {"first_name", "start_at", "tz", "place", "clinic_name", "clinic_phone"}
    assert context["first_name"] == appointment.patient.given_name
    # Not her family name (looked for as the whole word: a faked "Le" is inside "Level 2").
    assert appointment.patient.family_name not in re.findall(r"[\w'-]+", str(context))


def test_elapsed_48_hours_across_spring_forward_is_48_real_hours():
    # DST starts Sun 8 March 2026 at 02:00: the 48 hours before Monday 10:00 EDT start at Saturday 09:00 EST.
    start = local(2026, 3, 9, 10, 0)
    appointment = book(start, now=local(2026, 3, 2, 10, 0))

    due = plan(appointment)["no_expression"].due_at

    assert start - due == timedelta(hours=48)
    assert due.astimezone(NY).replace(tzinfo=None) == datetime(2026, 3, 7, 9, 0)


def test_elapsed_48_hours_across_fall_back_is_48_real_hours():
    # DST ends Sun 1 November 2026 at 02:00: 48 hours before Monday 10:00 EST is Saturday 11:00 EDT.
    start = local(2026, 11, 2, 10, 0)
    appointment = book(start, now=local(2026, 10, 26, 10, 0))

    due = plan(appointment)["no_expression"].due_at

    assert start - due == timedelta(hours=48)
    assert due.astimezone(NY).replace(tzinfo=None) == datetime(2026, 10, 31, 11, 0)


def test_day_before_at_five_is_five_local_on_the_spring_forward_sunday():
    appointment = book(local(2026, 3, 9, 10, 0), now=local(2026, 3, 2, 10, 0))

    due = plan(appointment)["day_before"].due_at

    assert due == datetime(2026, 3, 8, 21, 0, tzinfo=UTC)  # 17:00 EDT
    assert due.astimezone(NY).hour == 17


def test_day_before_at_five_is_five_local_on_the_fall_back_sunday():
    appointment = book(local(2026, 11, 2, 10, 0), now=local(2026, 10, 26, 10, 0))

    due = plan(appointment)["day_before"].due_at

    assert due == datetime(2026, 11, 1, 22, 0, tzinfo=UTC)  # 17:00 EST
    assert due.astimezone(NY).hour == 17


def test_a_wall_clock_time_inside_the_spring_forward_gap_falls_an_hour_later():
    from datetime import time

    due = reminders.wall_clock_due(start=local(2026, 3, 9, 10, 0), days_before=1, local_time=time(2, 30))

    assert due.astimezone(NY).replace(tzinfo=None) == datetime(2026, 3, 8, 3, 30)


def test_an_sms_due_in_quiet_hours_is_deferred_to_eight_in_the_morning():
    appointment = book(local(2026, 1, 20, 10, 0), now=local(2026, 1, 12, 22, 30), preferred_channel="sms")

    prep = plan(appointment)["prep"]

    assert prep.due_at == local(2026, 1, 13, 8, 0)
    assert prep.status == S.SCHEDULED


def test_quiet_hours_after_midnight_defer_to_the_same_morning():
    appointment = book(local(2026, 1, 20, 10, 0), now=local(2026, 1, 13, 5, 0), preferred_channel="sms")

    assert plan(appointment)["prep"].due_at == local(2026, 1, 13, 8, 0)


def test_an_email_is_not_held_back_by_sms_quiet_hours():
    now = local(2026, 1, 12, 22, 30)
    appointment = book(local(2026, 1, 20, 10, 0), now=now, preferred_channel="email")

    assert plan(appointment)["prep"].due_at == now


def test_a_short_lead_booking_sends_the_no_expression_reminder_now_while_more_than_24_hours_remain():
    now = local(2026, 1, 19, 9, 0)
    appointment = book(local(2026, 1, 20, 15, 0), now=now)  # 30 hours ahead

    no_expression = plan(appointment)["no_expression"]

    assert (no_expression.status, no_expression.due_at) == (S.SCHEDULED, now)


def test_a_booking_less_than_24_hours_ahead_records_the_no_expression_reminder_as_skipped_with_the_reason():
    appointment = book(local(2026, 1, 20, 10, 0), now=local(2026, 1, 19, 14, 0))  # 20 hours ahead

    no_expression = plan(appointment)["no_expression"]

    assert no_expression.status == S.SKIPPED
    assert no_expression.last_error == "Planned too late: useful only until Mon 19 Jan 10:00."


def test_a_booking_after_five_the_day_before_sends_the_day_before_reminder_now():
    now = local(2026, 1, 19, 18, 0)
    appointment = book(local(2026, 1, 20, 10, 0), now=now)

    assert plan(appointment)["day_before"].due_at == now


def test_planning_twice_is_one_plan():
    appointment = book(local(2026, 1, 20, 10, 0), now=local(2026, 1, 12, 10, 0))

    reminders.on_booked(appointment=appointment, now=local(2026, 1, 12, 10, 5))

    assert Message.objects.filter(subject=f"appointment:{appointment.pk}").count() == 3


def test_staff_hear_of_a_booking_inside_the_next_48_hours():
    appointment = book(local(2026, 1, 20, 10, 0), now=local(2026, 1, 19, 9, 0))

    staff = Message.objects.filter(subject=f"appointment:{appointment.pk}", audience="staff")

    assert sorted(staff.values_list("recipient", flat=True)) == sorted(
        [appointment.radiologist.user.email, appointment.technologist.user.email]
    )
    assert {m.context["change"] for m in staff} == {"booked"}


def test_staff_are_not_told_of_bookings_further_ahead():
    appointment = book(local(2026, 1, 20, 10, 0), now=local(2026, 1, 12, 10, 0))

    assert plan(appointment, audience="staff") == {}


def move(appointment, new_start):
    previous = appointment.start
    Appointment.objects.filter(pk=appointment.pk).update(
        start=new_start, end=new_start + timedelta(minutes=45), version=F("version") + 1
    )
    appointment.refresh_from_db()
    return previous


def test_reschedule_withdraws_what_is_not_yet_due_and_plans_it_again_for_the_new_time():
    appointment = book(local(2026, 1, 20, 10, 0), now=local(2026, 1, 12, 10, 0))
    Message.objects.filter(subject=f"appointment:{appointment.pk}", kind="prep").update(
        status=S.SENT, sent_at=local(2026, 1, 12, 10, 0)
    )
    previous = move(appointment, local(2026, 1, 27, 14, 0))

    reminders.on_rescheduled(appointment=appointment, previous_start=previous, now=local(2026, 1, 13, 10, 0))

    rows = Message.objects.filter(subject=f"appointment:{appointment.pk}")
    withdrawn = rows.filter(status=S.CANCELLED)
    assert sorted(withdrawn.values_list("kind", flat=True)) == ["day_before", "no_expression"]
    assert set(withdrawn.values_list("subject_version", flat=True)) == {1}
    p = {m.kind: m for m in rows.filter(subject_version=2)}
    assert set(p) == {"no_expression", "day_before", "moved"}  # prep went out already: not again
    assert p["no_expression"].due_at == local(2026, 1, 25, 14, 0)
    assert p["day_before"].due_at == local(2026, 1, 26, 17, 0)


def test_a_prep_message_still_waiting_at_reschedule_is_planned_again():
    appointment = book(local(2026, 1, 20, 10, 0), now=local(2026, 1, 12, 22, 0))  # prep held for quiet hours
    previous = move(appointment, local(2026, 1, 27, 14, 0))

    reminders.on_rescheduled(appointment=appointment, previous_start=previous, now=local(2026, 1, 12, 23, 0))

    assert plan(appointment)["prep"].subject_version == 2


def test_cancel_withdraws_everything_pending_and_tells_the_patient():
    appointment = book(local(2026, 1, 20, 10, 0), now=local(2026, 1, 12, 10, 0))

    reminders.on_cancelled(appointment=appointment, now=local(2026, 1, 13, 10, 0))

    rows = Message.objects.filter(subject=f"appointment:{appointment.pk}")
    assert sorted(rows.filter(status=S.CANCELLED).values_list("kind", flat=True)) == [
        "day_before",
        "no_expression",
        "prep",
    ]
    assert list(rows.filter(status=S.SCHEDULED).values_list("kind", "audience")) == [("cancelled", "patient")]


def test_cancelling_an_appointment_within_48_hours_tells_its_staff():
    appointment = book(local(2026, 1, 20, 10, 0), now=local(2026, 1, 12, 10, 0))

    reminders.on_cancelled(appointment=appointment, now=local(2026, 1, 19, 10, 0))

    staff = plan(appointment, audience="staff")
    assert list(staff) == ["staff_change"]
    assert Message.objects.filter(subject=f"appointment:{appointment.pk}", audience="staff").count() == 2


def test_completion_withdraws_the_remaining_reminders_and_plans_the_follow_up_an_hour_later():
    appointment = book(local(2026, 1, 20, 10, 0), now=local(2026, 1, 12, 10, 0))
    Appointment.objects.filter(pk=appointment.pk).update(
        status="completed", performed_at=local(2026, 1, 20, 10, 40), completed_at=local(2026, 1, 20, 10, 40)
    )
    appointment.refresh_from_db()

    reminders.on_completed(appointment=appointment, now=local(2026, 1, 20, 10, 40))

    p = plan(appointment)
    assert list(p) == ["follow_up"]
    assert p["follow_up"].due_at == local(2026, 1, 20, 11, 40)


def test_reminders_for_lists_kind_audience_channel_due_time_and_status():
    now = local(2026, 1, 12, 10, 0)
    appointment = book(local(2026, 1, 20, 10, 0), now=now, preferred_channel="email")

    listed = selectors.reminders_for(appointment)

    assert listed[0] == {
        "kind": "prep",
        "label": "Preparation instructions",
        "audience": "patient",
        "channel": "email",
        "channel_label": "E-mail",
        "due_at": now,
        "status": "scheduled",
    }
    assert [r["kind"] for r in listed] == ["prep", "no_expression", "day_before"]


def technologist(**kwargs):
    return StaffMemberFactory(
        resource=ResourceFactory(weekday_hours=[(0, datetime.min.time(), datetime.max.time())]), **kwargs
    )


def test_each_technologist_and_nurse_working_that_day_gets_a_digest_at_seven():
    monday = local(2026, 1, 19, 6, 0)
    working = [StaffMemberFactory(), StaffMemberFactory(nurse=True)]
    StaffMemberFactory(radiologist=True)  # radiologists have their own list
    StaffMemberFactory(
        resource=ResourceFactory(
            weekday_hours=[(2, datetime.min.time().replace(hour=8), datetime.min.time().replace(hour=17))]
        )
    )

    staff_digests.plan_staff_digests(now=monday, days_ahead=0)
    staff_digests.plan_staff_digests(now=monday + timedelta(minutes=10), days_ahead=0)

    digests = Message.objects.filter(kind="staff_digest")
    assert sorted(digests.values_list("recipient", flat=True)) == sorted(m.user.email for m in working)
    assert {d.due_at for d in digests} == {local(2026, 1, 19, 7, 0)}


def test_no_digest_on_a_day_nobody_works():
    StaffMemberFactory()  # Monday to Friday

    staff_digests.plan_staff_digests(now=local(2026, 1, 17, 6, 0), days_ahead=0)  # Saturday

    assert not Message.objects.filter(kind="staff_digest").exists()


def test_the_digest_lists_the_days_appointments_when_it_is_sent_without_names():
    AppointmentFactory(start=local(2026, 1, 19, 9, 0))
    AppointmentFactory(start=local(2026, 1, 19, 11, 0))
    AppointmentFactory(start=local(2026, 1, 20, 9, 0))
    StaffMemberFactory()
    staff_digests.plan_staff_digests(now=local(2026, 1, 19, 6, 0), days_ahead=0)
    digest = Message.objects.filter(kind="staff_digest").first()

    context = staff_digests.digest_context(digest)

    assert context["count"] == 2
    assert [item["time"] for item in context["items"]] == ["09:00", "11:00"]


def test_an_appointment_booked_for_later_today_gets_no_day_before_message():
    # Issue #22: "le esperamos mañana" on the day itself made a patient come a day late.
    appointment = book(local(2026, 1, 20, 15, 30), now=local(2026, 1, 20, 9, 0))

    day_before = plan(appointment)["day_before"]

    assert day_before.status == S.SKIPPED
    assert day_before.last_error == "Planned too late: useful only until Tue 20 Jan 00:00."


def test_a_late_day_before_sms_is_not_pushed_by_quiet_hours_into_the_day_itself():
    # Booked at 22:30 for 10:00 tomorrow: quiet hours would hold the text until 08:00 on the
    # day, when "tomorrow" is wrong. It is not sent; an e-mail at once is still right.
    sms = book(local(2026, 1, 20, 10, 0), now=local(2026, 1, 19, 22, 30), preferred_channel="sms")
    email = book(local(2026, 1, 20, 10, 0), now=local(2026, 1, 19, 22, 30), preferred_channel="email")

    assert plan(sms)["day_before"].status == S.SKIPPED
    assert (plan(email)["day_before"].status, plan(email)["day_before"].due_at) == (
        S.SCHEDULED,
        local(2026, 1, 19, 22, 30),
    )


def test_a_day_before_message_is_not_sent_after_midnight_when_its_turn_comes_late():
    appointment = book(local(2026, 1, 20, 10, 0), now=local(2026, 1, 12, 10, 0))

    assert plan(appointment)["day_before"].expires_at == local(2026, 1, 20, 0, 0)
