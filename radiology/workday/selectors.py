"""What the day list, the radiologist's list and the dashboard read. Fixed query counts."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch, Q

from radiology.models import Appointment, AppointmentTransition, ReadinessResponse
from radiology.selectors import APPOINTMENT_RELATED
from scheduling.clinic_time import clinic_zone, local_day_bounds

TIMELINE_START = time(7)
TIMELINE_END = time(19)
DAY_LIST_FIELDS = (
    "start",
    "end",
    "duration_minutes",
    "status",
    "version",
    "patient_confirmed_at",
    "procedure__no_show_grace_minutes",
    "patient__mrn",
    "patient__given_name",
    "patient__family_name",
    "patient__birth_date",
    "patient__contrast_allergy",
    # The order's facts for the side, indication and readiness flags (radiology.order_display).
    "order__side",
    "order__indication",
    "order__indication_other",
    "order__priority",
    "order__prior_imaging_kind",
    "order__prior_imaging_date",
    "order__pregnancy_status",
    "order__lactating",
    "room__name",
    "radiologist__user__first_name",
    "radiologist__user__last_name",
    "radiologist__user__username",
    "technologist__user__first_name",
    "technologist__user__last_name",
    "technologist__user__username",
)
SENT_ACTIONS = ("send_prep", "send_no_expression_reminder", "step_back_for_reschedule", "reschedule")


@dataclass
class DayRow:
    appointment: Appointment
    age: int
    prep_sent: bool
    no_expression_sent: bool
    readiness: ReadinessResponse | None
    left: float  # timeline position, % of the day's window
    width: float
    time: str = ""
    actions: list = None

    @property
    def confirmed(self) -> bool:
        return self.appointment.patient_confirmed_at is not None

    @property
    def contrast_allergy(self) -> bool:
        answered = self.readiness.contrast_allergy if self.readiness else None
        return self.appointment.patient.contrast_allergy or bool(answered)


def _reminders_sent(transitions) -> tuple[bool, bool]:
    """Prep once sent stays sent; the no-expression reminder counts only if it went out
    after the latest move (a moved appointment needs it again)."""
    prep = no_expression = False
    for t in transitions:  # oldest first
        if t.action == "send_prep":
            prep = True
        elif t.action == "send_no_expression_reminder":
            prep = prep or t.from_status == "booked"
            no_expression = True
        else:
            no_expression = False
    return prep, no_expression


def day_rows(*, day: date, room_id=None, radiologist_id=None, mine=None, links=None) -> list[DayRow]:
    start, end = local_day_bounds(day)
    zone = clinic_zone()
    window_start = datetime.combine(day, TIMELINE_START, tzinfo=zone)
    window = (datetime.combine(day, TIMELINE_END, tzinfo=zone) - window_start).total_seconds()
    appointments = (
        Appointment.objects.filter(start__gte=start, start__lt=end)
        .select_related("patient", "procedure", "order", "room", "radiologist__user", "technologist__user")
        # Only what the list shows: the most-read page should not carry catalog text or notes.
        .only(*DAY_LIST_FIELDS)
        .prefetch_related(
            Prefetch(
                "transitions",
                queryset=AppointmentTransition.objects.filter(action__in=SENT_ACTIONS)
                .only("appointment_id", "action", "from_status", "at")
                .order_by("at", "pk"),
                to_attr="sent_transitions",
            ),
            Prefetch(
                "readiness_responses",
                queryset=ReadinessResponse.objects.order_by("-answered_at"),
                to_attr="answers",
            ),
        )
        .order_by("room__name", "start")
    )
    if room_id:
        appointments = appointments.filter(room_id=room_id)
    if radiologist_id:
        appointments = appointments.filter(radiologist_id=radiologist_id)
    if mine is not None:
        appointments = appointments.filter(Q(radiologist__user=mine) | Q(technologist__user=mine))
    rows = []
    for a in appointments:
        prep, no_expression = _reminders_sent(a.sent_transitions)
        offset = (a.start - window_start).total_seconds()
        left = min(max(offset / window * 100, 0), 100)
        rows.append(
            DayRow(
                appointment=a,
                age=a.patient.age_on(day),
                # The state says so for the current time of the appointment; the log for later states.
                prep_sent=prep or a.status in ("prep_sent", "reminded"),
                no_expression_sent=no_expression or a.status == "reminded",
                readiness=a.answers[0] if a.answers else None,
                left=round(left, 2),
                width=round(min(a.duration_minutes * 60 / window * 100, 100 - left), 2),
                time=a.start.astimezone(zone).strftime("%H:%M"),
                actions=links(a) if links else [],
            )
        )
    return rows


def rows_by_room(rows: list[DayRow]) -> list[tuple[str, list[DayRow]]]:
    rooms: dict[str, list[DayRow]] = {}
    for row in rows:
        rooms.setdefault(row.appointment.room.name, []).append(row)
    return list(rooms.items())


def timeline_hours() -> list[tuple[str, float]]:
    span = TIMELINE_END.hour - TIMELINE_START.hour
    return [(f"{TIMELINE_START.hour + h:02d}:00", round(h / span * 100, 2)) for h in range(span + 1)]


def radiologist_lists(*, user, today: date):
    """My appointments today and this week, and my completed procedures awaiting a
    follow-up decision."""
    week_start = today - timedelta(days=today.weekday())
    start, _ = local_day_bounds(week_start)
    _, end = local_day_bounds(week_start + timedelta(days=6))
    mine = Appointment.objects.filter(radiologist__user=user).select_related(*APPOINTMENT_RELATED)
    week = list(mine.filter(start__gte=start, start__lt=end).exclude(status="cancelled").order_by("start"))
    day_start, day_end = local_day_bounds(today)
    awaiting = list(mine.filter(status="completed").order_by("completed_at"))
    return {
        "today": [a for a in week if day_start <= a.start < day_end],
        "week": week,
        "awaiting_follow_up": awaiting,
    }
