"""The clinic's local time: its zone, today's date there, and a local day's bounds.

Everything inside is an aware UTC datetime; the clinic's zone (CLINIC_TIME_ZONE) is used only
at the edges: working hours, wall-clock reminders, pages and messages. This module is the one
place that knows how to get from one to the other."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(settings.CLINIC_TIME_ZONE)


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(clinic_zone())


def local_today(now: datetime | None = None) -> date:
    """The clinic's date now (or at `now`), which is not the server's or UTC's date."""
    return to_local(now or timezone.now()).date()


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The instants at which a local clinic day starts and ends (23 or 25 h on DST days)."""
    zone = clinic_zone()
    return datetime.combine(day, time.min, tzinfo=zone), datetime.combine(
        day + timedelta(days=1), time.min, tzinfo=zone
    )


def local_datetime(day: date, wall: time) -> datetime:
    """A wall-clock time on a local date; a time in the spring-forward gap falls an hour later."""
    return datetime.combine(day, wall, tzinfo=clinic_zone())
