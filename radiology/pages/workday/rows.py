"""HTML for the day list's rows and timeline blocks.

Built with f-strings rather than template tags because this is the department's most-read
page: the template engine costs about half a millisecond a row, and even format_html's
lazy-aware escaping is most of a row's cost. Every value from the database goes through
`_e` (html.escape, quotes included); everything else is a constant of this module.
"""

from django.utils.safestring import SafeString, mark_safe

from radiology.models import AppointmentStatus
from radiology.pages.workday.flow_board import minutes_since
from radiology.presentation.html_parts import esc as _e
from radiology.presentation.order_display import order_facts_html


def _flag(ok: bool | None, css_ok: str, css_bad: str, text_ok: str, text_bad: str, title: str) -> str:
    if ok is None:
        return f'<span class="unsure" title="{title}">{text_ok.split()[0]} ?</span>'
    return f'<span class="{css_ok if ok else css_bad}" title="{title}">{text_ok if ok else text_bad}</span>'


def _icon(ok: bool, short: str, long: str) -> str:
    """A message-readiness icon: a tick or a cross with a short word, the sentence for
    screen readers and on hover. Never colour alone."""
    said = f"{long}: {'yes' if ok else 'not yet'}"
    return (
        f'<span class="msg-icon {"ok" if ok else "missing"}" title="{said}">{"✓" if ok else "✗"}'
        f'<span aria-hidden="true">{short}</span><span class="visually-hidden">{said}</span></span>'
    )


def messages_html(row) -> str:
    return (
        _icon(row.prep_sent, "prep", "Prep instructions sent")
        + _icon(row.no_expression_sent, "no-expr.", "No-expression reminder sent")
        + _icon(row.confirmed, "conf.", "Patient confirmed")
    )


def readiness_html(row) -> str:
    """The patient's latest answers (discharge, expression) and the order's facts (side,
    indication, readiness flags)."""
    answers = row.readiness
    order = order_facts_html(row.appointment.order, on=row.appointment.local_start.date())
    if answers is None:
        return f'<span class="unsure">no answers</span> {order}'
    expressed = None if answers.expressed_last_48h is None else not answers.expressed_last_48h
    return " ".join(
        (
            _flag(answers.discharge_present, "ok", "bad", "discharge yes", "discharge NO", "Discharge still present"),
            _flag(expressed, "ok", "bad", "expressed no", "expressed YES", "Expressed in the last 48 h"),
            order,  # format_html output: escaped already
        )
    )


def _clock(row, now) -> str:
    """ "waiting 12 min" / "in room 25 min"; the page's script keeps the minutes current."""
    minutes = minutes_since(row.since, now)
    if minutes is None:
        return ""
    word = "waiting" if row.appointment.status == "checked_in" else "in room"
    return (
        f'<span class="flow-clock" data-since="{_e(row.since.isoformat())}" data-word="{word}">'
        f"{word} {minutes} min</span>"
    )


def flow_html(row, now) -> str:
    a = row.appointment
    return (
        f'<span class="badge flow-badge flow-{row.flow.key}" title="{_e(AppointmentStatus(a.status).label)}">'
        f"{_e(row.flow.label)}</span>"
        + (' <span class="badge next-flag">Next</span>' if row.is_next else "")
        + (' <span class="badge late-flag">LATE</span>' if row.late else "")
        + (' <span class="badge new-time-flag">NEEDS NEW TIME</span>' if row.needs_new_time else "")
        + (' <span class="badge outcome-flag">Outcome to record</span>' if row.outcome_to_record else "")
        + f" {_clock(row, now)}"
        + f'<span class="msg-icons">{messages_html(row)}</span>'
    )


# The badge's icon per need (Patient.needs' short words); the words stay for sighted readers.
NEED_ICONS = {"Interpreter": "🗣", "Wheelchair": "♿", "Hearing": "🦻", "Sight": "👁", "Other need": "ⓘ"}


def needs_html(patient) -> str:
    """Her interpreter and access needs as compact badges: an icon and a short word, the
    whole sentence for screen readers and on hover."""
    badges = "".join(
        f'<span class="badge text-bg-info need-flag" title="{_e(said)}">'
        f'<span aria-hidden="true">{NEED_ICONS.get(short.split(" (")[0], "")} {_e(short)}</span>'
        f'<span class="visually-hidden">{_e(said)}</span></span>'
        for short, said in patient.needs
    )
    return f'<div class="d-flex flex-wrap gap-1">{badges}</div>' if badges else ""


def label_links_html(appointment) -> str:
    return (
        f'<a class="btn btn-sm btn-outline-secondary" href="/appointments/{appointment.pk}/label.pdf" '
        f'data-action="label">Label<span class="visually-hidden"> (PDF)</span></a>'
        f'<a class="btn btn-sm btn-outline-secondary" href="/appointments/{appointment.pk}/wristband.pdf" '
        f'data-action="wristband">Wristband<span class="visually-hidden"> (PDF)</span></a>'
    )


def row_html(row, now, *, labels: bool = False) -> SafeString:
    a, patient = row.appointment, row.appointment.patient
    allergy = '<div><span class="badge allergy-flag">⚠ CONTRAST ALLERGY</span></div>' if row.contrast_allergy else ""
    needs = needs_html(patient)
    age = f"{row.age} y" if row.age is not None else "birth date missing"
    actions = "".join(
        f'<a class="btn btn-sm {_e(link.style)}" href="{_e(link.url)}" data-action="{_e(link.name)}">'
        f"{_e(link.label)}</a>"
        for link in row.actions
    ) + (label_links_html(a) if labels and a.status != "cancelled" else "")
    css = ("text-body-secondary" if a.status == "cancelled" else "") + (" is-late" if row.late else "")
    return mark_safe(  # noqa: S308 - every database value above and below is escaped with _e
        f'<tr class="{css}" data-appointment="{a.pk}" data-flow="{row.flow.key}">'
        f'<td class="one-line"><a href="/appointments/{a.pk}/">{_e(row.time)}</a></td>'
        f'<td><span class="patient-name">{_e(patient.family_name)}, {_e(patient.given_name)}</span>'
        f'<div class="small text-body-secondary patient-meta">MRN {_e(patient.mrn)} · {age}</div>'
        f"{allergy}{needs}</td>"
        f'<td class="one-line">{a.duration_minutes}</td>'
        f'<td class="small team"><span>{_e(a.radiologist.name)}</span><br><span>{_e(a.technologist.name)}</span></td>'
        f'<td class="flow-cell">{flow_html(row, now)}</td>'
        f'<td class="readiness small">{readiness_html(row)}</td>'
        f'<td class="d-print-none"><div class="d-flex flex-wrap gap-1">{actions}</div></td></tr>'
    )


def block_html(row) -> SafeString:
    a = row.appointment
    if a.status == "cancelled":
        return mark_safe("")
    css = f"block flow-{row.flow.key}" + (" allergy" if row.contrast_allergy else "") + (" late" if row.late else "")
    title = f"{row.time} {a.patient.family_name}, {a.patient.given_name} — {row.flow.label}" + (
        ", contrast allergy" if row.contrast_allergy else ""
    )
    return mark_safe(  # noqa: S308 - database values escaped with _e
        f'<a class="{css}" href="/appointments/{a.pk}/" data-left="{row.left}" data-width="{row.width}" '
        f'title="{_e(title)}"><span class="when">{_e(row.time)}</span>'
        f'<span class="who">{_e(a.patient.family_name)}</span></a>'
    )
