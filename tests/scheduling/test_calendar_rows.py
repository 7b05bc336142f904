"""The one load behind every search and fit: PostgreSQL's written-out query gives exactly the
rows of the portable ORM one (which SQLite runs), edges included, a resource's live
reservations merged into stretches."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction

from scheduling import services
from tests.factories import ReservationFactory, ResourceFactory, UnavailabilityFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
NY = ZoneInfo("America/New_York")
START = datetime(2027, 1, 11, 0, tzinfo=NY)  # Monday
END = START + timedelta(days=7)


def rows(function, ids, exclude_holder=None, now=None):
    return sorted(tuple(row) for row in function(ids, START, END, exclude_holder, now or START))


def test_postgres_and_portable_loads_give_the_same_rows():
    assert connection.vendor == "postgresql"
    room, doctor, elsewhere = ResourceFactory(), ResourceFactory(), ResourceFactory()
    UnavailabilityFactory(resource=doctor, start=START + timedelta(days=1), end=START + timedelta(days=2))
    UnavailabilityFactory(resource=doctor, start=START - timedelta(days=3), end=START)  # ends as the period starts
    UnavailabilityFactory(resource=elsewhere, start=START + timedelta(days=1), end=START + timedelta(days=2))
    inside = START + timedelta(days=2, hours=10)
    ReservationFactory(resource=room, start=inside, end=inside + timedelta(minutes=45), holder="appointment:1")
    ReservationFactory(resource=doctor, start=inside, end=inside + timedelta(minutes=45), holder="appointment:1")
    ReservationFactory(
        resource=room, start=END - timedelta(minutes=30), end=END + timedelta(minutes=15)
    )  # across the end
    ReservationFactory(resource=doctor, start=END, end=END + timedelta(minutes=45))  # starts as it ends
    ReservationFactory(
        resource=room,
        start=inside - timedelta(hours=2),
        end=inside - timedelta(hours=1),
        active=False,
        released_at=inside,
    )
    ReservationFactory(
        resource=doctor, start=inside + timedelta(hours=1), end=inside + timedelta(hours=2), expires_at=inside
    )
    ids = {room.pk, doctor.pk}

    written_out = rows(services._calendar_rows_postgres, ids)
    assert written_out == rows(services._calendar_rows_portable, ids)
    assert sorted(kind for kind, *_ in written_out).count("booked") == 4  # the expired hold too
    assert sorted(kind for kind, *_ in written_out).count("away") == 1
    assert {rid for _, rid, *_ in written_out} == ids
    assert rows(services._calendar_rows_postgres, ids, "appointment:1") == rows(
        services._calendar_rows_portable, ids, "appointment:1"
    )
    assert len(rows(services._calendar_rows_postgres, ids, "appointment:1")) == len(written_out) - 2


def test_no_reservation_lasts_over_a_day_which_the_load_relies_on():
    # The written-out load reads a window's reservations from its start less a day.
    resource = ResourceFactory()
    ReservationFactory(resource=resource, start=START, end=START + timedelta(days=1))
    with pytest.raises(IntegrityError, match="reservation_at_most_a_day"), transaction.atomic():
        ReservationFactory(resource=resource, start=END, end=END + timedelta(days=1, minutes=1))


def test_a_day_long_reservation_started_the_day_before_is_in_the_window():
    resource = ResourceFactory()
    ReservationFactory(
        resource=resource, start=START - timedelta(days=1) + timedelta(minutes=1), end=START + timedelta(minutes=1)
    )
    ids = {resource.pk}

    assert [kind for kind, *_ in rows(services._calendar_rows_postgres, ids)].count("booked") == 1
    assert rows(services._calendar_rows_postgres, ids) == rows(services._calendar_rows_portable, ids)


def test_back_to_back_reservations_come_as_one_stretch_and_expired_holds_alone():
    room, doctor = ResourceFactory(), ResourceFactory()
    nine = START + timedelta(days=1, hours=9)
    for minutes in (0, 45, 90):  # three 45-minute exams back to back: 09:00-11:15
        ReservationFactory(
            resource=room, start=nine + timedelta(minutes=minutes), end=nine + timedelta(minutes=minutes + 45)
        )
    ReservationFactory(resource=room, start=nine + timedelta(hours=3), end=nine + timedelta(hours=4))  # 12:00-13:00
    ReservationFactory(resource=doctor, start=nine, end=nine + timedelta(hours=1))
    ReservationFactory(resource=doctor, start=nine + timedelta(hours=1), end=nine + timedelta(hours=2))
    ReservationFactory(  # a hold still valid: merged with the rest
        resource=doctor, start=nine + timedelta(hours=2), end=nine + timedelta(hours=3), expires_at=nine
    )
    ReservationFactory(  # a hold expired by then: on its own row, with its expiry
        resource=room,
        start=nine + timedelta(hours=5),
        end=nine + timedelta(hours=6),
        expires_at=nine - timedelta(hours=1),
    )
    ids, now = {room.pk, doctor.pk}, nine - timedelta(minutes=30)

    written_out = rows(services._calendar_rows_postgres, ids, now=now)

    assert written_out == rows(services._calendar_rows_portable, ids, now=now)
    booked = sorted((rid, s, e, expires) for kind, rid, _, _, _, s, e, expires in written_out if kind == "booked")
    assert booked == sorted(
        [
            (room.pk, nine, nine + timedelta(minutes=135), None),
            (room.pk, nine + timedelta(hours=3), nine + timedelta(hours=4), None),
            (room.pk, nine + timedelta(hours=5), nine + timedelta(hours=6), nine - timedelta(hours=1)),
            (doctor.pk, nine, nine + timedelta(hours=3), None),
        ]
    )
