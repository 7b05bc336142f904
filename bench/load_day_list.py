"""Load figure (issue 9): gunicorn with 4 workers on PostgreSQL, production settings;
50 workstations polling the day list plus 5 schedulers searching and booking, on loopback.

    DATABASE_URL=postgres://… .venv/bin/python bench/load_day_list.py [--duration 60] [--poll 2]

In the department a workstation refreshes its day list once a minute; here the poll is
compressed (every `--poll` seconds, default 10: 6× the real rate, 5 day lists a second) for a bounded run. A
scheduler's turn: search patients by name, ask for the next free slots, book one (think
time 1 s). A 409 on booking (another scheduler took that slot first) is the designed answer,
counted apart; errors are 5xx, other 4xx and failed connections. Prints p50/p95/p99 per
request kind. Builds its own database (demo department, today's full day), drops it after.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

PREPARE = """
import json
from django.test import Client
from django.contrib.auth import get_user_model
from security.tokens import issue_token
from radiology.models import Patient
from radiology.services.department import ensure_staff_member
User = get_user_model()
floor = ["technologist", "technologist2", "nurse", "nurse2", "radiologist", "radiologist2"]
cookies = []
for n in range(50):
    client = Client()
    client.force_login(User.objects.get(username=floor[n % len(floor)]))
    cookies.append(client.cookies["sessionid"].value)
tokens = []
for n in range(5):
    member = ensure_staff_member(username=f"loadsched{n}", role="scheduler", first_name="Load", last_name=str(n),
                                 password="x")
    tokens.append(issue_token(user=member.user, name="load")[1])
patients = Patient.objects.bulk_create(
    Patient(mrn=f"L-{n:05d}", given_name="Load", family_name=f"Patient{n}", birth_date="1975-05-05", sex="female",
            email=f"load{n}@example.org", preferred_channel="email") for n in range(2000))
