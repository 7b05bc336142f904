"""The day list as a flow board: where each patient is in her visit, who is late, who waits
and for how long, and who is next in each room. Pure functions over the day's rows."""

from datetime import date, datetime, time, timedelta

from radiology.models import UPCOMING
from radiology.presentation.flow import FLOW_STATES, flow_state
from radiology.services.day_version import LATE_AFTER
from scheduling.clinic_time import clinic_zone


def annotate_flow(rows, *, now: datetime) -> None:
    """Set each row's flow state, late flag and the moment its current step began."""
    for row in rows:
        a = row.appointment
        row.flow = flow_state(a.status)
        row.late = a.status in UPCOMING and now >= a.start + LATE_AFTER
        # Done in the room, the outcome still to record: the technologist's and radiologist's task.
        row.outcome_to_record = a.status == "performed"
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


# The timeline shows the staff's usual day, widened to take in any appointment outside it:
# the fewer hours it spans, the wider a 30-minute block and the more of a name it shows.
TIMELINE_START, TIMELINE_END = time(8), time(17)


def _hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _hour_ceil(moment: datetime) -> datetime:
    floor = _hour_floor(moment)
    return floor if floor == moment else floor + timedelta(hours=1)


def _room_seconds(appointment) -> float:
    """How long the room is the appointment's: its booked time, or, once the exam is done, up
    to the moment it was (the rest of the slot is free again), never less than five minutes."""
    if appointment.performed_at is not None:
        return max((appointment.performed_at - appointment.start).total_seconds(), 300)
    return appointment.duration_minutes * 60


def fit_timeline(rows, *, day: date) -> dict:
    """Place each row's block (left, width in % of the window); return the window's edges
    (instants, for the script that draws the "now" line) and its hour ticks."""
    zone = clinic_zone()
    first = datetime.combine(day, TIMELINE_START, tzinfo=zone)
    last = datetime.combine(day, TIMELINE_END, tzinfo=zone)
    for row in rows:
        first = min(first, _hour_floor(row.appointment.start.astimezone(zone)))
        last = max(last, _hour_ceil(row.appointment.end.astimezone(zone)))
    span = (last - first).total_seconds()
    for row in rows:
        left = min(max((row.appointment.start - first).total_seconds() / span * 100, 0), 100)
        row.left = round(left, 2)
        row.width = round(min(_room_seconds(row.appointment) / span * 100, 100 - left), 2)
    hours = int(span // 3600)
    return {
        "start": first.isoformat(),
        "end": last.isoformat(),
        "hours": [(f"{(first + timedelta(hours=h)):%H}:00", round(h * 3600 / span * 100, 2)) for h in range(hours + 1)],
    }


def legend() -> list[tuple[str, str, str]]:
    """(css class, label, meaning) for every colour and mark the day list uses."""
    return [
        *((f"flow-{s.key}", s.label, s.meaning) for s in FLOW_STATES.values()),
        ("late-flag", "LATE", f"not checked in {int(LATE_AFTER.total_seconds() // 60)} min after the start"),
        ("next-flag", "Next", "the next patient for the room"),
        ("outcome-flag", "Outcome to record", "the exam is done and the room free; its outcome is still to record"),
        ("new-time-flag", "NEEDS NEW TIME", "its room or a person is off then: on the schedulers' to-do list"),
        ("allergy-flag", "⚠ Allergy", "allergic to X-ray dye (red outline on the timeline)"),
        ("now-swatch", "Now", "the current time on the timeline"),
    ]
