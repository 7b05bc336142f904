"""Booking over HTTP through `make run`'s own server (issue #24).

gunicorn is started as `make run` starts it (`gunicorn -c config/gunicorn.conf.py config.wsgi`,
WEB_CONCURRENCY workers, production settings, the default persistent connections) on a
throw-away PostgreSQL database with 3 rooms, 4 radiologists and 6 technologists/nurses.
Prints, samples interleaved (a round of bookings, then a round of reads, and again):
(a) bookings/s with 8 clients on distinct slots (POST /api/v1/appointments with an API token)
    and their p95, against the baseline measured beside them: a trivial token read (GET
    /api/v1/patients/<id>) by the same 8 clients. Goal: >= 100 bookings/s, p95 <= 150 ms;
(b) the database queries of one booking request (counted in-process). Goal: <= 12;
(c) 32 clients on one slot (the same start, room and people): exactly one winner, the others 409.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL; BENCH_REDIS_DB (default 15) is the Redis database
the server's cache and broker use. WEB_CONCURRENCY as for `make run` (default 2).
"""

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
TINY = os.environ.get("BENCH_TINY") == "1"  # CI: once, to prove the bench still runs
CLIENTS = 8
ROUNDS = 1 if TINY else 5
PER_CLIENT = 1 if TINY else 12  # requests per client per round
RACERS = 4 if TINY else 32


def bench_broker_url() -> str:
    parts = urlsplit(os.environ["REDIS_URL"])
    return urlunsplit(parts._replace(path=f"/{os.environ.get('BENCH_REDIS_DB', '15')}"))


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("skipped: needs DATABASE_URL=postgres://... and REDIS_URL=redis://...")
        return 0
    os.environ["REDIS_URL"] = bench_broker_url()
    sys.path.insert(0, str(ROOT / "bench"))
    from _django import bench_database

    with bench_database(f"http_booking_{os.getpid()}"):
        return run()


def build():
    from bench_scheduling import build_department

    from radiology.models import Patient
    from security.tokens import issue_token

    rooms, radiologists, assistants, scheduler = build_department()
    _, token = issue_token(user=scheduler, name="bench")
    count = 2 * ROUNDS * CLIENTS * PER_CLIENT + RACERS + 10
    patients = Patient.objects.bulk_create(
        Patient(mrn=f"H{n:06d}", given_name="P", family_name=str(n), birth_date="1970-01-01", phone="+12025550100")
        for n in range(count)
    )
    return list(zip(rooms, radiologists, assistants, strict=False)), token, [p.pk for p in patients]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, tmp: Path, queue: str):
    from django.db import connection

    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DJANGO_CONN_MAX_AGE", "DJANGO_DEBUG", "BENCH_TINY"}},
        "DATABASE_URL": f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DJANGO_STATIC_MANIFEST": "false",
        "NOTIFICATIONS_QUEUE": queue,  # the due-now prep texts are published here; no worker takes them
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
        "HOME": str(tmp),
    }
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, as the Procfile runs it
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "config/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp / "gunicorn.log", "w"),  # noqa: SIM115 - closed with the process
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            status, _ = request(port, "GET", "/healthz", None, "")
            if status in (200, 503):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"gunicorn did not start: {(tmp / 'gunicorn.log').read_text()[-2000:]}")


def request(port, method, path, body, token) -> tuple[int, float]:
    """One request on a connection of its own (gunicorn's sync workers close each one)."""
    began = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers["Content-Type"] = "application/json"
    connection.request(method, path, payload, headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, (time.perf_counter() - began) * 1000


def in_clients(port, token, jobs_per_client) -> tuple[list[tuple[int, float]], float]:
    """Every client's (method, path, body) list at once; the statuses and ms, and the wall time."""
    results = []
    barrier = threading.Barrier(len(jobs_per_client))

    def client(jobs):
        barrier.wait()
        for method, path, body in jobs:
            results.append(request(port, method, path, body, token))

    threads = [threading.Thread(target=client, args=(jobs,)) for jobs in jobs_per_client]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - began


def booking(patient_id, start, team) -> tuple[str, str, dict]:
    room, radiologist, assistant = team
    body = {
        "patient": patient_id,
        "procedure": "galactogram",
        "start": start.isoformat(),
        "duration": 30,
        "room": room.pk,
        "radiologist": radiologist.pk,
        "technologist": assistant.pk,
    }
    return "POST", "/api/v1/appointments", body


def weekday_starts(first_day, count):
    from scheduling.clinic_time import clinic_zone

    zone, starts, day = clinic_zone(), [], first_day
    while len(starts) < count:
        if day.weekday() < 5:
            starts += [datetime.combine(day, clock(8), tzinfo=zone) + timedelta(minutes=m) for m in range(0, 510, 30)]
        day += timedelta(days=1)
    return starts[:count], day


def p95(values):
    ordered = sorted(values)
    return ordered[max(int(len(ordered) * 0.95) - 1, 0)]


def count_booking_queries(token, patient_id, start, team) -> int:
    from _django import count_queries
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT="application/json")
    warm_patient, patient_id = patient_id
    _, path, body = booking(warm_patient, start - timedelta(hours=1), team)
    assert client.post(path, body, content_type="application/json").status_code == 201  # this process warmed
    _, path, body = booking(patient_id, start, team)
    statuses = []
    queries = count_queries(lambda: statuses.append(client.post(path, body, content_type="application/json")))
    assert statuses[0].status_code == 201, statuses[0].content[:300]
    return queries


