"""The no-expression advice follows the catalog's window and the clock: "starting <day,
time>" while the window is days away, "from <day, time>" when it opens soon, "from now"
once it is open; never "from now" six days ahead."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache

from radiology.services.patient_links import patient_path
from radiology.services.portal import no_expression_advice
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
START = datetime(2027, 3, 10, 10, 0, tzinfo=NY)  # a Wednesday


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


@pytest.fixture
def appointment():
    return AppointmentFactory(start=START, end=START + timedelta(minutes=45))


def page(client, appointment, now):
    with time_machine.travel(now, tick=False):
        return client.get(patient_path(appointment.pk)).text


def test_six_days_ahead_she_is_told_when_to_start(client, appointment):
    text = page(client, appointment, START - timedelta(days=6))

    assert "Starting Monday 8 March, 10:00 (48 hours before your appointment)" in text
    assert "From now until your appointment" not in text


def test_the_day_before_the_window_opens_she_is_told_from_when(client, appointment):
    text = page(client, appointment, START - timedelta(hours=60))

    assert "From Monday 8 March, 10:00 until your appointment, please do not squeeze" in text


def test_inside_the_window_it_is_from_now(client, appointment):
    text = page(client, appointment, START - timedelta(hours=30))

    assert "From now until your appointment, please do not squeeze" in text


def test_after_the_start_there_is_no_advice(appointment):
    assert no_expression_advice(appointment, now=START + timedelta(minutes=1)) is None


def test_the_window_is_read_from_the_catalog(appointment):
    appointment.procedure.no_expression_window_max_hours = 36

    advice = no_expression_advice(appointment, now=START - timedelta(days=6))

    assert (advice.kind, advice.at, advice.hours) == ("starting", START - timedelta(hours=36), 36)


def test_the_window_counts_real_hours_across_the_clock_change():
    # US clocks go forward early on Sunday 14 March 2027: 48 real hours before Monday 10:00
    # is Saturday 09:00 local, not 10:00.
    start = datetime(2027, 3, 15, 10, 0, tzinfo=NY)
    appointment = AppointmentFactory(start=start, end=start + timedelta(minutes=45))

    advice = no_expression_advice(appointment, now=start - timedelta(days=5))

    assert advice.at.astimezone(NY).replace(tzinfo=None) == datetime(2027, 3, 13, 9, 0)
