"""Tracked follow-ups (issue 20 B) with a travelled clock: a final report's recommendation is a
follow-up due on the wall clock, its escalation steps are reached once each at their local time
(across the March DST change), and nothing happens after the loop closes."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction

from notifications import services as outbox
from notifications.models import Message
from radiology.errors import ServiceRefusal
from radiology.models import FollowUp, FollowUpInterval, LoopEvent, LoopStep
from radiology.selectors import loops
from radiology.services import follow_ups, loop_steps, workflow
from radiology.services.patient_merge import merge_patients
from radiology.services.patients import record_death
from tests.factories import AppointmentFactory, PatientFactory, ReportFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_dir")]
NY = ZoneInfo("America/New_York")
SIGNED = datetime(2026, 2, 16, 14, 0, tzinfo=NY)  # Monday, EST (UTC-5)
DUE = datetime(2026, 3, 16, 14, 0, tzinfo=NY)  # four weeks on the wall clock: EDT (UTC-4) after 8 March
CALL_AT = datetime(2026, 3, 23, 9, 0, tzinfo=NY)  # due + 7 days, 09:00 local
LETTER_AT = datetime(2026, 4, 6, 10, 0, tzinfo=NY)  # due + 21 days, 10:00 local
MINUTE = timedelta(minutes=1)


LOOP_KINDS = ["follow_up_overdue", "rebook"]


def tick(now) -> tuple[int, list[Message]]:
    """One beat at `now`: the loop steps, then the outbox (claim and deliver what is due).
    Returns the steps reached and the loops' messages handled (not a new visit's reminders)."""
    with time_machine.travel(now, tick=False):
        reached = loop_steps.reach_due_steps(now=now)
        ids, token = outbox.claim_due(now=now, limit=1000)
        for message_id in ids:
            outbox.deliver_message(message_id=message_id, token=token, now=now)
    return reached, list(Message.objects.filter(pk__in=ids, kind__in=LOOP_KINDS))


def final_report(recommendation="ultrasound", **kwargs):
    with time_machine.travel(SIGNED, tick=False):
        report = ReportFactory(final=True, signed_at=SIGNED, recommendation=recommendation, **kwargs)
        follow_ups.on_report_final(report=report, now=SIGNED)
    return report


def test_a_final_report_opens_a_follow_up_due_on_the_wall_clock_across_dst():
    report = final_report()

    follow_up = FollowUp.objects.get(report=report)
    assert (follow_up.kind, follow_up.state) == ("ultrasound", "open")
    assert follow_up.due_at == DUE  # 14:00 local both times: 19:00 UTC then, 18:00 UTC on the day
    assert follow_up.due_at.astimezone(UTC).hour == 18
    steps = {s.kind: s.due_at for s in follow_up.steps.all()}
    assert steps == {"call_task": CALL_AT, "patient_letter": LETTER_AT, "referrer_notice": LETTER_AT}
    assert LoopEvent.objects.get(follow_up=follow_up).action == "opened"


def test_a_report_recommending_nothing_opens_no_follow_up():
    assert follow_ups.on_report_final(report=ReportFactory(final=True, recommendation="none"), now=SIGNED) is None
    assert not FollowUp.objects.exists()


def test_the_radiologists_interval_sets_a_repeat_ductogram_and_the_table_its_default():
    ours = final_report("repeat_ductogram", follow_up_interval_weeks=8)
    theirs = final_report("mri")

    assert FollowUp.objects.get(report=ours).due_at == (SIGNED + timedelta(weeks=8)).astimezone(UTC)
    weeks = FollowUpInterval.objects.get(kind="mri").weeks
    assert FollowUp.objects.get(report=theirs).due_at == SIGNED + timedelta(weeks=weeks)


def test_a_follow_up_goes_open_overdue_call_letter_booked_done_each_step_once_at_its_time(technologist, scheduler):
    report = final_report()
    follow_up = FollowUp.objects.get(report=report)

    assert tick(DUE - MINUTE) == (0, [])
    with time_machine.travel(DUE + MINUTE, tick=False):
        assert [f.pk for f in loops.follow_up_list(now=DUE + MINUTE, state="open", overdue=True)] == [follow_up.pk]
    assert tick(CALL_AT - MINUTE) == (0, [])
    assert tick(CALL_AT)[0] == 1
    assert tick(CALL_AT + MINUTE) == (0, [])  # the next beat finds nothing more
    [task] = loops.loop_tasks()
    assert (task.step.kind, task.patient) == ("call_task", report.appointment.patient)
    loop_steps.handle_todo_step(step_id=task.step.pk, actor=scheduler, note="No answer", now=CALL_AT + MINUTE)
    assert loops.loop_tasks() == []

    assert tick(LETTER_AT - MINUTE) == (0, [])
    reached, sent = tick(LETTER_AT)
    assert reached == 2
    [letter] = sent
    assert (letter.kind, letter.status, letter.sent_at) == ("follow_up_overdue", "sent", LETTER_AT)
    assert [t.step.kind for t in loops.loop_tasks()] == ["referrer_notice"]
    assert tick(LETTER_AT + timedelta(days=30)) == (0, [])
    assert list(loops.lost_to_follow_up(now=LETTER_AT + MINUTE)) == [follow_up]

    visit = AppointmentFactory(patient=report.appointment.patient, status="in_procedure")
    follow_ups.book_follow_up(follow_up_id=follow_up.pk, actor=scheduler, appointment=visit, now=LETTER_AT + MINUTE)
    assert list(loops.lost_to_follow_up(now=LETTER_AT + MINUTE)) == []
    workflow.record_exam_done(appointment_id=visit.pk, actor=technologist, now=LETTER_AT + timedelta(days=2))

    follow_up.refresh_from_db()
    assert (follow_up.state, follow_up.done_appointment) == ("done", visit)
    actions = list(follow_up.events.values_list("action", flat=True))
    assert actions == ["opened", "call_task", "call_task_done", "patient_letter", "referrer_notice", "booked", "done"]
    assert Message.objects.filter(subject=follow_up.reference).count() == 1


def test_booking_before_the_letter_withdraws_it_and_nothing_happens_after(scheduler):
    report = final_report()
    follow_up = FollowUp.objects.get(report=report)
    tick(CALL_AT)

    follow_ups.book_follow_up(
        follow_up_id=follow_up.pk,
        actor=scheduler,
        elsewhere_on=(LETTER_AT + timedelta(days=3)).date(),
        elsewhere_place="County Hospital ultrasound",
        now=CALL_AT + timedelta(days=1),
    )

    assert tick(LETTER_AT + timedelta(days=60)) == (0, [])
    letter = Message.objects.get(subject=follow_up.reference)
    assert letter.status == "cancelled"
    assert set(follow_up.steps.values_list("kind", "status")) == {
        ("call_task", "reached"),
        ("patient_letter", "withdrawn"),
        ("referrer_notice", "withdrawn"),
    }
    assert [t.step.kind for t in loops.loop_tasks()] == []  # a booked follow-up's call task leaves the to-do


def test_a_second_open_follow_up_of_the_same_kind_for_the_same_exam_is_refused():
    report = final_report()

    with pytest.raises(ServiceRefusal, match="already exists"):
        follow_ups.open_follow_up(report=report, kind="ultrasound", now=SIGNED)
    follow_ups.open_follow_up(report=report, kind="biopsy", now=SIGNED)  # another kind is fine
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.create(
            appointment=report.appointment, report=report, kind="ultrasound", due_at=DUE, created_at=SIGNED
        )
    assert FollowUp.objects.count() == 2


def test_a_follow_up_closed_without_a_reason_is_refused_and_nothing_changes(scheduler):
    follow_up = FollowUp.objects.get(report=final_report())

    with pytest.raises(ServiceRefusal, match="Say why it is closed"):
        follow_ups.close_follow_up(follow_up_id=follow_up.pk, actor=scheduler, reason_code="", now=DUE)
    follow_up.refresh_from_db()
    assert follow_up.state == "open"
    assert follow_up.steps.filter(status="planned").count() == 3
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.filter(pk=follow_up.pk).update(state="closed")


def test_closing_with_a_reason_withdraws_every_step(scheduler):
    follow_up = FollowUp.objects.get(report=final_report())

    follow_ups.close_follow_up(
        follow_up_id=follow_up.pk, actor=scheduler, reason_code="done_elsewhere", note="At County", now=DUE
    )

    assert tick(LETTER_AT + timedelta(days=1)) == (0, [])
    assert not follow_up.steps.exclude(status="withdrawn").exists()


def test_a_follow_up_from_a_preliminary_report_is_refused():
    report = ReportFactory()
    with pytest.raises(ServiceRefusal, match="preliminary"):
        follow_ups.open_follow_up(report=report, kind="ultrasound", now=SIGNED)


def test_the_overdue_message_follows_the_patients_language_and_says_nothing_clinical(sms_dir):
    patient = PatientFactory(language="es")
    final_report(appointment=AppointmentFactory(patient=patient, status="completed"))

    tick(LETTER_AT)

    [text] = [json.loads(p.read_text())["text"] for p in sms_dir.glob("*.json")]
    assert "Llámenos" in text
    assert "ultrasound" not in text.lower() and "ecograf" not in text.lower()


def test_a_patient_who_died_gets_no_message_and_her_follow_ups_close():
    report = final_report()
    patient = report.appointment.patient

    record_death(patient=patient, now=DUE)

    follow_up = FollowUp.objects.get(report=report)
    assert (follow_up.state, follow_up.close_reason) == ("closed", "deceased")
    assert tick(LETTER_AT) == (0, [])


def test_a_merged_patient_keeps_her_follow_ups_under_the_surviving_record():
    report = final_report()
    survivor = PatientFactory()

    merge_patients(from_mrn=report.appointment.patient.mrn, into_mrn=survivor.mrn, actor=None, now=DUE)

    assert list(loops.follow_up_list(now=DUE).filter(appointment__patient=survivor)) == [
        FollowUp.objects.get(report=report)
    ]


def test_a_repeat_ductogram_arranged_by_the_radiologist_books_the_tracked_follow_up(user_of):
    report = final_report("repeat_ductogram", follow_up_interval_weeks=12)
    radiologist = user_of("radiologist")

    workflow.arrange_follow_up(
        appointment_id=report.appointment_id, actor=radiologist, kind="repeat_ductogram", now=SIGNED + MINUTE
    )

    follow_up = FollowUp.objects.get(report=report)
    assert follow_up.state == "booked"
    assert follow_up.booked_order == report.appointment.follow_up_plan.follow_up_order
    assert not LoopStep.objects.filter(follow_up=follow_up, status="planned").exists()


def test_a_follow_up_whose_booked_visit_is_cancelled_is_open_again_and_escalates_from_where_it_stood(scheduler):
    # Booked, so its escalation was withdrawn; the visit is then cancelled. Left "booked" she
    # would be lost without anyone knowing: it reopens, and the steps come back, once each.
    report = final_report()
    follow_up = FollowUp.objects.get(report=report)
    visit = AppointmentFactory(patient=report.appointment.patient, start=DUE + timedelta(days=2))
    follow_ups.book_follow_up(
        follow_up_id=follow_up.pk, actor=scheduler, appointment=visit, now=DUE - timedelta(days=3)
    )
    assert tick(CALL_AT) == (0, [])  # booked: nothing escalates

    from radiology.services.cancellation import cancel_appointment

    with time_machine.travel(CALL_AT + timedelta(hours=1), tick=False):
        cancel_appointment(
            appointment_id=visit.pk, actor=scheduler, reason_code="patient_request", now=CALL_AT + timedelta(hours=1)
        )
    follow_up.refresh_from_db()
    assert (follow_up.state, follow_up.booked_appointment) == ("open", None)
    assert tick(CALL_AT + timedelta(hours=2))[0] == 1  # the call task, past due, at the next beat
    reached, sent = tick(LETTER_AT)
    assert reached == 2 and [m.kind for m in sent] == ["follow_up_overdue"]
    assert tick(LETTER_AT + timedelta(days=30)) == (0, [])
    actions = list(follow_up.events.values_list("action", flat=True))
    assert actions.count("reopened") == 1 and actions.count("call_task") == 1