def run() -> int:
    import redis

    from scheduling.clinic_time import local_today

    teams, token, patients = build()
    patients = iter(patients)
    queue = f"bench-http-{uuid.uuid4().hex[:8]}"
    starts, after = weekday_starts(local_today() + timedelta(days=3), ROUNDS * CLIENTS * PER_CLIENT)
    workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server = start_server(port, Path(tmp), queue)
        try:
            read_path = f"/api/v1/patients/{next(patients)}"
            in_clients(port, token, [[("GET", read_path, None)]] * CLIENTS)  # warm: every worker loaded
            samples = {"book": [], "read": []}
            walls = {"book": 0.0, "read": 0.0}
            refused = []
            jobs = [booking(next(patients), start, teams[0]) for start in starts]
            for round_ in range(ROUNDS):
                mine = jobs[round_ * CLIENTS * PER_CLIENT : (round_ + 1) * CLIENTS * PER_CLIENT]
                results, wall = in_clients(port, token, [mine[i::CLIENTS] for i in range(CLIENTS)])
                samples["book"] += [ms for status, ms in results if status == 201]
                refused += [status for status, _ in results if status != 201]
                walls["book"] += wall
                results, wall = in_clients(port, token, [[("GET", read_path, None)] * PER_CLIENT] * CLIENTS)
                samples["read"] += [ms for status, ms in results if status == 200]
                refused += [status for status, _ in results if status != 200]
                walls["read"] += wall
            # (c) 32 clients, one slot as the search would offer it.
            slot = datetime.combine(after + timedelta(days=7), clock(9), tzinfo=starts[0].tzinfo)
            while slot.weekday() >= 5:
                slot += timedelta(days=1)
            racers = [[booking(next(patients), slot, teams[1])] for _ in range(RACERS)]
            race, _ = in_clients(port, token, racers)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
            redis.Redis.from_url(os.environ["REDIS_URL"]).delete(queue)
    queries = count_booking_queries(token, (next(patients), next(patients)), slot + timedelta(hours=2), teams[2])

    booked, reads = len(samples["book"]), len(samples["read"])
    book_rate, read_rate = booked / walls["book"], reads / walls["read"]
    winners = sum(1 for status, _ in race if status == 201)
    conflicts = sum(1 for status, _ in race if status == 409)
    print(f"gunicorn as make run starts it: {workers} sync workers, production settings, persistent connections")
    print(f"machine load (1-minute average, {os.cpu_count()} CPUs): {os.getloadavg()[0]:.1f}")
    print(
        f"(a) {CLIENTS} clients booking distinct slots over HTTP: {book_rate:.1f} bookings/s, "
        f"median {statistics.median(samples['book']):.0f} ms, p95 {p95(samples['book']):.0f} ms ({booked} booked)"
    )
    print(
        f"    baseline, the same clients reading one patient with the token: {read_rate:.1f} reads/s, "
        f"median {statistics.median(samples['read']):.0f} ms, p95 {p95(samples['read']):.0f} ms"
    )
    print(f"    bookings/s / reads/s: {book_rate / read_rate:.2f}; goal >= 100 bookings/s, p95 <= 150 ms")
    if refused:
        print(f"    NOT ANSWERED AS EXPECTED: {sorted(set(refused))} ({len(refused)})")
    print(f"(b) queries of one booking request: {queries} — goal <= 12")
    print(f"(c) {RACERS} clients on one slot over HTTP: {winners} booked, {conflicts} told 409 (must be exactly 1)")
    return 0 if winners == 1 and conflicts == RACERS - 1 and not refused else 1


if __name__ == "__main__":
    sys.exit(main())
