"""SMS quiet hours: a message due inside them is deferred to their end, never dropped."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings


def _parse(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def quiet_window() -> tuple[time, time]:
    return _parse(settings.SMS_QUIET_HOURS_START), _parse(settings.SMS_QUIET_HOURS_END)


def out_of_quiet_hours(moment: datetime, *, zone: ZoneInfo | None = None) -> datetime:
    """The first instant at or after `moment` outside the quiet hours (local wall clock)."""
    zone = zone or ZoneInfo(settings.NOTIFICATIONS_TIME_ZONE)
    start, end = quiet_window()
    if start == end:
        return moment
    local = moment.astimezone(zone)
    now = local.time()
    if start < end:
        quiet, day = start <= now < end, local.date()
    else:  # spans midnight, e.g. 21:00–08:00
        quiet = now >= start or now < end
        day = local.date() + timedelta(days=1) if now >= start else local.date()
    if not quiet:
        return moment
    return datetime.combine(day, end, tzinfo=zone).astimezone(UTC)
