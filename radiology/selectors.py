"""Read-only queries for pages and the API. Each list runs a fixed number of queries."""

from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch, QuerySet

from radiology.models import Appointment, AppointmentTransition, clinic_zone

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


def appointment_with_history(pk: int) -> Appointment:
    return (
        Appointment.objects.select_related(*APPOINTMENT_RELATED, "booked_by", "outcome", "follow_up_plan", "checklist")
        .prefetch_related(Prefetch("transitions", queryset=AppointmentTransition.objects.select_related("actor")))
        .get(pk=pk)
    )
