"""The day list as a flow board: where each patient is in her visit, who is late, who waits
and for how long, and who is next in each room. Pure functions over the day's rows."""

from datetime import date, datetime

from radiology.flow import FLOW_STATES, flow_state
from radiology.models import UPCOMING, clinic_zone
from radiology.services.day_version import LATE_AFTER
from radiology.workday.selectors import TIMELINE_END, TIMELINE_START


def annotate_flow(rows, *, now: datetime) -> None:
    """Set each row's flow state, late flag and the moment its current step began."""
    for row in rows:
        a = row.appointment
        row.flow = flow_state(a.status)
        row.late = a.status in UPCOMING and now >= a.start + LATE_AFTER
        if a.status == "checked_in":
            row.since = a.checked_in_at
        elif a.status == "in_procedure":
            row.since = a.started_at


def mark_next(room_rows) -> None:
    """Next in a room: the patient who arrived first, else the earliest still to come.
    Nobody is next while the room has a procedure under way and nobody waiting."""
    arrived = [r for r in room_rows if r.appointment.status == "checked_in"]
    if arrived:
        candidate = min(arrived, key=lambda r: r.appointment.checked_in_at or r.appointment.start)
    else:
        waiting = [r for r in room_rows if r.appointment.status in UPCOMING]
        candidate = min(waiting, key=lambda r: r.appointment.start) if waiting else None
    if candidate is not None:
        candidate.is_next = True


def minutes_since(moment: datetime | None, now: datetime) -> int | None:
    if moment is None:
        return None
    return max(int((now - moment).total_seconds() // 60), 0)


def timeline_window(day: date) -> dict:
    """The timeline's edges as instants, for the script that draws the "now" line."""
    zone = clinic_zone()
    return {
        "start": datetime.combine(day, TIMELINE_START, tzinfo=zone).isoformat(),
        "end": datetime.combine(day, TIMELINE_END, tzinfo=zone).isoformat(),
    }


def legend() -> list[tuple[str, str, str]]:
    """(css class, label, meaning) for every colour and mark the day list uses."""
    return [
        *((f"flow-{s.key}", s.label, s.meaning) for s in FLOW_STATES.values()),
        ("late-flag", "LATE", f"not checked in {int(LATE_AFTER.total_seconds() // 60)} min after the start"),
        ("next-flag", "Next", "the next patient for the room"),
        ("allergy-flag", "⚠ Allergy", "allergic to X-ray dye (red outline on the timeline)"),
        ("now-swatch", "Now", "the current time on the timeline"),
    ]
