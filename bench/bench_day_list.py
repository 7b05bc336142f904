"""The day list: 60 appointments over 3 rooms, against a trivial login-protected view and
against the same page with no appointments, in the same run; and the one-minute poll when
nothing changed (304 Not Modified, from the per-day change counter). Prints median server
time, the ratios, and query counts. Goals (issue 10, item 15): a 304 poll ≤ 2× the trivial
view; the full list ≤ 2× the empty list; ≤ 10 queries."""

import statistics
from datetime import datetime, time, timedelta

from _django import bench_database, count_queries, sized, summary, timed
from django.conf import settings
from django.test import Client
from django.utils import timezone

from scheduling.clinic_time import clinic_zone, local_today

APPOINTMENTS = sized(60, 6)


def build(day):
    from procedures.models import Procedure
    from radiology.models import Appointment, Order, Patient, ReadinessResponse
    from radiology.services.department import ensure_room, ensure_staff_member

    zone = clinic_zone()
    rooms = [ensure_room(name=f"Mammo {i}") for i in range(1, 4)]
    radiologists = [
        ensure_staff_member(username=f"rad{i}", role="radiologist", first_name="R", last_name=str(i), password="x")
        for i in range(3)
    ]
    tech = ensure_staff_member(username="tech", role="technologist", first_name="T", last_name="T", password="x")
    procedure = Procedure.objects.get(slug="galactogram")
    patients = Patient.objects.bulk_create(
        Patient(mrn=f"D{n:05d}", given_name="P", family_name=str(n), birth_date="1970-01-01", phone="+12025550100")
        for n in range(APPOINTMENTS)
    )
    # Every appointment is booked from an order (the referral): one each, as the EHR sends them.
    orders = Order.objects.bulk_create(
        Order(
            patient=patients[n],
            procedure=procedure,
            accession_number=f"BENCH{n:07d}",
            study_instance_uid=f"2.25.{n + 1}",
            side=Order.Side.LEFT,
            indication=Order.Indication.SPONTANEOUS_SINGLE_DUCT,
            received_at=timezone.now(),
        )
        for n in range(APPOINTMENTS)
    )
    appointments = Appointment.objects.bulk_create(
        Appointment(
            patient=patients[n],
            order=orders[n],
            procedure=procedure,
            start=datetime.combine(day, time(7), tzinfo=zone) + timedelta(minutes=12 * n),
            end=datetime.combine(day, time(7), tzinfo=zone) + timedelta(minutes=12 * n + 30),
            duration_minutes=30,
            room=rooms[n % 3],
            radiologist=radiologists[n % 3],
            technologist=tech,
            status="reminded",
        )
        for n in range(APPOINTMENTS)
    )
    ReadinessResponse.objects.bulk_create(
        ReadinessResponse(appointment=a, discharge_present=True, answered_at=timezone.now()) for a in appointments
    )
    return tech.user


def main():

    settings.ROOT_URLCONF = "baseline_urls"
    settings.ALLOWED_HOSTS = ["*"]
    day = local_today() + timedelta(days=1)
    empty_day = day + timedelta(days=1)
    with bench_database("gal_bench_day"):
        user = build(day)
        client = Client()
        client.force_login(user)
        url, empty_url = f"/day/{day.isoformat()}/", f"/day/{empty_day.isoformat()}/"
        for path in (url, empty_url, "/bench/ping/"):
            assert client.get(path).status_code == 200, path
        etag = client.get(url)["ETag"]

        def poll():
            response = client.get(url, headers={"If-None-Match": etag})
            assert response.status_code == 304
            return response

        counts = {
            "full": count_queries(lambda: client.get(url)),
            "empty": count_queries(lambda: client.get(empty_url)),
            "poll": count_queries(poll),
            "ping": count_queries(lambda: client.get("/bench/ping/")),
        }
        runs = sized(80, 2)
        calls = {
            "full": lambda: client.get(url),
            "empty": lambda: client.get(empty_url),
            "poll": poll,
            "ping": lambda: client.get("/bench/ping/"),
        }
        for fn in calls.values():
            fn()  # warm
        # Round robin: on a shared machine the load drifts; each ratio compares neighbours.
        samples = {name: [] for name in calls}
        for _ in range(runs):
            for name, fn in calls.items():
                samples[name] += timed(fn, 1)
        medians = {name: (statistics.median(s), summary(s)) for name, s in samples.items()}
        print(f"day list, {APPOINTMENTS} appointments over 3 rooms: {medians['full'][1]}; {counts['full']} queries")
        print(f"day list, no appointments: {medians['empty'][1]}; {counts['empty']} queries")
        print(f"poll, nothing changed (304): {medians['poll'][1]}; {counts['poll']} queries")
        print(f"baseline, trivial login-protected view: {medians['ping'][1]}; {counts['ping']} queries")
        full_vs_empty = medians["full"][0] / medians["empty"][0]
        poll_vs_ping = medians["poll"][0] / medians["ping"][0]
        print(f"full list / empty list (medians): {full_vs_empty:.2f}x — goal ≤ 2x")
        print(f"304 poll / trivial view (medians): {poll_vs_ping:.2f}x — goal ≤ 2x")
        print(f"queries, full list: {counts['full']} — goal ≤ 10")


if __name__ == "__main__":
    main()
