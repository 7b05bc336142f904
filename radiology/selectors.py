"""Read-only queries for pages and the API. Each list runs a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from radiology.models import UPCOMING, Appointment, AppointmentTransition, ReadinessResponse, TodoNote, clinic_zone

APPOINTMENT_RELATED = (
    "patient",
    "procedure",
    "room",
    "radiologist__user",
    "technologist__user",
)


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants at which a local clinic day starts and ends (23 or 25 h on DST days)."""
    zone = clinic_zone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def appointments_between(start: datetime, end: datetime) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(start__lt=end, end__gt=start)
        .select_related(*APPOINTMENT_RELATED)
        .order_by("start", "room__name")
    )


def patient_appointment_span(patient) -> tuple[date, date]:
    """The local days of a patient's first and last appointment (today when she has none)."""
    from django.db.models import Max, Min
    from django.utils import timezone

    span = Appointment.objects.filter(patient=patient).aggregate(first=Min("start"), last=Max("start"))
    today = timezone.now().astimezone(clinic_zone()).date()
    first, last = span["first"], span["last"]
    if first is None:
        return today, today
    return first.astimezone(clinic_zone()).date(), last.astimezone(clinic_zone()).date()


def appointment_with_history(pk: int) -> Appointment:
    return (
        Appointment.objects.select_related(*APPOINTMENT_RELATED, "booked_by", "outcome", "follow_up_plan", "checklist")
        .prefetch_related(Prefetch("transitions", queryset=AppointmentTransition.objects.select_related("actor")))
        .get(pk=pk)
    )


# --- the schedulers' to-do list: who needs a call ---

CONFIRM_WITHIN = timedelta(days=3)
LOOK_AHEAD = timedelta(days=21)


@dataclass
class TodoItem:
    appointment: Appointment
    reasons: list[str]
    notes: list = field(default_factory=list)  # newest first

    @property
    def last_call(self):
        return self.notes[0] if self.notes else None


def _latest(field: str):
    return Subquery(
        ReadinessResponse.objects.filter(appointment=OuterRef("pk")).order_by("-answered_at").values(field)[:1]
    )


def _resolved_after_news(appointment) -> bool:
    """Resolved, and nothing new since: no newer answer and no newer request."""
    resolved = [n.at for n in appointment.todo_notes.all() if n.outcome == "resolved"]
    if not resolved:
        return False
    news = [t for t in (appointment.answered_at, appointment.reschedule_requested_at) if t]
    return max(resolved) >= max(news, default=max(resolved))


def scheduler_todo(*, now) -> list[TodoItem]:
    """Upcoming appointments that need a scheduler, soonest first (three queries in all):
    asked for another time, not confirmed close to the day, or answers that need a call
    (discharge gone, expressed within 48 h, contrast allergy — "not sure" included).
    An item resolved with a note stays off until something new happens."""
    appointments = (
        Appointment.objects.filter(status__in=UPCOMING, start__gte=now, start__lt=now + LOOK_AHEAD)
        .select_related("patient", "room")
        .annotate(
            answered_at=_latest("answered_at"),
            discharge_present=_latest("discharge_present"),
            expressed=_latest("expressed_last_48h"),
            contrast=_latest("contrast_allergy"),
        )
        .prefetch_related(Prefetch("todo_notes", queryset=TodoNote.objects.select_related("by")))
        .order_by("start")
    )
    items = []
    for appointment in appointments:
        reasons = []
        if appointment.reschedule_requested_at:
            reasons.append("Asked for another time")
        if appointment.patient_confirmed_at is None and appointment.start < now + CONFIRM_WITHIN:
            reasons.append("Not confirmed")
        if appointment.discharge_present is False:
            reasons.append("Discharge no longer present")
        if appointment.expressed:
            reasons.append("Expressed in the last 48 h")
        if appointment.contrast:
            reasons.append("Contrast allergy")
        elif appointment.answered_at and appointment.contrast is None:
            reasons.append("Not sure about contrast allergy")
        if reasons and not _resolved_after_news(appointment):
            items.append(TodoItem(appointment, reasons, list(appointment.todo_notes.all())))
    return items
