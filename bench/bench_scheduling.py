"""Slot search and booking throughput (issue #3).

Data: 3 mammography rooms, 4 radiologists, 6 technologists/nurses and 5,000 existing
appointments over 90 days (about four in five weekday slots taken; the rest of the
5,000 cancelled, their reservations released).
Prints: (a) the earliest 20 starts over 30 days — median ms and query count, and the query
count with a tenth of the appointments; (b) bookings/s with 8 concurrent clients on distinct
slots (PostgreSQL); (c) 8 clients on one slot — how many succeed (must be 1).
"""

import random
import threading
import time
from datetime import datetime, timedelta
from datetime import time as clock

from _django import bench_database, count_queries, is_postgres, sized, summary, timed
from django.db import connection
from django.utils import timezone

from scheduling.clinic_time import clinic_zone, local_today

TOTAL = sized(5_000, 200)
DAYS = sized(90, 14)


def build_department():
    from radiology.services.department import ensure_room, ensure_staff_member

    rooms = [ensure_room(name=f"Mammo {i}") for i in range(1, 4)]
    radiologists = [
        ensure_staff_member(username=f"rad{i}", role="radiologist", first_name="R", last_name=str(i), password="x")
        for i in range(4)
    ]
    assistants = [
        ensure_staff_member(
            username=f"tech{i}",
            role="technologist" if i < 4 else "nurse",
            first_name="T",
            last_name=str(i),
            password="x",
        )
        for i in range(6)
    ]
    scheduler = ensure_staff_member(username="sched", role="scheduler", first_name="S", last_name="S", password="x")
    return rooms, radiologists, assistants, scheduler.user


def fill(rooms, radiologists, assistants, *, total, first_day):
    """Bulk-create `total` appointments with their reservations, most active, the rest cancelled."""
    from procedures.models import Procedure
    from radiology.models import Appointment, Order, Patient
    from scheduling.models import Reservation

    rng = random.Random(7)
    zone = clinic_zone()
    procedure = Procedure.objects.get(slug="galactogram")
    patients = Patient.objects.bulk_create(
        Patient(mrn=f"B{n:06d}", given_name="P", family_name=str(n), birth_date="1970-01-01", phone="+12025550100")
        for n in range(total)
    )
    slots = []
    for offset in range(DAYS):
        day = first_day + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for index in range(12):  # 08:00–17:00 in 45-minute steps
            start = datetime.combine(day, clock(8), tzinfo=zone) + timedelta(minutes=45 * index)
            slots.extend((start, lane) for lane in range(3))
    rng.shuffle(slots)
    active = int(len(slots) * 0.8)
    # Every appointment belongs to an order (migration 0007): one each, as the booking makes.
    orders = Order.objects.bulk_create(
        Order(
            patient=patients[n],
            procedure=procedure,
            accession_number=f"GS{first_day:%y%m%d}{n:06d}",
            study_instance_uid=f"2.25.{10**25 + first_day.toordinal() * 10**7 + n}",
            status="scheduled" if n < active else "waiting",
            received_at=timezone.now(),
        )
        for n in range(total)
    )
    appointments, holds = [], []
    for n in range(total):
        start, lane = slots[n % len(slots)]
        is_active = n < active
        appointments.append(
            Appointment(
                patient=patients[n],
                order=orders[n],
                procedure=procedure,
                start=start,
                end=start + timedelta(minutes=45),
                duration_minutes=45,
                room=rooms[lane],
                radiologist=radiologists[lane],
                technologist=assistants[lane],
                status="booked" if is_active else "cancelled",
                cancel_reason="" if is_active else "bench",
            )
        )
    Appointment.objects.bulk_create(appointments, batch_size=1000)
    now = timezone.now()
    for a in appointments:
        for resource in (a.room.resource, a.radiologist.resource, a.technologist.resource):
            holds.append(
                Reservation(
                    resource=resource,
                    start=a.start,
                    end=a.end,
                    holder=a.holder,
                    active=a.status == "booked",
                    released_at=None if a.status == "booked" else now,
                )
            )
    Reservation.objects.bulk_create(holds, batch_size=2000)


def search_once(procedure, first_day):
    from radiology.services.slots import find_galactogram_slots

    return find_galactogram_slots(
        procedure=procedure,
        duration_minutes=45,
        start_date=first_day,
        end_date=first_day + timedelta(days=30),
        limit=20,
    )


def measure_search(first_day):
    from procedures.models import Procedure

    procedure = Procedure.objects.get(slug="galactogram")
    found = search_once(procedure, first_day)
    queries = count_queries(lambda: search_once(procedure, first_day))
    samples = timed(lambda: search_once(procedure, first_day), sized(30, 2))
    return found, queries, samples


