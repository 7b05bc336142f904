"""The radiologist's report: written as preliminary, signed as final, then only added to.

A report is written on a performed exam (radiology.models.PERFORMED_STATES) by a radiologist
(the `radiology.sign_report` permission, given by the radiologist role, and a staff member to
sign as). While preliminary it may be rewritten: every saved change is a new `version`, kept in
the report's history with who and when, and told to the EHR (hl7_events.on_report) in the same
transaction. Signing makes it final and a final report never changes again; what she adds
later is a signed addendum, kept beside it.

Signing needs a signature. At the pages it is her password, entered again when she signs
(`signature=PASSWORD`, the service checks it). Over the API her own token is the signature
(`signature=TOKEN`): the API door passes it only when the request was authenticated by a
token, never for a browser session, which signs with the password like the pages.

A report is not a state change of the appointment: no AppointmentTransition is written. Its
versions and addenda are its log, shown with the report on the appointment page.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from radiology.errors import ServiceRefusal
from radiology.models import PERFORMED_STATES, Assessment, Recommendation, Report, ReportAddendum
from radiology.services import follow_ups, hl7_events, letters
from radiology.services.transitions import lock_appointment

PERMISSION = "radiology.sign_report"
# How a signature was given: her password re-entered (pages), or her API token (the API door).
PASSWORD = "password"  # noqa: S105 - a kind of signature, not a secret
TOKEN = "token"  # noqa: S105 - a kind of signature, not a secret
SIGNATURES = (PASSWORD, TOKEN)
MAX_FOLLOW_UP_WEEKS = 104

NOT_PERFORMED = "The exam has not been performed yet: a report is written once the exam is performed."
FINAL = "This report is final: add an addendum."
NO_REPORT = "There is no report on this exam yet: write it and sign it before adding an addendum."
NOT_FINAL = "This report is still preliminary: edit it, or sign it as final, before adding an addendum."
WRONG_PASSWORD = "That is not your password: enter your own password again to sign."  # noqa: S105


def _radiologist(actor, *, doing: str):
    """The staff member who writes and signs, or a refusal: only a radiologist does."""
    staff = getattr(actor, "staff", None) if actor is not None else None
    if actor is None or not actor.has_perm(PERMISSION) or staff is None:
        raise ServiceRefusal(f"Your role does not allow {doing}: only a radiologist does.", code="forbidden")
    return staff


def _check_signature(actor, *, signature: str, password: str | None) -> None:
    if signature not in SIGNATURES:
        raise ValueError(f"Unknown signature {signature!r}; use one of {', '.join(SIGNATURES)}.")
    if signature == PASSWORD and not (password and actor.check_password(password)):
        message = WRONG_PASSWORD if password else "Enter your password to sign."
        raise ServiceRefusal(message, code="invalid", fields={"password": message})


def _report_inputs(*, findings, impression, assessment, recommendation, follow_up_interval_weeks) -> dict:
    """The report's fields, cleaned, or one refusal naming every problem."""
    values = {
        "findings": (findings or "").strip(),
        "impression": (impression or "").strip(),
        "assessment": str(assessment if assessment is not None else "").strip(),
        "recommendation": (recommendation or "").strip(),
        "follow_up_interval_weeks": follow_up_interval_weeks,
    }
    problems = {}
    if not values["findings"]:
        problems["findings"] = "Write the findings."
    if not values["impression"]:
        problems["impression"] = "Write the impression."
    if values["assessment"] not in Assessment.values:
        problems["assessment"] = "Choose a BI-RADS assessment, 0 to 6."
    if values["recommendation"] not in Recommendation.values:
        problems["recommendation"] = "Choose a recommendation: " + ", ".join(Recommendation.values) + "."
    weeks = values["follow_up_interval_weeks"]
    if weeks is not None and not (isinstance(weeks, int) and 1 <= weeks <= MAX_FOLLOW_UP_WEEKS):
        problems["follow_up_interval_weeks"] = f"Give the interval in whole weeks, 1 to {MAX_FOLLOW_UP_WEEKS}, or none."
    if problems:
        raise ServiceRefusal(" ".join(problems.values()), code="invalid", fields=problems)
    return values


