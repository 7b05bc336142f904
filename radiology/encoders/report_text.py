"""A radiology report as plain text: what a reader of the result sees, the same for every door
that sends the whole report (FHIR's DiagnosticReport.presentedForm; the text an ORU carries).

Sections in the order a referring physician reads them: findings, impression, the BI-RADS
assessment, the recommendation, then each signed addendum under its own heading, the original
text left as it was. Times in the clinic's zone. Lines end with "\\n"; nothing is escaped here
(each message format escapes in its own way).
"""

from scheduling.clinic_time import clinic_zone


def _when(moment) -> str:
    return moment.astimezone(clinic_zone()).strftime("%Y-%m-%d %H:%M %Z")


def report_lines(report, addenda) -> list[str]:
    """`report` a radiology.models.Report; `addenda` its ReportAddendum rows in number order
    (passed in, so a caller that prefetched them costs no query)."""
    status = "FINAL REPORT" if report.is_final else "PRELIMINARY REPORT (not signed)"
    lines = [status, "", "FINDINGS", *report.findings.splitlines(), "", "IMPRESSION", *report.impression.splitlines()]
    lines += ["", "ASSESSMENT", report.get_assessment_display()]
    recommendation = report.get_recommendation_display()
    if report.follow_up_interval_weeks:
        recommendation += f" in {report.follow_up_interval_weeks} weeks"
    lines += ["", "RECOMMENDATION", recommendation]
    if report.is_final:
        lines += ["", f"Signed by {report.signed_by.name} on {_when(report.signed_at)}"]
    for addendum in addenda:
        lines += [
            "",
            f"ADDENDUM {addendum.number}",
            *addendum.text.splitlines(),
            f"Signed by {addendum.signed_by.name} on {_when(addendum.signed_at)}",
        ]
    return lines


def report_text(report, addenda) -> str:
    return "\n".join(report_lines(report, addenda)) + "\n"
