"""Read-only queries for pages and the API. Each list runs a fixed number of queries."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from notifications.models import Message
from radiology.models import UPCOMING, Appointment, AppointmentTransition, ReadinessResponse

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


def appointment_with_history(pk: int) -> Appointment:
    return (
        Appointment.objects.select_related(*APPOINTMENT_RELATED, "booked_by", "outcome", "follow_up_plan", "checklist")
        .prefetch_related(Prefetch("transitions", queryset=AppointmentTransition.objects.select_related("actor")))
        .get(pk=pk)
    )


# --- an appointment's messages and answers ---


def appointment_messages(appointment) -> list[Message]:
    """Every planned and sent message of the appointment, oldest due first (for its page)."""
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


@dataclass
class TodoItem:
    appointment: Appointment
    reasons: list[str]


def _latest(field: str):
    return Subquery(
        ReadinessResponse.objects.filter(appointment=OuterRef("pk")).order_by("-answered_at").values(field)[:1]
    )


def scheduler_todo(*, now) -> list[TodoItem]:
    """Upcoming appointments that need a scheduler, soonest first (two queries in all)."""
    appointments = (
        Appointment.objects.filter(status__in=UPCOMING, start__gte=now, start__lt=now + LOOK_AHEAD)
        .select_related("patient", "room")
        .annotate(
            discharge_present=_latest("discharge_present"),
            expressed=_latest("expressed_last_48h"),
            contrast=_latest("contrast_allergy"),
        )
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
        if reasons:
            items.append(TodoItem(appointment, reasons))
    return items
