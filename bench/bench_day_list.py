"""The day list (issue #5): 60 appointments over 3 rooms, against a trivial login-protected
view in the same run. Prints median server time, the ratio, and query counts."""

from datetime import datetime, time, timedelta

from _django import bench_database, count_queries, summary, timed
from django.conf import settings
from django.test import Client
from django.utils import timezone

from scheduling.clinic_time import clinic_zone, local_today

APPOINTMENTS = 60


def build(day):
    from procedures.models import Procedure
    from radiology.models import Appointment, Patient, ReadinessResponse
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
    appointments = Appointment.objects.bulk_create(
        Appointment(
            patient=patients[n],
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
    with bench_database("gal_bench_day"):
        user = build(day)
        client = Client()
        client.force_login(user)
        url = f"/day/{day.isoformat()}/"
        for path in (url, "/bench/ping/"):
            assert client.get(path).status_code == 200, path
        day_queries = count_queries(lambda: client.get(url))
        ping_queries = count_queries(lambda: client.get("/bench/ping/"))
        runs = 50
        day_ms = timed(lambda: client.get(url), runs)
        ping_ms = timed(lambda: client.get("/bench/ping/"), runs)
        day_ms.sort()
        ping_ms.sort()
        ratio = day_ms[runs // 2] / ping_ms[runs // 2]
        print(f"day list, {APPOINTMENTS} appointments over 3 rooms: {summary(day_ms)}; {day_queries} queries")
        print(f"baseline, trivial login-protected view: {summary(ping_ms)}; {ping_queries} queries")
        print(f"ratio (medians): {ratio:.1f}x — goal ≤ 3x and ≤ 10 queries")


if __name__ == "__main__":
    main()
