"""Slot search flat in history (issue #24).

Two identical departments in one throw-away database, the same bookings ahead (the first
five weekdays four in five slots taken); one of them also has five years of completed
appointments behind it, whose reservations stay active as a finished exam's do. The search
(earliest 20 galactogram starts over 30 days, from the busy days) runs against one department
at a time (the other's resources set inactive), samples interleaved, at 13 and at 60 resources.
Prints each median, the ratio with/without history and whether the answers are the same.
Goal: within 1.1x at both sizes. PostgreSQL (the GiST index is the point).
"""

import os
import statistics
from datetime import datetime, timedelta
from datetime import time as clock

from _django import bench_database, is_postgres, sized, summary, timed
from django.db import connection

from scheduling.clinic_time import clinic_zone, local_today

SIZES = {13: (3, 4, 6), 60: (14, 18, 28)}  # resources: rooms, radiologists, technologists/nurses
YEARS = sized(5, 0.1)
ROUNDS = sized(25, 2)


def department(tag, rooms, radiologists, assistants):
    from radiology.services.department import ensure_room, ensure_staff_member

    made = [ensure_room(name=f"{tag} Mammo {i}").resource for i in range(rooms)]
    for i in range(radiologists):
        made.append(
            ensure_staff_member(
                username=f"{tag}rad{i}", role="radiologist", first_name="R", last_name=str(i), password="x"
            ).resource
        )
    for i in range(assistants):
        role = "technologist" if i % 3 else "nurse"
        made.append(
            ensure_staff_member(
                username=f"{tag}tech{i}", role=role, first_name="T", last_name=str(i), password="x"
            ).resource
        )
    return made


def book_ahead(resources, first_day):
    """The same busy week for each department: four in five 45-minute slots of each resource."""
    from scheduling.models import Reservation

    zone, rows, day, days = clinic_zone(), [], first_day, 0
    while days < 5:
        if day.weekday() < 5:
            days += 1
            for index in range(12):
                start = datetime.combine(day, clock(8), tzinfo=zone) + timedelta(minutes=45 * index)
                for n, resource in enumerate(resources):
                    if (index + n) % 5:
                        rows.append(
                            Reservation(
                                resource=resource, start=start, end=start + timedelta(minutes=45), holder=f"ahead:{n}"
                            )
                        )
        day += timedelta(days=1)
    Reservation.objects.bulk_create(rows, batch_size=5000)


def add_history(resources, years):
    """Every weekday slot of every resource for `years` back: done exams' active reservations."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO scheduling_reservation (resource_id, start, "end", holder, active, created_at)
            SELECT r.id, d + interval '13 hours' + k * interval '45 minutes',
                   d + interval '13 hours 45 minutes' + k * interval '45 minutes',
                   'history:' || r.id || ':' || k || ':' || d::date, true, now()
            FROM unnest(%s::bigint[]) AS r(id),
                 generate_series(now()::date - %s * interval '1 day', now()::date - interval '1 day',
                                 interval '1 day') AS d,
                 generate_series(0, 11) AS k
            WHERE extract(isodow FROM d) < 6
            """,
            [[r.pk for r in resources], int(365 * years)],
        )
        added = cursor.rowcount
        cursor.execute("ANALYZE scheduling_reservation")
    return added


def only(active, others):
    from scheduling.models import Resource

    Resource.objects.filter(pk__in=[r.pk for r in others]).update(active=False)
    Resource.objects.filter(pk__in=[r.pk for r in active]).update(active=True)


def search(first_day):
    from procedures.models import Procedure
    from radiology.services.slots import find_galactogram_slots

    procedure = Procedure.objects.get(slug="galactogram")
    return lambda: find_galactogram_slots(
        procedure=procedure,
        duration_minutes=45,
        start_date=first_day,
        end_date=first_day + timedelta(days=30),
        limit=20,
    )


def measure(size, first_day) -> float:
    rooms, radiologists, assistants = SIZES[size]
    fresh = department(f"n{size}", rooms, radiologists, assistants)
    aged = department(f"h{size}", rooms, radiologists, assistants)
    book_ahead(fresh, first_day)
    book_ahead(aged, first_day)
    added = add_history(aged, YEARS)
    run = search(first_day)
    answers = {}
    for name, active, other in (("fresh", fresh, aged), ("aged", aged, fresh)):
        only(active, other)
        answers[name] = [slot.start for slot in run()]
    samples = {"fresh": [], "aged": []}
    for _ in range(ROUNDS):
        for name, active, other in (("fresh", fresh, aged), ("aged", aged, fresh)):
            only(active, other)
            samples[name] += timed(run, 1)
    only([], fresh + aged)  # out of the next size's way
    ratio = statistics.median(samples["aged"]) / statistics.median(samples["fresh"])
    same = answers["fresh"] == answers["aged"] and len(answers["fresh"]) == 20
    print(f"{size} resources, earliest 20 over 30 days from a busy week:")
    print(f"  no history:                 {summary(samples['fresh'])}")
    print(f"  {YEARS} years of history ({added:,} done exams' reservations): {summary(samples['aged'])}")
    print(f"  with / without history (medians): {ratio:.2f}x — goal ≤ 1.1x; same 20 answers: {same}")
    return ratio if same else float("inf")


def main():
    if not is_postgres():
        print("needs PostgreSQL (set DATABASE_URL); skipped")
        return 0
    first_day = local_today() + timedelta(days=3)
    with bench_database("gal_bench_slot_history"):
        ratios = [measure(size, first_day) for size in SIZES]
    print(f"machine load (1-minute average): {os.getloadavg()[0]:.1f}")
    return 0 if all(r != float("inf") for r in ratios) else 1  # different answers: the bench is broken


if __name__ == "__main__":
    raise SystemExit(main())
