"""The patient's result letter: due when the report is final (the department's rule), sent by
post, by her link or both with who and when, overdue onto the to-do first; nothing for a
patient who has died; kept under the surviving record when ADT merges her."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from notifications import services as outbox
from notifications.models import Message
from radiology.errors import ServiceRefusal
from radiology.models import LetterRule, ResultLetter
from radiology.selectors import scheduler_todo
from radiology.services import letters
from radiology.services.patient_merge import merge_patients
from radiology.services.patients import record_death
from tests.factories import AppointmentFactory, PatientFactory, ReportFactory, ResultLetterFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_dir")]
ZONE = ZoneInfo("America/New_York")
EXAM = datetime(2026, 3, 2, 10, 0, tzinfo=ZONE)
SIGNED = datetime(2026, 3, 3, 14, 0, tzinfo=ZONE)


def final_report(**kwargs):
    kwargs.setdefault("appointment", AppointmentFactory(status="completed", start=EXAM))
    with time_machine.travel(SIGNED, tick=False):
        return ReportFactory(final=True, **kwargs)


def deliver_due(now):
    ids, token = outbox.claim_due(now=now, limit=100)
    return {i: outbox.deliver_message(message_id=i, token=token, now=now) for i in ids}


def test_a_final_report_makes_a_letter_due_within_30_days_of_its_signature_on_the_clinics_calendar():
    report = final_report(assessment="2", recommendation="routine")

    letter = letters.on_report_final(report=report, now=SIGNED)

    assert letter.status == "due"
    # 30 days on, across the spring DST change (8 March): still 14:00 local.
    assert letter.due_at == SIGNED + timedelta(days=30)
    assert letter.due_at.astimezone(ZONE).hour == 14
    assert letter.patient == report.appointment.patient
    assert letter.channel == "" and letter.sent_at is None


@pytest.mark.parametrize("assessment", ["4", "5"])
def test_a_suspicious_report_makes_its_letter_due_within_7_days(assessment):
    letter = letters.on_report_final(report=final_report(assessment=assessment), now=SIGNED)

    assert letter.due_at == SIGNED + timedelta(days=7)


def test_the_due_days_follow_the_departments_rule_as_a_manager_set_it():
    LetterRule.objects.filter(assessment="3").update(due_within_days=14)

    letter = letters.on_report_final(report=final_report(assessment="3"), now=SIGNED)

    assert letter.due_at == SIGNED + timedelta(days=14)


def test_the_defaults_are_one_rule_per_assessment():
    assert dict(LetterRule.objects.values_list("assessment", "due_within_days")) == {
        "0": 30,
        "1": 30,
        "2": 30,
        "3": 30,
        "4": 7,
        "5": 7,
        "6": 30,
    }


def test_a_second_call_finds_the_first_letter():
    report = final_report()

    first = letters.on_report_final(report=report, now=SIGNED)
    again = letters.on_report_final(report=report, now=SIGNED + timedelta(hours=1))

    assert again.pk == first.pk
    assert ResultLetter.objects.count() == 1


def test_a_letter_for_a_report_that_is_not_final_is_refused_with_a_sentence():
    report = ReportFactory()  # preliminary

    with pytest.raises(ServiceRefusal) as refused:
        letters.on_report_final(report=report, now=SIGNED)

    assert "final report" in refused.value.message and "preliminary" in refused.value.message
    assert not ResultLetter.objects.exists()


def test_a_patient_who_has_died_gets_no_letter_and_no_message():
    patient = PatientFactory(deceased=True, deceased_at=SIGNED - timedelta(days=1))
    report = final_report(appointment=AppointmentFactory(status="completed", start=EXAM, patient=patient))

    assert letters.on_report_final(report=report, now=SIGNED) is None
    assert not ResultLetter.objects.exists()
    assert not Message.objects.filter(kind="letter_ready").exists()


def test_final_report_to_letter_due_to_sent_by_link_with_one_message_at_the_right_time(scheduler, sms_dir):
    letter = letters.on_report_final(report=final_report(assessment="1", recommendation="routine"), now=SIGNED)
    # Sent in the evening: the text waits for the end of the quiet hours (08:00 local).
    evening = datetime(2026, 3, 5, 22, 30, tzinfo=ZONE)

    with time_machine.travel(evening, tick=False):
        letters.send_letter(letter_id=letter.pk, channel="link", actor=scheduler, now=evening)

    letter.refresh_from_db()
    assert (letter.status, letter.channel, letter.sent_at, letter.sent_by) == ("sent", "link", evening, scheduler)
    message = Message.objects.get(kind="letter_ready")
    assert message.channel == "sms" and message.quiet_hours
    assert message.due_at == datetime(2026, 3, 6, 8, 0, tzinfo=ZONE)
    assert set(message.context) == {"first_name", "clinic_name", "clinic_phone", "tz"}
    assert deliver_due(evening + timedelta(minutes=5)) == {}
    morning = datetime(2026, 3, 6, 8, 0, tzinfo=ZONE)
    with time_machine.travel(morning, tick=False):
        assert deliver_due(morning) == {message.pk: "sent"}
    (sent,) = [json.loads(path.read_text()) for path in sms_dir.iterdir()]
    assert "a letter from the breast-imaging department is ready" in sent["text"]
    assert f"/p/{letter.report.appointment_id}/" in sent["text"] and "/letter/" in sent["text"]
    # No health information in the text.
    for word in ("benign", "negative", "BI-RADS", "normal", "result"):
        assert word not in sent["text"]
    assert deliver_due(morning + timedelta(days=1)) == {}


def test_by_post_the_letter_waits_in_the_print_queue_until_marked_posted(scheduler, user_of):
    letter = ResultLetterFactory()
    letters.send_letter(letter_id=letter.pk, channel="post", actor=scheduler, now=SIGNED)
    letter.refresh_from_db()
    assert (letter.status, letter.channel, letter.sent_at) == ("due", "post", None)
    assert not Message.objects.filter(kind="letter_ready").exists()

    clerk = user_of("scheduler")
    posted_at = SIGNED + timedelta(hours=3)
    letters.mark_posted(letter_id=letter.pk, actor=clerk, now=posted_at)

    letter.refresh_from_db()
    assert (letter.status, letter.posted_at, letter.posted_by) == ("sent", posted_at, clerk)
    assert (letter.sent_at, letter.sent_by) == (posted_at, clerk)


def test_both_ways_sends_the_link_now_and_keeps_the_letter_to_post(scheduler):
    letter = ResultLetterFactory()

    letters.send_letter(letter_id=letter.pk, channel="both", actor=scheduler, now=SIGNED)

    letter.refresh_from_db()
    assert (letter.status, letter.channel, letter.sent_at) == ("sent", "both", SIGNED)
    assert letter.to_post
    assert Message.objects.filter(kind="letter_ready").count() == 1


def test_a_letter_chosen_for_the_post_can_also_go_by_link_but_nothing_goes_twice(scheduler):
    letter = ResultLetterFactory()
    letters.send_letter(letter_id=letter.pk, channel="post", actor=scheduler, now=SIGNED)
    letters.send_letter(letter_id=letter.pk, channel="link", actor=scheduler, now=SIGNED)
    letter.refresh_from_db()
    assert letter.channel == "both"

    with pytest.raises(ServiceRefusal) as refused:
        letters.send_letter(letter_id=letter.pk, channel="link", actor=scheduler, now=SIGNED)

    assert refused.value.code == "conflict"
    assert Message.objects.filter(kind="letter_ready").count() == 1


def test_marking_a_letter_posted_twice_is_refused_with_who_posted_it(scheduler):
    letter = ResultLetterFactory()
    letters.send_letter(letter_id=letter.pk, channel="post", actor=scheduler, now=SIGNED)
    letters.mark_posted(letter_id=letter.pk, actor=scheduler, now=SIGNED)

    with pytest.raises(ServiceRefusal, match="already marked posted"):
        letters.mark_posted(letter_id=letter.pk, actor=scheduler, now=SIGNED)


def test_a_technologist_may_not_send_a_letter(technologist):
    letter = ResultLetterFactory()

    with pytest.raises(ServiceRefusal) as refused:
        letters.send_letter(letter_id=letter.pk, channel="link", actor=technologist, now=SIGNED)

    assert refused.value.code == "forbidden"


def test_a_patient_who_cannot_be_reached_by_text_or_email_gets_her_letter_by_post(scheduler):
    patient = PatientFactory(no_contact=True)
    letter = ResultLetterFactory(report__appointment__patient=patient)

    with pytest.raises(ServiceRefusal, match="send the letter by post"):
        letters.send_letter(letter_id=letter.pk, channel="link", actor=scheduler, now=SIGNED)

    letter.refresh_from_db()
    assert letter.channel == "" and not Message.objects.exists()


def test_an_overdue_letter_goes_first_on_the_schedulers_to_do_until_it_is_sent(scheduler):
    other = AppointmentFactory(start=SIGNED + timedelta(days=9), patient_confirmed_at=None)
    letter = letters.on_report_final(report=final_report(assessment="4"), now=SIGNED)

    exam = letter.report.appointment_id
    before = letter.due_at - timedelta(hours=1)
    with time_machine.travel(before, tick=False):
        assert exam not in [item.appointment.pk for item in scheduler_todo(now=before)]
    late = letter.due_at + timedelta(days=1)
    with time_machine.travel(late, tick=False):
        items = scheduler_todo(now=late)
        assert items[0].appointment.pk == exam
        assert items[0].reasons == ["Result letter overdue (due Tue 10 Mar): send it"]
        assert other.pk in [item.appointment.pk for item in items]

        letters.send_letter(letter_id=letter.pk, channel="post", actor=scheduler, now=late)
        letters.mark_posted(letter_id=letter.pk, actor=scheduler, now=late)
        assert exam not in [item.appointment.pk for item in scheduler_todo(now=late)]


def test_her_death_withdraws_her_letter_and_its_message(scheduler):
    letter = ResultLetterFactory()
    patient = letter.patient

    record_death(patient=patient, now=SIGNED)

    letter.refresh_from_db()
    assert letter.status == "withdrawn" and "died" in letter.withdrawn_reason
    patient.deceased = True
    patient.save(update_fields=["deceased"])
    with pytest.raises(ServiceRefusal, match="withdrawn"):
        letters.send_letter(letter_id=letter.pk, channel="link", actor=scheduler, now=SIGNED)


def test_a_letter_ready_message_planned_before_her_death_is_not_sent(scheduler):
    letter = ResultLetterFactory()
    letters.send_letter(letter_id=letter.pk, channel="link", actor=scheduler, now=SIGNED)
    type(letter.patient).objects.filter(pk=letter.patient_id).update(deceased=True)

    with time_machine.travel(SIGNED, tick=False):
        outcomes = deliver_due(SIGNED + timedelta(minutes=1))

    assert list(outcomes.values()) == ["skipped"]


def test_a_merged_patient_keeps_her_letter_under_the_surviving_record():
    letter = ResultLetterFactory()
    merged_away = letter.patient
    survivor = PatientFactory()

    merge_patients(from_mrn=merged_away.mrn, into_mrn=survivor.mrn, actor=None, now=SIGNED)

    letter.refresh_from_db()
    assert letter.patient == survivor
    assert letter.report.appointment.patient == survivor


def test_recording_the_outcome_after_the_letter_went_by_link_keeps_its_message(scheduler):
    from radiology.services import reminders

    letter = ResultLetterFactory(report__appointment__status="performed")
    letters.send_letter(letter_id=letter.pk, channel="link", actor=scheduler, now=SIGNED)

    reminders.on_completed(appointment=letter.report.appointment, now=SIGNED)

    assert Message.objects.get(kind="letter_ready").status == "scheduled"
