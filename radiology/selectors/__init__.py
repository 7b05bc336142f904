"""Read-only queries for pages and the API. Each list runs a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery

from notifications.models import Message
from radiology.models import (
    CANCELLABLE,
    UPCOMING,
    Appointment,
    AppointmentStatus,
    AppointmentTransition,
    ReadinessResponse,
    TodoNote,
)
from scheduling.clinic_time import local_today, to_local
from scheduling.models import Unavailability

APPOINTMENT_RELATED = (
    "patient",
    "procedure",
    "order",
    "room",
    "radiologist__user",
    "technologist__user",
)


def appointments_between(start: datetime, end: datetime) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(start__lt=end, end__gt=start)
        .select_related(*APPOINTMENT_RELATED)
        .order_by("start", "room__name")
    )


def patient_appointment_span(patient) -> tuple[date, date]:
    """The local days of a patient's first and last appointment (today when she has none)."""
    from django.db.models import Max, Min

    span = Appointment.objects.filter(patient=patient).aggregate(first=Min("start"), last=Max("start"))
    if span["first"] is None:
        return local_today(), local_today()
    return to_local(span["first"]).date(), to_local(span["last"]).date()


def appointment_with_history(pk: int) -> Appointment:
    return (
        Appointment.objects.select_related(*APPOINTMENT_RELATED, "booked_by", "outcome", "follow_up_plan", "checklist")
        .prefetch_related(Prefetch("transitions", queryset=AppointmentTransition.objects.select_related("actor")))
        .get(pk=pk)
    )


# --- an appointment's messages and answers ---


def appointment_messages(appointment) -> list[Message]:
    """Every planned and sent message of the appointment, oldest due first (for its page).
    One just booked carries what its booking planned (booking.planned_messages)."""
    planned = getattr(appointment, "planned_messages", None)
    if planned is not None:
        return planned
    return list(Message.objects.filter(subject=appointment.holder).order_by("due_at", "pk"))


def reminders_for(appointment) -> list[dict]:
    """The API's and the confirmation page's view of the plan."""
    return [
        {
            "kind": m.kind,
            "label": m.kind_label,
            "audience": m.audience,
            "channel": m.channel,
            "channel_label": m.get_channel_display(),
            "due_at": m.due_at,
            "status": m.status,
        }
        for m in appointment_messages(appointment)
    ]


def latest_readiness(appointment):
    """The patient's latest readiness answers, or None."""
    return appointment.readiness_responses.order_by("-answered_at").first()


# --- the schedulers' to-do list: who needs a call ---

CONFIRM_WITHIN = timedelta(days=3)
LOOK_AHEAD = timedelta(days=21)
REBOOK_WITHIN = timedelta(days=60)


# Its room or a person is off during it; services/restaffing.py words it "needs new staff"
# instead when someone free could take the person's place at the same time.
NEEDS_NEW_TIME = "Needs a new time: its room or a person is off then"


@dataclass
class TodoItem:
    appointment: Appointment
    reasons: list[str]
    notes: list = field(default_factory=list)  # newest first
    proposal: object = None  # who could take over at the same time (services/restaffing.py)

    @property
    def last_call(self):
        return self.notes[0] if self.notes else None


def _latest(field: str):
    return Subquery(
        ReadinessResponse.objects.filter(appointment=OuterRef("pk")).order_by("-answered_at").values(field)[:1]
    )


def overlaps_time_off():
    """Whether any of the appointment's room and people is off during it (time off, a closure
    or maintenance entered after it was booked)."""
    resources = Q(resource=OuterRef("room__resource")) | Q(resource=OuterRef("radiologist__resource"))
    resources |= Q(resource=OuterRef("technologist__resource"))
    return Exists(Unavailability.objects.filter(resources, start__lt=OuterRef("end"), end__gt=OuterRef("start")))


def needs_new_time(appointment) -> bool:
    """Still to come, and its room or a person is off then (the to-do's "Needs a new time")."""
    if appointment.status not in UPCOMING:
        return False
    off = Appointment.objects.filter(pk=appointment.pk).annotate(off=overlaps_time_off()).values_list("off", flat=True)
    return bool(off.first())


