"""The technologists' and nurses' 07:00 digest of their day: planned as outbox rows by a
beat-ticked task, its content read when it is sent."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.urls import reverse

from notifications import services as outbox
from notifications.models import Message
from radiology.models import Appointment, AppointmentStatus, StaffMember
from radiology.services.reminders import staff_address
from scheduling.clinic_time import clinic_zone, local_day_bounds, local_today

S = AppointmentStatus
M = Message.Status
DIGEST_PREFIX = "digest"

DIGEST_USEFUL_HOURS = 5  # a digest not out by noon is skipped: the day is under way


def _digest_time():
    hours, minutes = settings.STAFF_DIGEST_TIME.split(":")
    return datetime.min.time().replace(hour=int(hours), minute=int(minutes))


def plan_staff_digests(*, now, days_ahead: int = 1) -> int:
    """Plan, as rows, the 07:00 digest of each working day (today and the next) for every
    technologist and nurse who works that day. Idempotent: one row per day and person."""
    zone = clinic_zone()
    today = local_today(now)
    messages = []
    for offset in range(days_ahead + 1):
        day = today + timedelta(days=offset)
        due = datetime.combine(day, _digest_time(), tzinfo=zone).astimezone(UTC)
        useful_until = due + timedelta(hours=DIGEST_USEFUL_HOURS)
        staff = (
            StaffMember.objects.filter(
                role__in=StaffMember.ASSISTING_ROLES,
                user__is_active=True,
                resource__working_hours__weekday=day.weekday(),
            )
            .exclude(resource__unavailabilities__start__lte=due, resource__unavailabilities__end__gt=due)
            .select_related("user")
            .distinct()
        )
        for member in staff:
            address = staff_address(member)
            if address is None:
                continue
            late = now >= useful_until
            messages.append(
                Message(
                    subject=f"{DIGEST_PREFIX}:{day.isoformat()}",
                    audience=Message.Audience.STAFF,
                    recipient=address[1],
                    channel=address[0],
                    kind="staff_digest",
                    context={
                        "day_at": due.isoformat(),
                        "tz": settings.CLINIC_TIME_ZONE,
                        "clinic_name": settings.CLINIC_NAME,
                    },
                    due_at=max(due, now) if not late else due,
                    expires_at=useful_until,
                    status=M.SKIPPED if late else M.SCHEDULED,
                    last_error="Planned after the morning it was for." if late else "",
                    idempotency_key=f"{DIGEST_PREFIX}:{day.isoformat()}:{member.pk}",
                )
            )
    outbox.schedule_messages(messages=messages)
    return len(messages)


def digest_context(message) -> dict:
    """The day's list as it stands when the digest is sent: times, rooms, states; no names."""

    day = datetime.fromisoformat(message.subject.removeprefix(f"{DIGEST_PREFIX}:")).date()
    start, end = local_day_bounds(day)
    appointments = (
        Appointment.objects.filter(start__gte=start, start__lt=end)
        .exclude(status=S.CANCELLED)
        .select_related("room")
        .order_by("start")
    )
    items = [
        {"time": f"{a.local_start:%H:%M}", "room": a.room.name, "status": a.get_status_display()} for a in appointments
    ]
    path = reverse("radiology:day_list")
    return {"items": items, "count": len(items), "link": settings.SITE_URL.rstrip("/") + path}
