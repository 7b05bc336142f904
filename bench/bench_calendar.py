"""One calendar feed with 500 events (issue #12: ≤ 100 ms): a technologist's appointments over
the feed's window (30 days back, 90 ahead), each with a history of changes, fetched through
the whole Django stack: built from scratch (cache cleared), served again unchanged (its body
cached under its ETag), and revalidated (304). Prints medians, p95s, CPU time and queries."""

import time
from datetime import timedelta

from _django import bench_database, count_queries, sized, summary, timed
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

EVENTS = sized(500, 10)


def build():
    from procedures.models import Procedure
    from radiology.models import Appointment, AppointmentTransition, Order, Patient
    from radiology.services.calendar_feeds import issue_calendar_feed
    from radiology.services.department import ensure_room, ensure_staff_member

    room = ensure_room(name="Mammo 1")
    radiologist = ensure_staff_member(username="rad", role="radiologist", first_name="R", last_name="R", password="x")
    tech = ensure_staff_member(username="tech", role="technologist", first_name="T", last_name="T", password="x")
    procedure = Procedure.objects.get(slug="galactogram")
    now = timezone.now()
    patients = Patient.objects.bulk_create(
        Patient(mrn=f"C{n:05d}", given_name="P", family_name=str(n), birth_date="1970-01-01", phone="+12025550100")
        for n in range(EVENTS)
    )
    orders = Order.objects.bulk_create(
        Order(
            patient=patients[n],
            procedure=procedure,
            accession_number=f"GB{n:08d}",
            study_instance_uid=f"2.25.{10**20 + n}",
            received_at=now,
            status="scheduled",
        )
        for n in range(EVENTS)
    )
    # 500 starts spread evenly from 29 days back to 89 days ahead: all inside the window.
    step = timedelta(days=118) / EVENTS
    first = now - timedelta(days=29)
    appointments = Appointment.objects.bulk_create(
        Appointment(
            patient=patients[n],
            order=orders[n],
            procedure=procedure,
            start=first + step * n,
            end=first + step * n + timedelta(minutes=45),
            duration_minutes=45,
            room=room,
            radiologist=radiologist,
            technologist=tech,
            status="cancelled" if n % 10 == 0 else "booked",
            cancel_reason="Bench" if n % 10 == 0 else "",
        )
        for n in range(EVENTS)
    )
    AppointmentTransition.objects.bulk_create(
        AppointmentTransition(appointment=a, action=action, from_status="booked", to_status="booked", at=now)
        for a in appointments
        for action in ("book", "send_prep", "reschedule")
    )
    return issue_calendar_feed(actor=tech.user, staff=tech)


def main():
    settings.ALLOWED_HOSTS = ["*"]
    with bench_database("gal_bench_calendar"):
        path = build()
        client = Client()
        response = client.get(path)
        assert response.status_code == 200, response.status_code
        events = response.content.count(b"BEGIN:VEVENT")
        assert events == EVENTS, events
        etag = response["ETag"]
        queries = count_queries(lambda: client.get(path))
        for _ in range(3):  # warm up: imports, the URL resolver, the connection
            client.get(path)
        runs = sized(30, 2)
        cold = timed(lambda: (cache.clear(), client.get(path)), runs)
        warm = timed(lambda: client.get(path), runs)
        revalidated = timed(lambda: client.get(path, headers={"If-None-Match": etag}), runs)
        cpu_start = time.process_time()
        for _ in range(runs):
            cache.clear()
            client.get(path)
        cpu = (time.process_time() - cpu_start) * 1000 / runs
        size = len(response.content) // 1024
        print(f"feed with {events} events ({size} KiB), built (cache cleared): {summary(cold)}; {queries} queries")
        print(f"  the same, CPU time of the web process per request: {cpu:.1f} ms (the machine's load aside)")
        print(f"feed with {events} events, unchanged since the last poll (cached body): {summary(warm)}")
        print(f"feed revalidated (If-None-Match → 304): {summary(revalidated)} — goal ≤ 100 ms")


if __name__ == "__main__":
    main()