def book_in_threads(jobs, scheduler, procedure, clients=8, **chosen):
    from radiology.errors import ServiceRefusal
    from radiology.services.booking import book_appointment

    outcomes = []
    barrier = threading.Barrier(clients)

    def client(my_jobs):
        barrier.wait()
        for patient, start in my_jobs:
            try:
                book_appointment(
                    patient=patient, procedure=procedure, start=start, duration_minutes=30, actor=scheduler, **chosen
                )
                outcomes.append("ok")
            except ServiceRefusal as error:
                outcomes.append(error.code)
        connection.close()

    threads = [threading.Thread(target=client, args=(jobs[i::clients],)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes, time.perf_counter() - began


def book_in_processes(jobs, scheduler, procedure, clients=8):
    """The same work from 8 processes (as several web workers would), each its own connection."""
    import multiprocessing

    from radiology.errors import ServiceRefusal
    from radiology.services.booking import book_appointment

    def client(my_jobs, results):
        ok = 0
        for patient, start in my_jobs:
            try:
                book_appointment(
                    patient=patient, procedure=procedure, start=start, duration_minutes=30, actor=scheduler
                )
                ok += 1
            except ServiceRefusal:
                pass
        connection.close()
        results.put(ok)

    connection.close()  # children must not share the parent's socket
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=client, args=(jobs[i::clients], results)) for i in range(clients)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    booked = sum(results.get() for _ in workers)
    for worker in workers:
        worker.join()
    return booked, time.perf_counter() - began


def main():
    from procedures.models import Procedure
    from radiology.models import Patient

    first_day = local_today() + timedelta(days=3)
    print(f"database: {connection.vendor}")
    with bench_database("gal_bench_sched_small"):
        rooms, radiologists, assistants, _ = build_department()
        fill(rooms, radiologists, assistants, total=TOTAL // 10, first_day=first_day)
        _, small_queries, small_samples = measure_search(first_day)
    with bench_database("gal_bench_sched"):
        rooms, radiologists, assistants, scheduler = build_department()
        fill(rooms, radiologists, assistants, total=TOTAL, first_day=first_day)
        found, queries, samples = measure_search(first_day)
        print(f"(a) slot search, earliest 20 starts over 30 days, {TOTAL} appointments: {summary(samples)}")
        print(f"    queries: {queries} with {TOTAL} appointments, {small_queries} with {TOTAL // 10} (goal: equal)")
        print(f"    same search with {TOTAL // 10} appointments: {summary(small_samples)}; found {len(found)} starts")
        if not is_postgres():
            print("(b), (c): need PostgreSQL (set DATABASE_URL); skipped")
            return
        procedure = Procedure.objects.get(slug="galactogram")
        # (b) distinct free slots, far enough ahead to be empty: one 30-minute start each.
        zone = clinic_zone()
        starts = []
        day = first_day + timedelta(days=DAYS + 7)
        while len(starts) < sized(400, 16):
            if day.weekday() < 5:
                starts += [
                    datetime.combine(day, clock(8), tzinfo=zone) + timedelta(minutes=m) for m in range(0, 540, 30)
                ]
            day += timedelta(days=1)
        patients = Patient.objects.bulk_create(
            Patient(mrn=f"T{n:06d}", given_name="P", family_name="T", birth_date="1970-01-01", phone="+12025550101")
            for n in range(len(starts))
        )
        jobs = list(zip(patients, starts, strict=True))
        outcomes, seconds = book_in_threads(jobs, scheduler, procedure)
        ok = outcomes.count("ok")
        print(
            f"(b) 8 clients booking {len(jobs)} distinct slots: {ok / seconds:.0f} bookings/s "
            f"({ok} booked, {len(jobs) - ok} refused, {seconds:.2f} s) — goal ≥ 100/s"
        )
        more = Patient.objects.bulk_create(
            Patient(mrn=f"U{n:06d}", given_name="P", family_name="U", birth_date="1970-01-01", phone="+12025550103")
            for n in range(len(starts))
        )
        shifted = [start + timedelta(days=35) for start in starts]
        booked, seconds = book_in_processes(list(zip(more, shifted, strict=True)), scheduler, procedure)
        print(
            f"    the same from 8 processes (no shared interpreter lock): {booked / seconds:.0f} bookings/s "
            f"({booked} booked, {seconds:.2f} s)"
        )
        # (c) eight clients, one slot as the search offers it: a start with its room and people.
        from radiology.services.slots import find_galactogram_slots

        later = day + timedelta(days=7)
        slot = find_galactogram_slots(
            procedure=procedure, duration_minutes=30, start_date=later, end_date=later + timedelta(days=7), limit=1
        )[0]
        rivals = Patient.objects.bulk_create(
            Patient(mrn=f"R{n:06d}", given_name="P", family_name="R", birth_date="1970-01-01", phone="+12025550102")
            for n in range(8)
        )
        outcomes, _ = book_in_threads(
            [(p, slot.start) for p in rivals],
            scheduler,
            procedure,
            room=slot.room,
            radiologist=slot.radiologist,
            technologist=slot.technologist,
        )
        print(f"(c) 8 clients on one slot: {outcomes.count('ok')} success, {outcomes.count('conflict')} conflicts")


if __name__ == "__main__":
    main()
