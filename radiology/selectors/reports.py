"""Reports as pages and the API read them: one report with its versions and addenda (three
queries), and the radiologists' list of performed exams still to report (one query)."""

from dataclasses import dataclass, field

from django.db.models import Q

from radiology.models import PERFORMED_STATES, Appointment, Report, ReportAddendum
from radiology.selectors import APPOINTMENT_RELATED


def report_status_label(status: str, addenda: int) -> str:
    """Preliminary, Final, or Final with addendum (addenda)."""
    if status != Report.Status.FINAL:
        return "Preliminary"
    if not addenda:
        return "Final"
    return "Final with addendum" if addenda == 1 else f"Final with {addenda} addenda"


@dataclass
class ReportRecord:
    report: Report
    versions: list = field(default_factory=list)  # its historical records, oldest first, with `saved_by`
    addenda: list = field(default_factory=list)  # oldest first

    @property
    def status_label(self) -> str:
        return report_status_label(self.report.status, len(self.addenda))


def report_record(appointment_id: int) -> ReportRecord | None:
    """The appointment's report with every saved version (who, when) and its addenda, or None."""
    report = (
        Report.objects.select_related("radiologist__user", "signed_by__user", "written_by")
        .filter(appointment_id=appointment_id)
        .first()
    )
    if report is None:
        return None
    versions = list(
        Report.history.filter(id=report.pk).select_related("history_user").order_by("version", "history_id")
    )
    for version in versions:
        user = version.history_user
        version.saved_by = (user.get_full_name() or user.get_username()) if user else "System"
    addenda = list(ReportAddendum.objects.filter(report=report).select_related("signed_by__user").order_by("number"))
    return ReportRecord(report, versions, addenda)


def _unreported():
    return Appointment.objects.filter(status__in=PERFORMED_STATES).filter(
        Q(report__isnull=True) | Q(report__status=Report.Status.PRELIMINARY)
    )


def to_report() -> list[Appointment]:
    """Performed exams with no final report, the longest waiting first (one query); each
    with its preliminary report, if one is written, as `appointment.report`."""
    return list(_unreported().select_related(*APPOINTMENT_RELATED, "report").order_by("performed_at", "pk"))


def to_report_count() -> int:
    return _unreported().count()
