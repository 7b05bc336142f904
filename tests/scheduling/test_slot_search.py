"""Slot search against hand-worked cases, in the clinic's zone (America/New_York)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.services import Requirement, find_slots
from tests.factories import ReservationFactory, ResourceFactory, UnavailabilityFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
MONDAY = datetime(2027, 1, 11, tzinfo=NY)  # an ordinary winter Monday
MIN45 = timedelta(minutes=45)


def local(day, hh, mm=0):
    return day.replace(hour=hh, minute=mm)


def search(requirements, day=MONDAY, **kwargs):
    kwargs.setdefault("limit", 200)
    return find_slots(requirements=requirements, start=day, end=day + timedelta(days=1), duration=MIN45, **kwargs)


def starts(slots):
    return [s.start.astimezone(NY).strftime("%H:%M") for s in slots]


def test_starts_fill_working_hours_on_a_15_minute_grid():
    room = ResourceFactory()
    slots = search([Requirement("room", [room])])
    assert starts(slots)[0] == "08:00"
    assert starts(slots)[-1] == "16:15"  # ends exactly at 17:00
    assert len(slots) == 34


def test_no_starts_on_a_day_without_working_hours():
    room = ResourceFactory()  # Monday to Friday
    assert search([Requirement("room", [room])], day=MONDAY - timedelta(days=1)) == []


def test_time_off_for_part_of_a_day_removes_the_starts_it_touches():
    room = ResourceFactory()
    UnavailabilityFactory(resource=room, start=local(MONDAY, 10), end=local(MONDAY, 12))
    found = starts(search([Requirement("room", [room])]))
    assert "09:15" in found and "09:30" not in found and "11:45" not in found and "12:00" in found


def test_an_existing_reservation_blocks_overlapping_starts_only():
    room = ResourceFactory()
    ReservationFactory(resource=room, start=local(MONDAY, 13), end=local(MONDAY, 13, 45))
    found = starts(search([Requirement("room", [room])]))
    assert "12:15" in found and "12:30" not in found and "13:30" not in found and "13:45" in found


def test_a_released_reservation_blocks_nothing():
    room = ResourceFactory()
    ReservationFactory(
        resource=room, start=local(MONDAY, 13), end=local(MONDAY, 14), active=False, released_at=local(MONDAY, 7)
    )
    assert "13:00" in starts(search([Requirement("room", [room])]))


def test_turnover_keeps_the_room_free_after_the_procedure():
    room = ResourceFactory()
    ReservationFactory(resource=room, start=local(MONDAY, 13), end=local(MONDAY, 14))  # 45 min + 15 turnover
    found = starts(search([Requirement("room", [room], extra_minutes=15)]))
    assert "12:00" in found  # 12:00–12:45 + turnover to 13:00
    assert "12:15" not in found
    assert "14:00" in found
    assert found[-1] == "16:00"  # 16:00 + 45 + 15 = 17:00


def test_the_grid_aligns_to_the_local_clock():
    room = ResourceFactory(weekday_hours=[(0, time(8, 10), time(17))])
    found = starts(search([Requirement("room", [room])], grid=timedelta(minutes=30)))
    assert found[:2] == ["08:30", "09:00"]


def test_the_lead_time_bound_moves_the_first_start():
    room = ResourceFactory()
    found = starts(search([Requirement("room", [room])], not_before=local(MONDAY, 11, 5)))
    assert found[0] == "11:15"


def test_the_three_resources_must_all_be_free_together():
    room = ResourceFactory(weekday_hours=[(0, time(8), time(12))])
    radiologist = ResourceFactory(weekday_hours=[(0, time(10), time(17))])
    technologist = ResourceFactory(weekday_hours=[(0, time(11), time(15))])
    slots = search(
        [Requirement("room", [room]), Requirement("radiologist", [radiologist]), Requirement("tech", [technologist])]
    )
    assert starts(slots) == ["11:00", "11:15"]
    assert slots[0].resources == {"room": room, "radiologist": radiologist, "tech": technologist}


def test_the_first_free_candidate_of_each_requirement_is_chosen():
    busy, free = ResourceFactory(), ResourceFactory()
    ReservationFactory(resource=busy, start=local(MONDAY, 8), end=local(MONDAY, 9))
    slot = search([Requirement("tech", [busy, free])], limit=1)[0]
    assert slot.resources["tech"] == free
    later = search([Requirement("tech", [busy, free])])
    assert next(s for s in later if starts([s]) == ["09:00"]).resources["tech"] == busy


def test_extra_busy_periods_such_as_the_patients_other_visits_block_starts():
    room = ResourceFactory()
    found = starts(search([Requirement("room", [room])], extra_busy=[(local(MONDAY, 9), local(MONDAY, 10))]))
    assert "08:15" in found and "08:30" not in found and "10:00" in found


def test_the_limit_returns_the_earliest_starts_in_order():
    room = ResourceFactory()
    slots = search([Requirement("room", [room])], limit=3)
    assert starts(slots) == ["08:00", "08:15", "08:30"]


@pytest.mark.parametrize(
    ("day", "utc_hour_of_0800", "note"),
    [
        (datetime(2026, 3, 7, tzinfo=NY), 13, "the Saturday before spring-forward: EST"),
        (datetime(2026, 3, 8, tzinfo=NY), 12, "spring-forward Sunday: EDT from 03:00"),
        (datetime(2026, 10, 31, tzinfo=NY), 12, "the Saturday before fall-back: EDT"),
        (datetime(2026, 11, 1, tzinfo=NY), 13, "fall-back Sunday: EST from 02:00"),
    ],
)
def test_working_hours_keep_their_wall_clock_on_dst_change_days(day, utc_hour_of_0800, note):
    room = ResourceFactory(weekday_hours=[(day.weekday(), time(8), time(17))])
    slots = search([Requirement("room", [room])], day=day)
    assert slots[0].start.astimezone(UTC).hour == utc_hour_of_0800, note
    assert starts(slots)[0] == "08:00" and starts(slots)[-1] == "16:15"
    assert len(slots) == 34  # the same day's worth of starts whatever the clock does at 02:00
    assert all(b.start - a.start == timedelta(minutes=15) for a, b in zip(slots, slots[1:], strict=False))
