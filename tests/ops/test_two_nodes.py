"""Two complete nodes on one PostgreSQL and one Redis (issue 9, "several nodes").

Node A and node B each run gunicorn, a Celery worker and Celery beat, in production mode,
against a fresh database and a Redis server of the test's own. Through both at once the
test books 200 appointments, 20 of them won in a race against a booking of the same slot
through the other node, SIGKILLs node A's worker (its whole process group) in the middle
and starts it again. Then: no two active reservations of one resource overlap, each of the
200 preparation messages reached the SMS provider exactly once (the recording backend logs
every send call), none is lost, and both nodes' /healthz are green.
"""

import json
import shutil
import subprocess
import threading
import time
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.conf import settings

from tests.ops.nodes import (
    Processes,
    copy_test_database,
    create_database,
    drop_database,
    free_port,
    http,
    manage,
    node_env,
    start_node,
    start_worker,
    wait_healthy,
)
from tests.ops.support import PRODUCTION

# django_db: the test database exists and is migrated (copy_test_database copies it).
pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker, pytest.mark.django_db]

BOOKINGS = 200
RACES = 20
SETUP = """
import json
from django.contrib.auth import get_user_model
from security.tokens import issue_token
from radiology.models import Patient
from radiology.services.department import ensure_room, ensure_staff_member
rooms = [ensure_room(name=f"Mammo {i}") for i in range(3)]
rads = [ensure_staff_member(username=f"rad{i}", role="radiologist", first_name="R", last_name=str(i), password="x")
        for i in range(3)]
techs = [ensure_staff_member(username=f"tech{i}", role="technologist", first_name="T", last_name=str(i),
         password="x") for i in range(3)]
booker = ensure_staff_member(username="booker", role="scheduler", first_name="S", last_name="B", password="x")
patients = Patient.objects.bulk_create(
    Patient(mrn=f"N-{n:04d}", given_name="Pat", family_name=f"N{n}", birth_date="1980-01-01", sex="female",
            phone=f"+1202555{n:04d}", preferred_channel="sms")
    for n in range(%(patients)d)
)
print(json.dumps({
    "rooms": [r.pk for r in rooms], "rads": [s.pk for s in rads], "techs": [s.pk for s in techs],
    "patients": [p.pk for p in patients], "token": issue_token(user=booker.user, name="two-nodes")[1],
}))
"""


def grid(count: int) -> list[datetime]:
    """Starts four or more days ahead (past the 48 h lead time), weekdays, hourly 08:00–16:00."""
    zone = ZoneInfo(settings.CLINIC_TIME_ZONE)
    day = datetime.now(zone).date() + timedelta(days=4)
    starts: list[datetime] = []
    while len(starts) < count:
        if day.weekday() < 5:
            starts += [datetime.combine(day, clock(hour), tzinfo=zone) for hour in range(8, 17)]
        day += timedelta(days=1)
    return starts[:count]


@pytest.fixture
def redis_server(tmp_path):
    port = free_port()
    command = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
    deadline = time.monotonic() + 10
    import redis

    while time.monotonic() < deadline:
        try:
            redis.Redis(port=port).ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def nodes_database():
    base = settings.DATABASES["default"]
    url = f"postgres://{base['USER']}:{base.get('PASSWORD') or ''}@{base['HOST']}:{base['PORT'] or 5432}/x"
    name = f"nodes_{uuid.uuid4().hex[:8]}"
    yield create_database(url, name)
    drop_database(url, name)


