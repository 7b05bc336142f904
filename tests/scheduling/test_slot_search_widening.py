"""find_slots reads its range a window at a time (7 days, then 14, 28, …) and gives the answers
of one search over the whole range: checked against that search, the engine's old loop."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from scheduling import services
from scheduling.services import Requirement, Slot, find_slots
from tests.factories import ReservationFactory, ResourceFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
MONDAY = datetime(2027, 1, 11, tzinfo=NY)  # an ordinary winter Monday
MIN45 = timedelta(minutes=45)
EVERY_DAY = [(d, time(8), time(17)) for d in range(7)]


def whole_range(requirements, start, end, duration, limit, grid=timedelta(minutes=15)):
    """One load of the whole range, every grid start asked of every candidate (before issue 24)."""
    padding = timedelta(minutes=max(r.extra_minutes for r in requirements)) + duration
    free = services._FreeTime([c for r in requirements for c in r.candidates], start, end + padding)
    slots = []
    for moment in services.grid_starts(start, end, grid):
        chosen = services._pick(requirements, moment, moment + duration, free)
        if chosen is not None:
            slots.append(Slot(start=moment, end=moment + duration, resources=chosen))
            if len(slots) >= limit:
                break
    return slots


def answers(slots):
    return [(s.start, s.end, {label: r.pk for label, r in s.resources.items()}) for s in slots]


def team(hours=None, extra_minutes=0):
    room, radiologist = ResourceFactory(weekday_hours=hours), ResourceFactory(weekday_hours=hours)
    technologists = [ResourceFactory(weekday_hours=hours), ResourceFactory(weekday_hours=hours)]
    return [
        Requirement("room", [room], extra_minutes=extra_minutes),
        Requirement("radiologist", [radiologist]),
        Requirement("technologist", technologists),
    ]


def fill(resource, first_day, days, keep=()):
    """Book every day's 08:00–17:00 of `resource` for `days` days but the (day, hour) in `keep`."""
    for day in range(days):
        for hour in range(8, 17):
            if (day, hour) not in keep:
                start = (first_day + timedelta(days=day)).replace(hour=hour)
                ReservationFactory(resource=resource, start=start, end=start + timedelta(hours=1))


def block_until(resource, start, end):
    """Reservations back to back over [start, end), none over a day (the database's rule)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    while start < end:
        ReservationFactory(resource=resource, start=start, end=min(start + timedelta(hours=12), end))
        start += timedelta(hours=12)


def search(requirements, start, days, limit=20, duration=MIN45):
    end = start + timedelta(days=days)
    return find_slots(requirements=requirements, start=start, end=end, duration=duration, limit=limit)


def test_a_full_first_week_gives_the_answers_of_one_search_over_the_whole_range(django_assert_num_queries):
    requirements = team()
    fill(requirements[0].candidates[0], MONDAY, 9, keep={(2, 10)})  # one free hour in the first week
    fill(requirements[2].candidates[0], MONDAY, 16)  # the first technologist busy into week 3
    with django_assert_num_queries(2):  # the first week, then the next 14 days
        found = search(requirements, MONDAY, 30)
    assert answers(found) == answers(whole_range(requirements, MONDAY, MONDAY + timedelta(days=30), MIN45, 20))
    assert [s.start for s in found[:2]] == [MONDAY.replace(day=13, hour=10), MONDAY.replace(day=13, hour=10, minute=15)]
    assert found[2].start.astimezone(NY).date() == MONDAY.replace(day=20).date()  # the next free day, in week 2
    assert {s.resources["technologist"] for s in found} == {requirements[2].candidates[1]}


def test_a_limit_reached_in_the_first_week_reads_free_time_once(django_assert_num_queries):
    requirements = team()
    with django_assert_num_queries(1):
        found = search(requirements, MONDAY, 30)
    assert len(found) == 20
    assert answers(found) == answers(whole_range(requirements, MONDAY, MONDAY + timedelta(days=30), MIN45, 20))


def test_the_end_reached_before_the_limit_gives_every_start_there_is(django_assert_num_queries):
    requirements = team()
    with django_assert_num_queries(2):  # 7 days, then the 3 left
        found = search(requirements, MONDAY, 10, limit=1000)
    assert len(found) == 8 * 34  # eight weekdays of 08:00–16:15 starts
    assert answers(found) == answers(whole_range(requirements, MONDAY, MONDAY + timedelta(days=10), MIN45, 1000))


@pytest.mark.parametrize(
    "first_day",
    [datetime(2026, 3, 1, tzinfo=NY), datetime(2026, 10, 25, tzinfo=NY)],
    ids=["spring-forward on the second window's first night", "fall-back on the second window's first night"],
)
def test_a_search_across_a_dst_change_gives_the_answers_of_one_search(first_day):
    night = [(d, time(0, 30), time(4)) for d in range(7)]  # the clock changes at 02:00
    requirements = team(hours=night + EVERY_DAY)
    room = requirements[0].candidates[0]
    block_until(room, first_day, first_day + timedelta(days=7))  # the first window
    with time_machine.travel(first_day - timedelta(days=1), tick=False):
        found = search(requirements, first_day, 30, limit=60)
        expected = whole_range(requirements, first_day, first_day + timedelta(days=30), MIN45, 60)
    assert answers(found) == answers(expected)
    assert found[0].start.astimezone(NY).date() == (first_day + timedelta(days=7)).date()  # the DST Sunday


def test_the_rooms_turnover_counts_at_the_end_of_a_window():
    late = [(6, time(22), time(23, 59))]  # Sundays 22:00–23:59; the first window ends at Sunday's midnight
    requirements = team(hours=late, extra_minutes=15)
    sunday = MONDAY + timedelta(days=6)
    room = requirements[0].candidates[0]
    ReservationFactory(resource=room, start=sunday.replace(hour=23, minute=40), end=sunday.replace(hour=23, minute=59))
    found = search(requirements, MONDAY, 14, duration=timedelta(minutes=30))
    expected = whole_range(requirements, MONDAY, MONDAY + timedelta(days=14), timedelta(minutes=30), 20)
    assert answers(found) == answers(expected)
    first_sunday = [
        s.start.astimezone(NY).strftime("%H:%M") for s in found if s.start.astimezone(NY).date() == sunday.date()
    ]
    assert first_sunday == ["22:00", "22:15", "22:30", "22:45"]  # 23:00 + 30 min + 15 turnover reaches 23:45
