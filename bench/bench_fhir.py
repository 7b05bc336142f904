"""FHIR R4 (issue #12): Appointment?date= for a day of 200 appointments, and $find against
the JSON API's slot search on the same data.

Data: 12 mammography rooms, 12 radiologists, 12 technologists; five consecutive weekdays
fully booked (200 half-hour appointments a day, each with its order and reservations), and
one later day with 20. Requests go through Django's test client with an API token, as an
EHR's would, without a network.
Prints: (a) the day search — median ms and query count, and the query count for the day of
20 (goal: ≤ 50 ms, counts equal), and the JSON API's day list for the same day measured
interleaved with it, their ratio (goal: ≤ 1.2x) and the API's query counts for 200 and 20; (c) Slot searches
(no goal); (b) $find and GET /api/v1/slots for the earliest 20 starts over 30 days, and their
ratio (goal: ≤ 2x).
"""

import statistics
import time as time_module
from datetime import datetime, time, timedelta

from _django import bench_database, count_queries, sized, summary, timed
from django.conf import settings
from django.test import Client
from django.utils import timezone

LANES = 12
PER_DAY = 200
FULL_DAYS = 5
RUNS = sized(40, 2)


def build(first_day):
    from procedures.models import Procedure
    from radiology.models import Appointment, Order, Patient
    from radiology.services.department import ensure_room, ensure_staff_member
    from scheduling.clinic_time import clinic_zone
    from scheduling.models import Reservation

    zone = clinic_zone()
    rooms = [ensure_room(name=f"Mammo {i:02d}") for i in range(LANES)]
    people = [
        [
            ensure_staff_member(username=f"{role}{i}", role=role, first_name=role, last_name=str(i), password="x")
            for i in range(LANES)
        ]
        for role in ("radiologist", "technologist")
    ]
    scheduler = ensure_staff_member(username="sched", role="scheduler", first_name="S", last_name="S", password="x")
    procedure = Procedure.objects.get(slug="galactogram")
    days = []
    day = first_day
    while len(days) < FULL_DAYS:
        if day.weekday() < 5:
            days.append((day, PER_DAY))
        day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    days.append((day + timedelta(days=7), 20))
    starts = []
    for day, count in days:
        for n in range(count):
            lane, index = n % LANES, n // LANES
            starts.append((datetime.combine(day, time(8), tzinfo=zone) + timedelta(minutes=30 * index), lane))
    patients = Patient.objects.bulk_create(
        Patient(mrn=f"F{n:06d}", given_name="P", family_name=str(n), birth_date="1970-01-01", phone="+12025550100")
        for n in range(len(starts))
    )
    now = timezone.now()
    orders = Order.objects.bulk_create(
        Order(
            patient=patients[n],
            procedure=procedure,
            accession_number=f"GB{n:08d}",
            study_instance_uid=f"2.25.{10**30 + n}",
            status="scheduled",
            received_at=now,
        )
        for n in range(len(starts))
    )
    appointments = Appointment.objects.bulk_create(
        Appointment(
            patient=patients[n],
            order=orders[n],
            procedure=procedure,
            start=start,
            end=start + timedelta(minutes=30),
            duration_minutes=30,
            room=rooms[lane],
            radiologist=people[0][lane],
            technologist=people[1][lane],
        )
        for n, (start, lane) in enumerate(starts)
    )
    Reservation.objects.bulk_create(
        Reservation(resource=resource, start=a.start, end=a.end, holder=a.holder)
        for a in appointments
        for resource in (a.room.resource, a.radiologist.resource, a.technologist.resource)
    )
    return scheduler.user, days


def cpu_times(fn, runs: int) -> list[float]:
    """Milliseconds of this process's CPU per call: on a shared, loaded machine the wall
    clock also counts waiting for a core and for PostgreSQL."""
    samples = []
    for _ in range(runs):
        start = time_module.process_time()
        fn()
        samples.append((time_module.process_time() - start) * 1000)
    return samples


def first_room_id() -> int:
    from radiology.models import Room

    return Room.objects.order_by("name").values_list("pk", flat=True)[0]


