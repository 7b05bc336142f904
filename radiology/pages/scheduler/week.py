"""The week grid of one room: what is booked, free, off or closed, in 15-minute rows.

A read-only selector: four queries whatever the number of appointments (working hours,
time off, appointments with their patients, and the rooms for the switcher in the view).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.urls import reverse

from radiology.models import AppointmentStatus, Room
from radiology.presentation.date_range import in_range
from radiology.presentation.flow import FLOW_STATES, flow_state
from radiology.selectors import APPOINTMENT_RELATED
from scheduling.clinic_time import clinic_zone, local_day_bounds
from scheduling.models import Unavailability, WorkingHours

DAY_START = time(7)
DAY_END = time(19)
STEP_MINUTES = 15
FIRST_ROW = 2  # row 1 holds the day headings
# Cancelled, did-not-proceed and no-show appointments gave their time back; they are not drawn.
HIDDEN_STATES = [AppointmentStatus.CANCELLED, AppointmentStatus.DID_NOT_PROCEED, AppointmentStatus.NO_SHOW]
# The grid's colours are the flow states' (radiology.presentation.flow), for what it draws.
WEEK_LEGEND = [
    FLOW_STATES[key]
    for key in sorted(
        {flow_state(s).key for s in AppointmentStatus.values if s not in HIDDEN_STATES}, key=list(FLOW_STATES).index
    )
]


@dataclass
class Block:
    kind: str  # "closed", "free", "off" or "booked"
    row_start: int
    row_end: int
    label: str = ""
    title: str = ""
    url: str = ""
    status: str = ""


@dataclass
class DayColumn:
    day: date
    column: int
    blocks: list[Block] = field(default_factory=list)
    is_today: bool = False

    @property
    def booked(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "booked"]


@dataclass
class RoomWeek:
    room: Room
    week_start: date
    days: list[DayColumn]
    hour_rows: list[tuple[str, int]]  # ("08:00", row)
    last_row: int

    @property
    def previous_week(self) -> date:
        return self.week_start - timedelta(days=7)

    @property
    def next_week(self) -> date:
        return self.week_start + timedelta(days=7)

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _row(minutes: int, *, round_up: bool = False) -> int:
    offset = min(max(minutes - _minutes(DAY_START), 0), _minutes(DAY_END) - _minutes(DAY_START))
    steps = -(-offset // STEP_MINUTES) if round_up else offset // STEP_MINUTES
    return FIRST_ROW + steps


def _span(start_minutes: int, end_minutes: int) -> tuple[int, int] | None:
    row_start, row_end = _row(start_minutes), _row(end_minutes, round_up=True)
    return (row_start, row_end) if row_end > row_start else None


def _local_minutes(moment: datetime, day: date) -> int:
    """Minutes since local midnight of `day`, clipped to the day (an event may start before it)."""
    local = moment.astimezone(clinic_zone())
    if local.date() < day:
        return 0
    if local.date() > day:
        return 24 * 60
    return local.hour * 60 + local.minute


def room_week(*, room: Room, week_start: date, today: date) -> RoomWeek:
    week_start = monday_of(week_start)
    start, _ = local_day_bounds(week_start)
    _, end = local_day_bounds(week_start + timedelta(days=6))
    hours = list(WorkingHours.objects.filter(resource_id=room.resource_id))
    time_off = list(Unavailability.objects.filter(resource_id=room.resource_id, start__lt=end, end__gt=start))
    appointments = list(
        room.appointments.filter(start__lt=end, end__gt=start)
        .exclude(status__in=HIDDEN_STATES)
        .select_related(*APPOINTMENT_RELATED)
        .order_by("start")
    )
    open_weekdays = {h.weekday for h in hours}
    busy_days = {a.local_start.date() for a in appointments}
    shown = [
        week_start + timedelta(days=n)
        for n in range(7)
        if n < 5 or n in open_weekdays or (week_start + timedelta(days=n)) in busy_days
    ]
    days = []
    for column, day in enumerate(shown, start=2):
        column_day = DayColumn(day=day, column=column, is_today=day == today)
        column_day.blocks.extend(_opening_blocks([h for h in hours if h.weekday == day.weekday()]))
        for absence in time_off:
            span = _span(_local_minutes(absence.start, day), _local_minutes(absence.end, day))
            if span:
                label = absence.get_kind_display() + (f": {absence.reason}" if absence.reason else "")
                column_day.blocks.append(Block("off", *span, label=label, title=label))
        for appointment in appointments:
            span = _span(_local_minutes(appointment.start, day), _local_minutes(appointment.end, day))
            if span:
                column_day.blocks.append(_booked_block(appointment, span))
        days.append(column_day)
    hour_rows = [(f"{h:02d}:00", _row(h * 60)) for h in range(DAY_START.hour, DAY_END.hour)]
    return RoomWeek(room=room, week_start=week_start, days=days, hour_rows=hour_rows, last_row=_row(_minutes(DAY_END)))


def _opening_blocks(hours: list[WorkingHours]) -> list[Block]:
    """Free (open) stretches and the closed time around them, within 07:00–19:00."""
    blocks, cursor = [], _minutes(DAY_START)
    for h in sorted(hours, key=lambda h: h.start_time):
        opens, closes = max(_minutes(h.start_time), cursor), _minutes(h.end_time)
        if opens > cursor and (span := _span(cursor, opens)):
            blocks.append(Block("closed", *span, title="Room closed"))
        if closes > opens and (span := _span(opens, closes)):
            hours_text = f"Open {h.start_time:%H:%M}–{h.end_time:%H:%M}"
            blocks.append(Block("free", *span, label=hours_text, title=hours_text))
        cursor = max(cursor, closes)
    if cursor < _minutes(DAY_END) and (span := _span(cursor, _minutes(DAY_END))):
        blocks.append(Block("closed", *span, title="Room closed"))
    return blocks


def _booked_block(appointment, span) -> Block:
    patient = appointment.patient
    when = f"{appointment.local_start:%H:%M}–{appointment.local_end:%H:%M}"
    return Block(
        "booked",
        *span,
        label=f"{when} {patient.family_name}, {patient.given_name[:1]}.",
        title=(
            f"{when} · {patient.full_name} (MRN {patient.mrn}) · {appointment.radiologist.name} + "
            f"{appointment.technologist.name} · {appointment.get_status_display()}"
        ),
        url=reverse("radiology:appointment_detail", args=[appointment.pk]),
        status=appointment.status,
    )


def week_param(value: str | None, *, today: date) -> date:
    """?week=YYYY-MM-DD (any day of the week); today's week when missing or unreadable."""
    try:
        day = date.fromisoformat(value) if value else today
    except ValueError:
        return monday_of(today)
    return monday_of(day) if in_range(day) else monday_of(today)