def appointments_affected_by(*, resource_id: int, start, end) -> list[Appointment]:
    """Booked appointments that need this room or person between start and end."""
    people = Q(room__resource_id=resource_id) | Q(radiologist__resource_id=resource_id)
    people |= Q(technologist__resource_id=resource_id)
    return list(
        Appointment.objects.filter(people, status__in=CANCELLABLE, start__lt=end, end__gt=start)
        .select_related("patient", "room")
        .order_by("start")
    )


def _resolved_after_news(appointment) -> bool:
    """Resolved, and nothing new since: no newer answer and no newer request."""
    resolved = [n.at for n in appointment.todo_notes.all() if n.outcome == "resolved"]
    if not resolved:
        return False
    news = [t for t in (appointment.answered_at, appointment.reschedule_requested_at) if t]
    return max(resolved) >= max(news, default=max(resolved))


def scheduler_todo(*, now) -> list[TodoItem]:
    """Overdue result letters first; then upcoming appointments that need a scheduler, soonest
    first (four queries in all):
    asked for another time, not confirmed close to the day, or answers that need a call
    (discharge gone, expressed within 48 h, contrast allergy — "not sure" included).
    An item resolved with a note stays off until something new happens."""
    appointments = (
        Appointment.objects.filter(status__in=UPCOMING, start__gte=now, start__lt=now + LOOK_AHEAD)
        .select_related("patient", "room", "procedure", "radiologist__user", "technologist__user")
        .annotate(
            answered_at=_latest("answered_at"),
            discharge_present=_latest("discharge_present"),
            expressed=_latest("expressed_last_48h"),
            contrast=_latest("contrast_allergy"),
            time_off=overlaps_time_off(),
        )
        .prefetch_related(Prefetch("todo_notes", queryset=TodoNote.objects.select_related("by")))
        .order_by("start")
    )
    items = []
    for appointment in appointments:
        reasons = []
        if appointment.time_off:
            reasons.append(NEEDS_NEW_TIME)
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
        # A conflict with time off stays until the appointment moves, whatever a note says.
        if reasons and (appointment.time_off or not _resolved_after_news(appointment)):
            items.append(TodoItem(appointment, reasons, list(appointment.todo_notes.all())))
    return _overdue_letters(now=now) + _not_proceeded(now=now) + items


def _overdue_letters(*, now) -> list[TodoItem]:
    """Result letters past their due date and not sent: first on the list, until sent (a note
    does not take them off: only sending the letter does)."""
    appointments = (
        Appointment.objects.filter(report__letter__status="due", report__letter__due_at__lt=now)
        .select_related("patient", "room")
        .annotate(letter_due_at=F("report__letter__due_at"))
        .prefetch_related(Prefetch("todo_notes", queryset=TodoNote.objects.select_related("by")))
        .order_by("report__letter__due_at", "pk")
    )
    items = []
    for appointment in appointments:
        reason = f"Result letter overdue (due {to_local(appointment.letter_due_at):%a %d %b}): send it"
        items.append(TodoItem(appointment, [reason], list(appointment.todo_notes.all())))
    return items


def _not_proceeded(*, now) -> list[TodoItem]:
    """Patients who came but were not examined (no discharge, declined, ...) and whose order
    waits for a new booking: first on the list, until booked again or resolved with a note."""
    appointments = (
        Appointment.objects.filter(
            status=AppointmentStatus.DID_NOT_PROCEED, order__status="waiting", start__gte=now - REBOOK_WITHIN
        )
        .select_related("patient", "room")
        .annotate(answered_at=_latest("answered_at"))
        .prefetch_related(Prefetch("todo_notes", queryset=TodoNote.objects.select_related("by")))
        .order_by("start")
    )
    return [
        TodoItem(a, [f"Did not proceed ({a.abort_reason}): book a new time"], list(a.todo_notes.all()))
        for a in appointments
        if not _resolved_after_news(a)
    ]
