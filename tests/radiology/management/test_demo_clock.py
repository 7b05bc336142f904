"""The demo department agrees with the clock: today shows patients done, in the room,
waiting and late, and nothing has happened later than now."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Q

from radiology.models import UPCOMING, Appointment, ReadinessResponse
from scheduling.clinic_time import local_day_bounds

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


def seed_at(moment):
    with time_machine.travel(moment, tick=False):
        call_command("seed_demo", stdout=StringIO())


def nothing_after(now):
    later = Q(checked_in_at__gt=now) | Q(started_at__gt=now) | Q(completed_at__gt=now)
    assert not Appointment.objects.filter(later).exists()
    assert not ReadinessResponse.objects.filter(answered_at__gt=now).exists()


def test_at_eleven_today_has_done_in_procedure_waiting_and_late_patients(settings):
    settings.DEMO_PASSWORD = "demo-pass-for-test"
    now = datetime(2027, 1, 13, 11, 2, tzinfo=NY)  # a Wednesday
    seed_at(now)
    start, end = local_day_bounds(now.date())
    today = Appointment.objects.filter(start__gte=start, start__lt=end)
    states = set(today.values_list("status", flat=True))
    assert {"completed", "in_procedure", "checked_in"} <= states
    late = [a for a in today.filter(status__in=UPCOMING) if a.start + timedelta(minutes=10) <= now]
    assert late
    assert not today.filter(status__in=["completed", "follow_up", "incomplete"], start__gt=now).exists()
    nothing_after(now)
    upcoming = Appointment.objects.filter(start__gt=now)
    assert upcoming.filter(patient_confirmed_at__isnull=False).exists()
    assert ReadinessResponse.objects.filter(appointment__start__gt=now).exists()


def test_seeded_in_the_evening_nothing_is_later_than_now(settings):
    settings.DEMO_PASSWORD = "demo-pass-for-test"
    now = datetime(2027, 1, 13, 19, 30, tzinfo=NY)
    seed_at(now)
    nothing_after(now)
    start, end = local_day_bounds(now.date())
    assert Appointment.objects.filter(start__gte=start, start__lt=end, status="completed").exists()
