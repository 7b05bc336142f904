"""The engine's one call for a booking at a given start: fit(), with each of its answers."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.services import Refusal, Requirement, fit
from tests.factories import ReservationFactory, ResourceFactory, UnavailabilityFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, tzinfo=NY)  # Monday
WEDNESDAY_10 = datetime(2027, 1, 13, 10, tzinfo=NY)
MIN45 = timedelta(minutes=45)


@pytest.fixture
def team():
    """Two rooms (15 minutes' turnover) and two radiologists, all Mon–Fri 08:00–17:00."""
    rooms = [ResourceFactory(name="Room A"), ResourceFactory(name="Room B")]
    doctors = [ResourceFactory(name="Dr A"), ResourceFactory(name="Dr B")]
    requirements = [Requirement("room", rooms, extra_minutes=15), Requirement("radiologist", doctors)]
    return rooms, doctors, requirements


def test_a_free_start_fits_with_the_first_candidate_of_each_requirement_and_the_holds_to_reserve(team):
    rooms, doctors, requirements = team
    answer = fit(requirements=requirements, start=WEDNESDAY_10, duration=MIN45)
    assert answer and answer.refusal is None
    assert answer.slot.resources == {"room": rooms[0], "radiologist": doctors[0]}
    assert (answer.slot.start, answer.slot.end) == (WEDNESDAY_10, WEDNESDAY_10 + MIN45)
    # The room is held for its turnover too; the radiologist only for the procedure.
    assert answer.holds == (
        (rooms[0], WEDNESDAY_10, WEDNESDAY_10 + timedelta(minutes=60)),
        (doctors[0], WEDNESDAY_10, WEDNESDAY_10 + MIN45),
    )


def test_a_candidate_held_by_another_booking_is_passed_over_for_the_next_free_one(team):
    rooms, doctors, requirements = team
    ReservationFactory(resource=rooms[0], start=WEDNESDAY_10, end=WEDNESDAY_10 + MIN45)
    answer = fit(requirements=requirements, start=WEDNESDAY_10, duration=MIN45)
    assert answer.slot.resources["room"] == rooms[1]


def test_a_start_every_candidate_of_which_is_booked_is_refused_as_taken(team):
    rooms, _, requirements = team
    for room in rooms:
        ReservationFactory(resource=room, start=WEDNESDAY_10 - MIN45, end=WEDNESDAY_10 + timedelta(minutes=5))
    answer = fit(requirements=requirements, start=WEDNESDAY_10, duration=MIN45)
    assert not answer
    assert (answer.refusal, answer.requirement, answer.holds) == (Refusal.TAKEN, None, ())


def test_a_booking_over_the_turnover_alone_makes_the_start_taken(team):
    rooms, _, requirements = team
    for room in rooms:
        ReservationFactory(
            resource=room, start=WEDNESDAY_10 + MIN45 + timedelta(minutes=5), end=WEDNESDAY_10 + 2 * MIN45
        )
    assert fit(requirements=requirements, start=WEDNESDAY_10, duration=MIN45).refusal == Refusal.TAKEN


def test_the_holder_being_moved_does_not_stand_in_its_own_way(team):
    rooms, _, requirements = team
    for room in rooms:
        ReservationFactory(resource=room, start=WEDNESDAY_10, end=WEDNESDAY_10 + MIN45, holder="appointment:7")
    answer = fit(requirements=requirements, start=WEDNESDAY_10, duration=MIN45, exclude_holder="appointment:7")
    assert answer.slot.resources["room"] == rooms[0]


def test_a_start_after_working_hours_is_refused_as_outside_hours_naming_the_requirement(team):
    _, _, requirements = team
    answer = fit(requirements=requirements, start=WEDNESDAY_10.replace(hour=16, minute=30), duration=MIN45)
    assert (answer.refusal, answer.requirement) == (Refusal.OUTSIDE_HOURS, "room")


def test_a_saturday_start_is_outside_hours():
    room = ResourceFactory()
    answer = fit(requirements=[Requirement("room", [room])], start=datetime(2027, 1, 16, 10, tzinfo=NY), duration=MIN45)
    assert answer.refusal == Refusal.OUTSIDE_HOURS


def test_a_start_while_every_candidate_is_on_time_off_is_refused_as_away_naming_the_requirement(team):
    _, doctors, requirements = team
    for doctor in doctors:
        UnavailabilityFactory(
            resource=doctor, start=WEDNESDAY_10 - timedelta(hours=1), end=WEDNESDAY_10 + timedelta(hours=3)
        )
    answer = fit(requirements=requirements, start=WEDNESDAY_10, duration=MIN45)
    assert (answer.refusal, answer.requirement) == (Refusal.AWAY, "radiologist")


def test_a_requirement_that_can_never_be_met_then_is_named_rather_than_a_booked_one(team):
    rooms, doctors, requirements = team
    for room in rooms:
        ReservationFactory(resource=room, start=WEDNESDAY_10, end=WEDNESDAY_10 + MIN45)
    for doctor in doctors:
        UnavailabilityFactory(resource=doctor, start=WEDNESDAY_10, end=WEDNESDAY_10 + timedelta(hours=1))
    answer = fit(requirements=requirements, start=WEDNESDAY_10, duration=MIN45)
    assert (answer.refusal, answer.requirement) == (Refusal.AWAY, "radiologist")


def test_a_requirement_without_candidates_is_outside_hours():
    answer = fit(requirements=[Requirement("room", [])], start=WEDNESDAY_10, duration=MIN45)
    assert (answer.refusal, answer.requirement) == (Refusal.OUTSIDE_HOURS, "room")


def test_fit_reads_free_time_once_whatever_the_answer(team, django_assert_num_queries):
    rooms, doctors, requirements = team
    ReservationFactory(resource=rooms[0], start=WEDNESDAY_10, end=WEDNESDAY_10 + MIN45)
    UnavailabilityFactory(resource=doctors[0], start=WEDNESDAY_10, end=WEDNESDAY_10 + timedelta(hours=1))
    with django_assert_num_queries(1):  # working hours, time off and reservations, one UNION ALL
        assert fit(requirements=requirements, start=WEDNESDAY_10, duration=MIN45)
    with django_assert_num_queries(1):
        assert fit(requirements=requirements, start=WEDNESDAY_10.replace(hour=18), duration=MIN45).refusal
