"""Real threads on PostgreSQL: however many clerks click at once, one booking per slot."""

import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction

from radiology.errors import ServiceRefusal
from radiology.models import Appointment
from radiology.services.booking import book_appointment
from radiology.services.rescheduling import reschedule_appointment
from scheduling.models import Reservation
from tests.factories import PatientFactory, StaffMemberFactory, small_department
from tests.race import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, tzinfo=NY)
SLOT = datetime(2027, 1, 13, 10, tzinfo=NY)


def run_together(count, work):
    return race(*[lambda i=i: work(i) for i in range(count)], timeout=60)


def _wait_for_blocked_backends(count, timeout=30):
    """Until `count` other connections to this database wait on a lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction PostgreSQL keeps showing its first look at the statistics.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.05)
    raise AssertionError(f"{count} bookings never queued up behind the reservations lock")


def run_after_all_have_chosen(count, work):
    """Run `work` in `count` threads so that every one has picked its room and people before
    any of them holds them: the reservations table is share-locked (searches read it, inserts
    wait) until all of them wait on a lock, so the race is lost every time, not only sometimes.
    (A later clerk may wait on the first one's appointment row instead; it has chosen too.)"""
    results = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE scheduling_reservation IN SHARE MODE")
        clerks = threading.Thread(target=lambda: results.extend(run_together(count, work)))
        clerks.start()
        _wait_for_blocked_backends(count)
    clerks.join(timeout=60)
    return results


def test_twenty_clients_booking_the_same_slot_get_one_booking_and_nineteen_clear_conflicts(galactogram):
    with time_machine.travel(NOW, tick=False):
        small_department(rooms=1, radiologists=1, technologists=1)
        scheduler = StaffMemberFactory(scheduler=True).user
        patients = [PatientFactory() for _ in range(20)]
        results = run_together(
            20,
            lambda i: book_appointment(
                patient=patients[i], procedure=galactogram, start=SLOT, duration_minutes=45, actor=scheduler
            ),
        )
    booked = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, ServiceRefusal)]
    assert len(booked) == 1 and len(refused) == 19
    assert {(r.code, r.message) for r in refused} == {
        ("conflict", "That time was just taken. Here are the next free times.")
    }
    assert all(r.suggestions and r.suggestions[0].start > SLOT for r in refused)
    assert Appointment.objects.count() == 1
    per_resource = Reservation.objects.filter(active=True).values_list("resource", flat=True)
    assert len(per_resource) == 3 and len(set(per_resource)) == 3


def test_a_clerk_who_loses_the_reservation_race_in_the_database_is_booked_with_the_other_free_team(galactogram):
    # Both clerks leave room and people open and pick the same first team; the exclusion
    # constraint refuses the loser's reservations, and booking must try the next free team.
    with time_machine.travel(NOW, tick=False):
        small_department(rooms=2, radiologists=2, technologists=2)
        scheduler = StaffMemberFactory(scheduler=True).user
        patients = [PatientFactory(), PatientFactory()]
        results = run_after_all_have_chosen(
            2,
            lambda i: book_appointment(
                patient=patients[i], procedure=galactogram, start=SLOT, duration_minutes=45, actor=scheduler
            ),
        )
    assert all(isinstance(r, Appointment) for r in results), results
    first, second = results
    assert first.start == second.start == SLOT
    assert first.room != second.room
    assert first.radiologist != second.radiologist
    assert first.technologist != second.technologist
    assert Reservation.objects.filter(active=True, start=SLOT).count() == 6


def test_two_reschedules_into_the_same_free_slot_one_wins(galactogram):
    with time_machine.travel(NOW, tick=False):
        small_department(rooms=1, radiologists=1, technologists=1)
        scheduler = StaffMemberFactory(scheduler=True).user
        appointments = [
            book_appointment(
                patient=PatientFactory(),
                procedure=galactogram,
                start=SLOT + timedelta(hours=h),
                duration_minutes=45,
                actor=scheduler,
            )
            for h in (1, 3)
        ]
        results = run_together(
            2, lambda i: reschedule_appointment(appointment_id=appointments[i].pk, start=SLOT, actor=scheduler)
        )
    assert sum(isinstance(r, Appointment) for r in results) == 1
    assert Appointment.objects.filter(start=SLOT).count() == 1
    assert Reservation.objects.filter(active=True, start=SLOT).count() == 3
    assert Reservation.objects.filter(active=True).count() == 6


def test_the_clerk_who_loses_the_race_for_a_team_is_booked_with_the_other_free_team(galactogram, monkeypatch):
    """Both clerks' fits pick the first free team before either reserves it (a barrier holds
    them there); the exclusion constraint refuses the second reservation, and the booking
    tries again: its new fit sees the rival's team taken and books the other one."""
    from radiology.services import booking

    with time_machine.travel(NOW, tick=False):
        dept = small_department(rooms=2, radiologists=2, technologists=2)
        scheduler = StaffMemberFactory(scheduler=True).user
        patients = [PatientFactory(), PatientFactory()]
        both_fitted = threading.Barrier(2, timeout=20)
        fits = []
        real_fit = booking.fit_team

        def fit_then_wait(*args, **kwargs):
            team = real_fit(*args, **kwargs)
            fits.append(team.option.room)
            if len(fits) <= 2:
                both_fitted.wait()
            return team

        monkeypatch.setattr(booking, "fit_team", fit_then_wait)
        results = run_together(
            2,
            lambda i: book_appointment(
                patient=patients[i], procedure=galactogram, start=SLOT, duration_minutes=45, actor=scheduler
            ),
        )
    assert all(isinstance(r, Appointment) for r in results), results
    assert fits[:2] == [dept.rooms[0], dept.rooms[0]] and fits[2:] == [dept.rooms[1]]
    first, second = results
    assert {first.room, second.room} == set(dept.rooms)
    assert {first.radiologist, second.radiologist} == set(dept.radiologists)
    assert {first.technologist, second.technologist} == set(dept.technologists)
    assert Reservation.objects.filter(active=True, start=SLOT).count() == 6