def test_two_nodes_book_200_with_races_and_a_killed_worker_without_overlap_loss_or_duplicate(
    tmp_path, redis_server, nodes_database
):
    outbox = tmp_path / "sms"  # one provider for both nodes, as a real SMS gateway would be
    env = node_env(
        **{**PRODUCTION, "DJANGO_ALLOWED_HOSTS": "127.0.0.1"},
        DATABASE_URL=nodes_database,
        REDIS_URL=redis_server,
        EMAIL_MODE="file",
        EMAIL_FILE_PATH=str(tmp_path / "email"),
        SMS_BACKEND="tests.notifications.recording.RecordingSMSBackend",
        SMS_FILE_PATH=str(outbox),
        SMS_RECORDING_DELAY="0.25",  # sends take a while: the SIGKILL lands in some of them
        SMS_QUIET_HOURS_START="00:00",  # no quiet hours: the test may run at night
        SMS_QUIET_HOURS_END="00:00",
        NOTIFICATIONS_DISPATCH_SECONDS="2",
        NOTIFICATIONS_CLAIM_LEASE_SECONDS="15",
        NOTIFICATIONS_SEND_LEASE_SECONDS="10",
        NOTIFICATIONS_SEND_CHUNK="5",
        DJANGO_CONN_MAX_AGE="60",
    )
    copy_test_database(nodes_database)
    manage(env, "migrate", "--noinput", "-v", "0")  # nothing left to do: checks the copy is whole
    ids = json.loads(manage(env, "shell", "-c", SETUP % {"patients": BOOKINGS + RACES}).strip().splitlines()[-1])
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = Processes(logs)
    ports = {"a": free_port(), "b": free_port()}
    try:
        for name, port in ports.items():
            start_node(processes, name, env, port=port)
        bases = [f"http://127.0.0.1:{port}" for port in ports.values()]
        for base in bases:
            wait_healthy(base)

        began = time.monotonic()
        results = run_bookings(bases, ids, processes, env)
        booking_seconds = time.monotonic() - began

        created = [body for status, body in results if status == 201]
        conflicts = [body for status, body in results if status == 409]
        others = [(status, body) for status, body in results if status not in (201, 409)]
        assert not others, others[:5]
        assert len(created) == BOOKINGS and len(conflicts) == RACES

        deliveries = wait_for_prep_messages(nodes_database, outbox, BOOKINGS)
        delivered_seconds = time.monotonic() - began
        with psycopg.connect(nodes_database.replace("postgres://", "postgresql://", 1)) as conn:
            assert overlapping_reservations(conn) == 0
            assert conn.execute("SELECT count(*) FROM radiology_appointment").fetchone()[0] == BOOKINGS
            retried = conn.execute("SELECT count(*) FROM notifications_message WHERE attempts > 1").fetchone()[0]
            # A send cut by the SIGKILL is checked with the provider (lookup), not resent blindly.
            print(
                f"two nodes: {len(created)} booked, {len(conflicts)} race losers, {retried} messages retried; "
                f"{len(results) / booking_seconds:.1f} booking requests/s summed over both nodes "
                f"({len(created) / booking_seconds:.1f} booked/s), {BOOKINGS / delivered_seconds:.1f} prep messages/s "
                f"from the first booking to the last delivery (a worker killed on the way)"
            )
            prep = conn.execute(
                "SELECT idempotency_key, status FROM notifications_message WHERE kind = 'prep'"
            ).fetchall()
        assert len(prep) == BOOKINGS
        assert {status for _, status in prep} == {"sent"}, "every preparation message sent, none lost"
        calls = Counter(delivery["key"] for delivery in deliveries)
        assert all(calls[key] == 1 for key, _ in prep), "each one reached the provider exactly once"
        assert max(calls.values()) == 1, "no message of any kind was sent twice"
        for base in bases:
            wait_healthy(base, timeout=30)
        # /metrics adds up its gunicorn workers (multi-process mode): the 20 refusals, wherever
        # they happened, are in the two nodes' counters; the outbox figures are the rows'.
        scraped = [scrape(base) for base in bases]
        assert sum(s[("galactogram_booking_conflicts_total", ())] for s in scraped) == RACES
        sent = ("galactogram_deliveries_total", (("channel", "sms"), ("result", "sent")))
        assert [s[sent] for s in scraped] == [BOOKINGS, BOOKINGS]
    except BaseException:
        print(processes.log_tail())
        raise
    finally:
        processes.stop_all()
        shutil.rmtree(logs, ignore_errors=True)


