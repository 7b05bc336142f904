"""The patient's result letter: due when the report is final, sent by post, by her link or both.

- on_report_final(report=..., now=...): the report service calls it inside its transaction
  when a report becomes final. The letter is due within the days of the `LetterRule` row for
  the report's assessment, counted from the signature. A patient who has died gets none.
- send_letter(letter_id=..., channel=post|link|both, actor=..., now=...): staff send it. By
  link, the message "a letter from the department is ready" (no health information: her
  signed link says the rest) is planned in the outbox in the same transaction, deferred out
  of the SMS quiet hours like every reminder; the letter is sent then. By post it goes to the
  print queue and is sent when someone marks it posted (mark_posted). A letter chosen for the
  post may still be sent by link too (then both); nothing is sent twice.
- withdraw_letters_of_deceased(patient=..., now=...): she has died; her letters not yet out
  are withdrawn (patients.record_death calls it).

Who and when are recorded on the letter: sent_at/sent_by, posted_at/posted_by, the channel.
A merged patient's letters move to the surviving record (patient_merge).
"""

from datetime import UTC, datetime, timedelta

from django.db import transaction

from radiology import rules
from radiology.errors import ServiceRefusal
from radiology.models import LetterRule, Patient, Report, ResultLetter
from radiology.models.letters import default_letter_rules
from radiology.services import reminders
from scheduling.clinic_time import to_local

C = ResultLetter.Channel
SEND_PERMISSION = "radiology.send_result_letter"
DECEASED = "The patient has died: no letter or message goes to her."


def due_within_days(assessment: str) -> int:
    """The department's rule for this assessment (the default when its row was removed)."""
    days = LetterRule.objects.filter(assessment=assessment).values_list("due_within_days", flat=True).first()
    return days or default_letter_rules()[assessment]


def on_report_final(*, report: Report, now: datetime) -> ResultLetter | None:
    """A final report makes one letter due (a second call finds the first). Refused for a
    report that is not final; nothing for a patient who has died."""
    if not report.is_final:
        raise ServiceRefusal(
            "A result letter is written from a final report; this report is still preliminary (not signed).",
            code="not_allowed",
        )
    patient = report.appointment.patient
    if patient.deceased:
        return None
    # Days on the clinic's calendar: the same local time N days on, whatever DST does between.
    signed_at = to_local(report.signed_at or now)
    letter, _ = ResultLetter.objects.get_or_create(
        report=report,
        defaults={
            "patient": patient,
            "due_at": (signed_at + timedelta(days=due_within_days(report.assessment))).astimezone(UTC),
            "created_at": now,
        },
    )
    return letter


def _locked_letter(letter_id: int) -> ResultLetter:
    letter = (
        ResultLetter.objects.select_for_update(of=("self",))
        .select_related("patient", "report__appointment__room", "report__appointment__patient")
        .filter(pk=letter_id)
        .first()
    )
    if letter is None:
        raise ServiceRefusal("There is no such letter.", code="not_found")
    return letter


def _check_role(actor) -> None:
    if not actor.has_perm(SEND_PERMISSION):
        raise ServiceRefusal("Your role does not allow sending result letters.", code="forbidden")


def _check_sendable(letter: ResultLetter) -> None:
    if letter.status == ResultLetter.Status.WITHDRAWN:
        raise ServiceRefusal(f"This letter was withdrawn: {letter.withdrawn_reason}", code="not_allowed")
    if letter.patient.deceased:
        raise ServiceRefusal(DECEASED, code="not_allowed")


def _combined(existing: str, wanted: str) -> str:
    ways = {C.POST: {"post"}, C.LINK: {"link"}, C.BOTH: {"post", "link"}}
    chosen = ways.get(existing, set()) | ways[wanted]
    return C.BOTH if chosen == {"post", "link"} else chosen.pop()


def send_letter(*, letter_id: int, channel: str, actor, now: datetime) -> ResultLetter:
    """Send by post (to the print queue), by her link (the message now) or both."""
    _check_role(actor)
    if channel not in C.values:
        raise ServiceRefusal(
            "Choose how the letter goes: by post, by her link, or both.",
            code="invalid",
            fields={"channel": "Choose post, link or both."},
        )
    with transaction.atomic():
        letter = _locked_letter(letter_id)
        _check_sendable(letter)
        new_channel = _combined(letter.channel, channel)
        if letter.channel and new_channel == letter.channel:
            raise ServiceRefusal(
                f"This letter is already going {letter.get_channel_display().lower()}.",
                code="conflict",
            )
        by_link_now = new_channel in ResultLetter.BY_LINK and letter.channel not in ResultLetter.BY_LINK
        if by_link_now:
            patient = letter.patient
            problem = rules.unreachable(
                preferred_channel=patient.preferred_channel, phone=patient.phone, email=patient.email
            )
            if problem or patient.contact_flag:
                raise ServiceRefusal(
                    "She cannot be reached by text or e-mail (check her contact details); send the letter by post.",
                    code="not_allowed",
                    fields={"channel": "Send it by post."},
                )
            reminders.on_letter_sent(letter=letter, now=now)
            letter.sent_at, letter.sent_by, letter.status = now, actor, ResultLetter.Status.SENT
        letter.channel = new_channel
        letter.save(update_fields=["channel", "sent_at", "sent_by", "status"])
    return letter


def mark_posted(*, letter_id: int, actor, now: datetime) -> ResultLetter:
    """The printed letter went in the post: who and when. By post only, it is sent now."""
    _check_role(actor)
    with transaction.atomic():
        letter = _locked_letter(letter_id)
        _check_sendable(letter)
        if letter.posted_at is not None:
            raise ServiceRefusal(
                f"This letter was already marked posted by {letter.posted_by} on {letter.posted_at:%d %b %Y}.",
                code="conflict",
            )
        if letter.channel not in ResultLetter.BY_POST:
            raise ServiceRefusal("This letter is not in the print queue: choose “by post” first.", code="not_allowed")
        letter.posted_at, letter.posted_by = now, actor
        if letter.status == ResultLetter.Status.DUE:
            letter.sent_at, letter.sent_by, letter.status = now, actor, ResultLetter.Status.SENT
        letter.save(update_fields=["posted_at", "posted_by", "sent_at", "sent_by", "status"])
    return letter


def withdraw_letters_of_deceased(*, patient: Patient, now: datetime) -> int:
    """Her letters not yet out are withdrawn. One already sent by link and still waiting to be
    posted keeps its record; the print queue leaves out the letters of a patient who died."""
    return ResultLetter.objects.filter(patient=patient, status=ResultLetter.Status.DUE).update(
        status=ResultLetter.Status.WITHDRAWN, withdrawn_reason=DECEASED
    )