print(json.dumps({"cookies": cookies, "tokens": tokens, "patients": [p.pk for p in patients]}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql)


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.conflicts = 0
        self.error_examples: list[str] = []

    def record(self, kind: str, ms: float, ok: bool, conflict: bool = False, example: str = ""):
        with self.lock:
            self.samples[kind].append(ms)
            if conflict:
                self.conflicts += 1
            elif not ok:
                self.errors[kind] += 1
                if len(self.error_examples) < 5:
                    self.error_examples.append(f"{kind}: {example}")


class Client:
    def __init__(self, port: int, recorder: Recorder, *, cookie: str = "", token: str = ""):
        self.port, self.recorder = port, recorder
        self.headers = {"X-Forwarded-Proto": "https", "Accept": "application/json"}  # as the TLS proxy would
        if cookie:
            self.headers["Cookie"] = f"sessionid={cookie}"
            self.headers["Accept"] = "text/html"
        if token:
            self.headers["Authorization"] = f"Token {token}"

    def call(self, kind: str, method: str, path: str, body=None, expect=(200,), conflict_ok=False):
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            conn.close()
        except OSError as error:
            self.recorder.record(kind, (time.perf_counter() - started) * 1000, False, example=repr(error))
            return None, None
        ms = (time.perf_counter() - started) * 1000
        conflict = conflict_ok and response.status == 409
        ok = response.status in expect
        self.recorder.record(kind, ms, ok, conflict, example=f"{response.status} {raw[:200]!r}")
        return response.status, raw


def workstation(client: Client, stop: threading.Event, poll: float):
    stop.wait(random.uniform(0, poll))  # workstations do not refresh in step
    while not stop.is_set():
        started = time.monotonic()
        client.call("day list (page)", "GET", "/day/")
        stop.wait(max(0.0, poll - (time.monotonic() - started)))


def scheduler(client: Client, stop: threading.Event, patients: list[int], lock: threading.Lock):
    start = datetime.now(UTC).date() + timedelta(days=3)
    end = start + timedelta(days=27)
    names = ["pat", "load", "diaz", "ito", "chen", "smith", "patient1"]
    while not stop.is_set():
        client.call("patient search (API)", "GET", f"/api/v1/patients?q={random.choice(names)}")
        status, raw = client.call(
            "slot search (API)",
            "GET",
            f"/api/v1/slots?procedure=galactogram&start={start}&end={end}&duration=45&limit=20",
        )
        slots = json.loads(raw)["slots"] if status == 200 else []
        if slots:
            with lock:
                patient = patients.pop()
            slot = random.choice(slots)
            client.call(
                "booking (API)",
                "POST",
                "/api/v1/appointments",
                {"patient": patient, "procedure": "galactogram", "start": slot["start"], "duration": 45},
                expect=(201,),
                conflict_ok=True,
            )
        stop.wait(1.0)


def pct(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--poll", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        print("DATABASE_URL must point at PostgreSQL", file=sys.stderr)
        return 2
    server = database_url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0]
    name = f"load_{os.getpid()}"
    url = f"{server}/{name}"
    work = Path(tempfile.mkdtemp(prefix="galactogram-load-"))
    base_env = {
        k: v for k, v in os.environ.items() if k not in {"DJANGO_ENV", "DJANGO_DEBUG", "DJANGO_STATIC_MANIFEST"}
    }
    base_env.update(DATABASE_URL=url, EMAIL_MODE="file", EMAIL_FILE_PATH=str(work / "email"))
    production = {
        **base_env,
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": "load-test-secret-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_STATIC_ROOT": str(work / "static"),
        "DJANGO_CONN_MAX_AGE": "60",
    }

    def manage(env, *argv):
        result = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        if result.returncode:
            raise SystemExit(f"manage.py {argv[0]} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    psql(server, f'CREATE DATABASE "{name}"')
    gunicorn = None
    try:
        print("building the database: migrate, demo department (today's full day), 2,000 patients…", flush=True)
        manage(base_env, "migrate", "--noinput", "-v", "0")
        manage(base_env, "seed_demo")  # the demo is refused in production: seed outside it
        fixtures = json.loads(manage(production, "shell", "-c", PREPARE).strip().splitlines()[-1])
        manage(production, "collectstatic", "--noinput", "-v", "0")
        port = free_port()
        gunicorn_env = {**production, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": str(args.workers)}
        log = open(work / "gunicorn.log", "wb")  # noqa: SIM115
        gunicorn = subprocess.Popen(  # noqa: S603
            [str(BIN / "gunicorn"), "-c", "config/gunicorn.conf.py", "config.wsgi", "--access-logfile", "/dev/null"],
            cwd=ROOT,
            env=gunicorn_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        recorder = Recorder()
        warm = Client(port, Recorder(), cookie=fixtures["cookies"][0])
        for _ in range(args.workers * 3):
            warm.call("warm-up", "GET", "/day/")
        # One client alone first: what a day list costs without queueing behind others.
        alone = Recorder()
        single = Client(port, alone, cookie=fixtures["cookies"][0])
        for _ in range(20):
            single.call("alone", "GET", "/day/")
        baseline = statistics.median(alone.samples["alone"])
        stop = threading.Event()
        patients = list(fixtures["patients"])
        lock = threading.Lock()
        threads = [
            threading.Thread(target=workstation, args=(Client(port, recorder, cookie=c), stop, args.poll))
            for c in fixtures["cookies"]
        ] + [
            threading.Thread(target=scheduler, args=(Client(port, recorder, token=t), stop, patients, lock))
            for t in fixtures["tokens"]
        ]
        print(
            f"running {args.duration:.0f} s: gunicorn ×{args.workers} on PostgreSQL, 50 workstations polling /day/ "
            f"every {args.poll:g} s, 5 schedulers searching and booking…",
            flush=True,
        )
        load_before = os.getloadavg()[0]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(args.duration)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        elapsed = time.monotonic() - began
    finally:
        if gunicorn is not None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            gunicorn.wait(timeout=30)
        psql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)

    everything = sorted(ms for samples in recorder.samples.values() for ms in samples)
    print(f"\n{'request':24} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for kind, samples in sorted(recorder.samples.items()):
        ordered = sorted(samples)
        print(
            f"{kind:24} {len(ordered):6d} {statistics.median(ordered):8.1f} {pct(ordered, 0.95):8.1f} "
            f"{pct(ordered, 0.99):8.1f} {recorder.errors[kind]:7d}"
        )
    total_errors = sum(recorder.errors.values())
    print(
        f"{'all':24} {len(everything):6d} {statistics.median(everything):8.1f} {pct(everything, 0.95):8.1f} "
        f"{pct(everything, 0.99):8.1f} {total_errors:7d}"
    )
    rate = len(everything) / elapsed
    print(f"one client alone beforehand: day list median {baseline:.1f} ms over 20 requests")
    print(f"{rate:.1f} requests/s over {elapsed:.0f} s; {recorder.conflicts} bookings refused (409)")
    cpus = os.cpu_count()
    print(f"machine load average (1 min) before/after: {load_before:.1f} / {os.getloadavg()[0]:.1f} on {cpus} CPUs")
    for example in recorder.error_examples:
        print("error:", example)
    goal = pct(everything, 0.95) < 200 and total_errors == 0
    print(f"goal p95 < 200 ms and 0 errors: {'met' if goal else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