def main():
    from scheduling.clinic_time import clinic_zone
    from security.tokens import issue_token

    settings.ALLOWED_HOSTS = ["*"]
    first_day = timezone.now().astimezone(clinic_zone()).date() + timedelta(days=3)
    with bench_database("gal_bench_fhir"):
        user, days = build(first_day)
        _, token = issue_token(user=user, name="bench")
        client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT="application/fhir+json")
        busy_day, quiet_day = days[0][0], days[-1][0]

        def day_search(day):
            return lambda: client.get(f"/fhir/R4/Appointment?date={day.isoformat()}&_count=200")

        first = day_search(busy_day)()
        assert first.status_code == 200, first.content[:300]
        assert first.json()["total"] == PER_DAY, first.json()["total"]
        assert len(first.json()["entry"]) == PER_DAY
        busy_queries = count_queries(day_search(busy_day))
        quiet_queries = count_queries(day_search(quiet_day))

        def api_day(day):
            return lambda: client.get(f"/api/v1/appointments?date={day.isoformat()}", HTTP_ACCEPT="application/json")

        assert len(api_day(busy_day)().json()["appointments"]) == PER_DAY
        api_busy_queries = count_queries(api_day(busy_day))
        api_quiet_queries = count_queries(api_day(quiet_day))
        # Interleaved (api, fhir, api, fhir…): on a shared machine the speed drifts, and each
        # pair is measured at the same moment, so the ratio of the medians compares neighbours.
        day_ms, api_day_ms = [], []
        for _ in range(RUNS):
            api_day_ms += timed(api_day(busy_day), 1)
            day_ms += timed(day_search(busy_day), 1)
        cpu_ms = cpu_times(day_search(busy_day), RUNS)
        day_ratio = statistics.median(api_day_ms) / statistics.median(day_ms)
        print(f"(a) Appointment?date= for a day of {PER_DAY} appointments, one page: {summary(day_ms)}")
        print(f"    of which CPU in this process (Django, mapping, JSON; load-independent): {summary(cpu_ms)}")
        print(f"    queries: {busy_queries} for {PER_DAY} appointments, {quiet_queries} for 20 (goal: ≤ 50 ms, equal)")
        print(f"    GET /api/v1/appointments?date= for the same day, interleaved with it: {summary(api_day_ms)}")
        print(
            f"    API / FHIR (medians): {day_ratio:.2f}x — goal ≤ 1.2x; API queries: {api_busy_queries} for "
            f"{PER_DAY} appointments, {api_quiet_queries} for 20 (equal)"
        )

        week_end = first_day + timedelta(days=7)
        room_week = f"/fhir/R4/Slot?schedule=Schedule/room-{first_room_id()}&start=ge{first_day}&start=lt{week_end}"
        all_day = f"/fhir/R4/Slot?start={quiet_day}&_count=500"
        for url in (room_week, all_day):
            assert client.get(url).status_code == 200, client.get(url).content[:300]
        print(f"(c) Slot, one room over 7 days: {summary(timed(lambda: client.get(room_week), RUNS))}")
        print(f"    Slot, all {3 * LANES} schedules on one day: {summary(timed(lambda: client.get(all_day), RUNS))}")

        end = first_day + timedelta(days=30)
        api_url = f"/api/v1/slots?procedure=galactogram&start={first_day}&end={end}&duration=45&limit=20"
        find_body = {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "start", "valueDate": first_day.isoformat()},
                {"name": "end", "valueDate": end.isoformat()},
                {"name": "_count", "valueInteger": 20},
            ],
        }

        def api():
            return client.get(api_url, HTTP_ACCEPT="application/json")

        def find():
            return client.post("/fhir/R4/Appointment/$find", find_body, content_type="application/fhir+json")

        api_starts = [s["start"] for s in api().json()["slots"]]
        find_answer = find().json()
        find_starts = [e["resource"]["start"] for e in find_answer["entry"]]
        assert len(find_starts) == 20, find_answer
        assert [datetime.fromisoformat(s) for s in find_starts] == [datetime.fromisoformat(s) for s in api_starts]
        api_ms = sorted(timed(api, RUNS))
        find_ms = sorted(timed(find, RUNS))
        ratio = find_ms[len(find_ms) // 2] / api_ms[len(api_ms) // 2]
        print(f"(b) $find, earliest 20 starts over 30 days ({FULL_DAYS} full days first): {summary(find_ms)}")
        print(f"    GET /api/v1/slots, the same search: {summary(api_ms)}; first start {find_starts[0]}")
        queries = f"queries: $find {count_queries(find)}, API {count_queries(api)}"
        print(f"    ratio (medians): {ratio:.2f}x — goal ≤ 2x; {queries}")


if __name__ == "__main__":
    main()
