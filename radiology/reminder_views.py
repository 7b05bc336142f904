"""The schedulers' to-do list: patients who asked for another time, have not confirmed, or
answered the readiness questions in a way that needs a call."""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import OuterRef, Subquery
from django.shortcuts import render
from django.utils import timezone

from radiology.models import UPCOMING, Appointment, ReadinessResponse

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


@login_required
@permission_required("radiology.book_appointment", raise_exception=True)
def todo(request):
    return render(request, "radiology/reminders_todo.html", {"items": scheduler_todo(now=timezone.now())})