def run_bookings(bases: list[str], ids: dict, processes: Processes, env: dict) -> list[tuple[int, dict]]:
    """180 bookings of distinct slots plus 20 slots each booked at the same instant through
    both nodes, 8 clients at a time; node A's worker is SIGKILLed after 80 and restarted."""
    starts = grid(BOOKINGS)
    patients = iter(ids["patients"])
    jobs = []
    race_every = BOOKINGS // RACES
    for n, start in enumerate(starts):
        slot = n % 3  # room, radiologist and technologist of one column of the grid
        body = {
            "procedure": "galactogram",
            "start": start.isoformat(),
            "duration": 45,
            "room": ids["rooms"][slot],
            "radiologist": ids["rads"][slot],
            "technologist": ids["techs"][slot],
        }
        if n % race_every == 0:
            barrier = threading.Barrier(2)
            jobs.append(("race", [({**body, "patient": next(patients)}, bases[i], barrier) for i in (0, 1)]))
        else:
            jobs.append(("one", ({**body, "patient": next(patients)}, bases[n % 2], None)))
    token = ids["token"]

    def post(job):
        body, base, barrier = job
        if barrier is not None:
            barrier.wait(timeout=30)
        return http("POST", f"{base}/api/v1/appointments", body, token=token)

    results = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = []
        for n, (kind, job) in enumerate(jobs):
            if n == 80:  # bookings keep coming through both nodes meanwhile
                assert processes.children["a-worker"].poll() is None, "node A's worker was running"
                wait_for_sends_in_progress(env["DATABASE_URL"])
                processes.kill("a-worker")
                time.sleep(1)
                start_worker(processes, "a", env)
            if kind == "race":
                futures += [pool.submit(post, one) for one in job]
            else:
                futures.append(pool.submit(post, job))
        results = [f.result() for f in futures]
    return results


def wait_for_sends_in_progress(database_url: str, timeout: float = 20) -> int:
    """Kill while sends are under way (rows whose attempt started and has not finished)."""
    deadline = time.monotonic() + timeout
    url = database_url.replace("postgres://", "postgresql://", 1)
    busy = 0
    while time.monotonic() < deadline and busy < 2:
        with psycopg.connect(url) as conn:
            busy = conn.execute(
                "SELECT count(*) FROM notifications_message WHERE status = 'sending' AND attempt_started_at IS NOT NULL"
            ).fetchone()[0]
        time.sleep(0.05)
    return busy


def scrape(base: str) -> dict[tuple, float]:
    from prometheus_client.parser import text_string_to_metric_families

    request = urllib.request.Request(  # noqa: S310
        f"{base}/metrics", headers={"Authorization": f"Bearer {PRODUCTION['METRICS_TOKEN']}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def wait_for_prep_messages(database_url: str, outbox: Path, count: int, timeout: float = 150) -> list[dict]:
    from tests.notifications.recording import deliveries

    deadline = time.monotonic() + timeout
    url = database_url.replace("postgres://", "postgresql://", 1)
    while time.monotonic() < deadline:
        with psycopg.connect(url) as conn:
            sent = conn.execute(
                "SELECT count(*) FROM notifications_message WHERE kind = 'prep' AND status = 'sent'"
            ).fetchone()[0]
        if sent >= count:
            time.sleep(3)  # a late duplicate, if any, would show up now
            return deliveries(outbox / "deliveries.log")
        time.sleep(1)
    raise AssertionError(f"only {sent} of {count} preparation messages sent after {timeout:.0f} s")


def overlapping_reservations(conn) -> int:
    """Checked with our own query, not by trusting the exclusion constraint."""
    return conn.execute(
        """
        SELECT count(*) FROM scheduling_reservation r1
        JOIN scheduling_reservation r2
          ON r1.resource_id = r2.resource_id AND r1.id < r2.id
         AND r1.active AND r2.active AND r1.start < r2."end" AND r2.start < r1."end"
        """
    ).fetchone()[0]
