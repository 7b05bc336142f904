"""HTML for the day list's rows and timeline blocks.

Built with format_html rather than template tags because this is the department's most-read
page and refreshes every minute: the template engine costs about half a millisecond a row.
Every value is escaped by format_html.
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from radiology.order_display import order_facts_html


def _flag(ok: bool | None, css_ok: str, css_bad: str, text_ok: str, text_bad: str, title: str) -> SafeString:
    if ok is None:
        return format_html('<span class="unsure" title="{}">{} ?</span>', title, text_ok.split()[0])
    return format_html(
        '<span class="{}" title="{}">{}</span>', css_ok if ok else css_bad, title, text_ok if ok else text_bad
    )


def readiness_html(row) -> SafeString:
    parts = [
        _flag(row.prep_sent, "ok", "missing", "✓ prep", "✗ prep", "Prep instructions"),
        _flag(row.no_expression_sent, "ok", "missing", "✓ no-expr.", "✗ no-expr.", "No-expression reminder"),
        _flag(row.confirmed, "ok", "missing", "✓ confirmed", "✗ confirmed", "Patient confirmed"),
    ]
    answers = row.readiness
    if answers is None:
        parts.append(mark_safe('<span class="unsure">no answers</span>'))  # noqa: S308 - constant
    else:
        parts.append(
            _flag(answers.discharge_present, "ok", "bad", "discharge yes", "discharge NO", "Discharge still present")
        )
        expressed = None if answers.expressed_last_48h is None else not answers.expressed_last_48h
        parts.append(_flag(expressed, "ok", "bad", "expressed no", "expressed YES", "Expressed in the last 48 h"))
    parts.append(order_facts_html(row.appointment.order, on=row.appointment.local_start.date()))
    return mark_safe(" ".join(parts))  # noqa: S308 - each part is format_html output


def row_html(row) -> SafeString:
    a, patient = row.appointment, row.appointment.patient
    allergy = (
        mark_safe('<div><span class="badge text-bg-danger allergy-flag">⚠ CONTRAST ALLERGY</span></div>')  # noqa: S308
        if row.contrast_allergy
        else ""
    )
    actions = format_html_join(
        "",
        '<a class="btn btn-sm {}" href="{}" data-action="{}">{}</a>',
        ((link.style, link.url, link.name, link.label) for link in row.actions),
    )
    return format_html(
        '<tr class="{}" data-appointment="{}">'
        '<td class="text-nowrap"><a href="/appointments/{}/">{}</a></td>'
        "<td>{}, {}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        '<td><span class="badge status-badge status-{}">{}</span></td>'
        '<td class="readiness small">{}</td>'
        '<td class="d-print-none"><div class="d-flex flex-wrap gap-1">{}</div></td></tr>',
        "text-muted" if a.status == "cancelled" else "",
        a.pk,
        a.pk,
        row.time,
        patient.family_name,
        patient.given_name,
        allergy,
        patient.mrn,
        row.age,
        a.duration_minutes,
        a.radiologist.name,
        a.technologist.name,
        a.status,
        a.get_status_display(),
        readiness_html(row),
        actions,
    )


def block_html(row) -> SafeString:
    a = row.appointment
    if a.status == "cancelled":
        return mark_safe("")
    return format_html(
        '<a class="block status-{}{}" href="/appointments/{}/" data-left="{}" data-width="{}" title="{} {}">{} {}</a>',
        a.status,
        " allergy" if row.contrast_allergy else "",
        a.pk,
        row.left,
        row.width,
        row.time,
        a.get_status_display(),
        row.time,
        a.patient.family_name,
    )