def _locked_performed_exam(appointment_id: int):
    appointment = lock_appointment(appointment_id)
    if appointment.status not in PERFORMED_STATES:
        raise ServiceRefusal(NOT_PERFORMED)
    return appointment


def save_report(
    *,
    appointment_id: int,
    actor,
    findings: str,
    impression: str,
    assessment: str,
    recommendation: str,
    follow_up_interval_weeks: int | None = None,
    final: bool = False,
    password: str | None = None,
    signature: str = PASSWORD,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Report:
    """Write or rewrite the preliminary report of a performed exam, or sign it as final
    (`final=True`, with her signature). A final report is never changed again. Saving what is
    already saved, unsigned, makes no new version. `expected_version`: the version the writer
    saw; someone else's newer save is refused rather than overwritten."""
    staff = _radiologist(actor, doing="writing reports")
    values = _report_inputs(
        findings=findings,
        impression=impression,
        assessment=assessment,
        recommendation=recommendation,
        follow_up_interval_weeks=follow_up_interval_weeks,
    )
    if final:
        _check_signature(actor, signature=signature, password=password)
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked_performed_exam(appointment_id)
        report = Report.objects.select_for_update().filter(appointment=appointment).first()
        if report is not None and report.is_final:
            raise ServiceRefusal(FINAL)
        if report is not None and expected_version is not None and report.version != expected_version:
            raise ServiceRefusal(
                f"Someone saved version {report.version} of this report a moment ago. "
                "Reload to see it before you change it.",
                code="conflict",
            )
        if report is None:
            report = Report(appointment=appointment, version=1, **values)
        else:
            if not final and all(getattr(report, name) == value for name, value in values.items()):
                return report  # nothing changed: no new version, nothing told
            report.version += 1
            for name, value in values.items():
                setattr(report, name, value)
        report.radiologist = staff
        report.written_by = actor
        report.written_at = now
        if final:
            report.status, report.signed_by, report.signed_at = Report.Status.FINAL, staff, now
        # django-simple-history's documented hooks: the version's author and time are hers, at
        # every door (the API's token user is not the request middleware's).
        report._history_user = actor  # noqa: SLF001
        report._history_date = now  # noqa: SLF001
        report._change_reason = "Signed as final" if final else "Saved as preliminary"  # noqa: SLF001
        report.save()
        hl7_events.on_report(report=report, addendum=None, actor=actor, now=now)
        if final:  # the result is out: the patient's letter is due and her follow-up tracked
            letters.on_report_final(report=report, now=now)
            follow_ups.on_report_final(report=report, now=now)
    return report


def add_addendum(
    *,
    appointment_id: int,
    actor,
    text: str,
    password: str | None = None,
    signature: str = PASSWORD,
    now: datetime | None = None,
) -> ReportAddendum:
    """Add a signed addendum to a final report; the report itself stays as it was signed."""
    staff = _radiologist(actor, doing="adding to reports")
    text = (text or "").strip()
    if not text:
        message = "Write the addendum's text."
        raise ServiceRefusal(message, code="invalid", fields={"text": message})
    _check_signature(actor, signature=signature, password=password)
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked_performed_exam(appointment_id)
        report = Report.objects.select_for_update().filter(appointment=appointment).first()
        if report is None:
            raise ServiceRefusal(NO_REPORT)
        if not report.is_final:
            raise ServiceRefusal(NOT_FINAL)
        number = (report.addenda.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        addendum = ReportAddendum.objects.create(
            report=report, number=number, text=text, signed_by=staff, signed_at=now
        )
        hl7_events.on_report(report=report, addendum=addendum, actor=actor, now=now)
    return addendum
