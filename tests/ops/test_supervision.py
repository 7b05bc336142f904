"""`make run`'s processes under supervision, and faults of the services under them (issue 23).

The test starts its own PostgreSQL and Redis and the Procfile under `scripts/supervise.py`, as
`make run` does (production settings). Then it SIGKILLs each process in turn — worker, web, the
HL7 listener, the worklist service, beat — and while one is down the others keep answering
(HTTP, an HL7 ACK over MLLP, a DICOM C-ECHO); each is back within 30 s. Then it kills
PostgreSQL (/healthz names the database, the API answers 503 with Retry-After, the listeners
still answer) and Redis (a restart that lost its queue). Throughout, /healthz blames only what
is down. At the end nothing acknowledged is lost (every booking answered 201 is there) and every
preparation text reached the SMS provider exactly once.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from contextlib import suppress
from functools import partial

import psycopg
import pytest

from tests.ops.instances import PostgresServer, RedisServer
from tests.ops.nodes import copy_test_database, free_port, http, manage, node_env
from tests.ops.support import PRODUCTION, ROOT
from tests.ops.test_two_nodes import SETUP, grid

# django_db: the test database exists and is migrated (copy_test_database copies it).
pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker, pytest.mark.django_db]

BACK_WITHIN_SECONDS = 30
ADT = (
    "MSH|^~\\&|EHR|HOSP|GALACTO|RADIOLOGY|20261202101010||ADT^A08^ADT_A01|{control}|P|2.5.1\r"
    "EVN|A08|20261202101010\r"
    "PID|1||SUP-{control}^^^HOSPITAL^MR||Probe^Pat||19800101|F\r"
    "PV1|1|O\r"
)


class Department:
    """The supervised processes and the ways to ask each whether it answers."""

    def __init__(self, env: dict, log_path):
        self.env = env
        self.base = f"http://127.0.0.1:{env['PORT']}"
        self.conf = ROOT / "var" / "run" / f"supervisord-{env['PORT']}.conf"
        self.log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.log_path = log_path
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "scripts/supervise.py", "Procfile"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.sent = 0

    def ctl(self, *args: str) -> str:
        result = subprocess.run(  # noqa: S603
            [str(ROOT / ".venv" / "bin" / "supervisorctl"), "-c", str(self.conf), *args],
            capture_output=True,
            text=True,
            timeout=20,
        )
        return result.stdout

    def status(self) -> dict[str, tuple[str, int | None]]:
        found = {}
        for line in self.ctl("status").splitlines():
            parts = line.split()
            if len(parts) >= 2:
                pid = int(parts[3].rstrip(",")) if len(parts) > 3 and parts[2] == "pid" else None
                found[parts[0]] = (parts[1], pid)
        return found

    def kill(self, name: str) -> int:
        state, pid = self.status()[name]
        assert state == "RUNNING" and pid, f"{name} was not running: {state}"
        os.killpg(pid, signal.SIGKILL)  # the process and its children (gunicorn's, the pool's)
        return pid

    def answers_http(self) -> bool:
        with suppress(OSError):
            status, _ = http("GET", f"{self.base}/healthz", timeout=5)
            return status in (200, 503)
        return False

    def answers_hl7(self) -> bool:
        return self.hl7_ack() is not None

    def hl7_ack(self) -> str | None:
        """The ACK code (AA, AE, AR) the listener answered a patient update with, or None."""
        self.sent += 1
        message = ADT.format(control=f"P{self.sent}").encode()
        with suppress(OSError), socket.create_connection(("127.0.0.1", int(self.env["HL7_PORT"])), timeout=5) as s:
            s.sendall(b"\x0b" + message + b"\x1c\r")
            reply = b""
            while not reply.endswith(b"\x1c\r"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
            for segment in reply.strip(b"\x0b\x1c\r").split(b"\r"):
                if segment.startswith(b"MSA|"):
                    return segment.split(b"|")[1].decode()
        return None

    def answers_dicom(self) -> bool:
        from pynetdicom import AE
        from pynetdicom.sop_class import Verification

        ae = AE(ae_title="PROBE")
        ae.add_requested_context(Verification)
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 5
        assoc = ae.associate("127.0.0.1", int(self.env["WORKLIST_PORT"]), ae_title="GALACTO")
        if not assoc.is_established:
            return False
        status = assoc.send_c_echo()
        assoc.release()
        return bool(status) and status.Status == 0

    def health(self) -> dict:
        with suppress(OSError):
            return http("GET", f"{self.base}/healthz", timeout=5)[1]
        return {}

    def stop(self) -> None:
        with suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.log.close()


PROBES = {"web": "answers_http", "hl7": "answers_hl7", "worklist": "answers_dicom"}


def wait_until(what: str, check, timeout: float, during=None) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if during:
            during()
        if check():
            return time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(f"{what} not within {timeout:.0f} s")


@pytest.fixture
def services(tmp_path):
    postgres = PostgresServer()
    redis = RedisServer(tmp_path)
    try:
        postgres.start()
        redis.start()
        yield postgres, redis
    finally:
        redis.stop()
        postgres.remove()


def test_each_process_and_service_killed_in_turn_comes_back_while_the_rest_keep_answering(tmp_path, services):
    postgres, redis = services
    outbox = tmp_path / "sms"
    env = node_env(
        **{**PRODUCTION, "DJANGO_ALLOWED_HOSTS": "127.0.0.1"},
        DATABASE_URL=postgres.url,
        REDIS_URL=redis.url,
        PORT=str(free_port()),
        HL7_PORT=str(free_port()),
        WORKLIST_PORT=str(free_port()),
        WEB_CONCURRENCY="1",
        EMAIL_MODE="file",
        EMAIL_FILE_PATH=str(tmp_path / "email"),
        SMS_BACKEND="tests.notifications.recording.RecordingSMSBackend",
        SMS_FILE_PATH=str(outbox),
        SMS_QUIET_HOURS_START="00:00",
        SMS_QUIET_HOURS_END="00:00",
        NOTIFICATIONS_DISPATCH_SECONDS="2",
        NOTIFICATIONS_CLAIM_LEASE_SECONDS="15",
        NOTIFICATIONS_SEND_LEASE_SECONDS="10",
        HEARTBEAT_SECONDS="3",  # beat's: /healthz is green that much sooner after start
        LISTENER_HEARTBEAT_SECONDS="1",
        LISTENER_MAX_AGE_SECONDS="5",
    )
    began = time.monotonic()
    copy_test_database(postgres.url)
    manage(env, "migrate", "--noinput", "-v", "0")  # nothing left to do: checks the copy is whole
    print(f"database ready in {time.monotonic() - began:.0f} s")
    ids = json.loads(manage(env, "shell", "-c", SETUP % {"patients": 12}).strip().splitlines()[-1])
    starts, patients = iter(grid(12)), iter(ids["patients"])
    acknowledged: list[int] = []

    def book() -> tuple[int, dict]:
        body = {
            "procedure": "galactogram",
            "start": next(starts).isoformat(),
            "duration": 45,
            "room": ids["rooms"][0],
            "radiologist": ids["rads"][0],
            "technologist": ids["techs"][0],
            "patient": next(patients),
        }
        status, answer = http("POST", f"{department.base}/api/v1/appointments", body, token=ids["token"])
        if status == 201:
            acknowledged.append(answer["id"])
        return status, answer

    blamed: list[tuple[str, list[str]]] = []

    def watch_health(down: set[str]):
        failed = department.health().get("failed", [])
        if set(failed) - down:
            blamed.append((sorted(down)[0] if down else "-", failed))

    department = Department(env, tmp_path / "supervised.log")
    try:
        started = wait_until("/healthz green after start", lambda: department.health().get("status") == "ok", 120)
        print(f"green {started:.0f} s after start")
        assert book()[0] == 201

        back_after = {}
        for name in ("worker", "web", "hl7", "worklist", "beat"):
            killed = department.kill(name)
            others = [probe for process, probe in PROBES.items() if process != name]
            for probe in others:
                assert getattr(department, probe)(), f"{probe} failed while {name} was down"
            if name == "worker":
                assert book()[0] == 201, "bookings go on while the worker is down (its texts wait)"
            down = {name} if name in ("hl7", "worklist") else set()

            def is_back(name=name, killed=killed):
                state, pid = department.status().get(name, ("?", None))
                if state != "RUNNING" or pid == killed:
                    return False
                return getattr(department, PROBES[name])() if name in PROBES else True

            # Nothing can be asked of /healthz while web is down.
            watch = None if name == "web" else partial(watch_health, down)
            back_after[name] = wait_until(f"{name} back", is_back, BACK_WITHIN_SECONDS, during=watch)
        print("back after (s):", {name: round(seconds, 1) for name, seconds in back_after.items()})

        # PostgreSQL crashes: /healthz says so, the API answers 503 with Retry-After, the
        # listeners still answer (an AE inviting a resend, a C-ECHO); then it comes back.
        assert book()[0] == 201
        postgres.kill()
        wait_until("/healthz to name the database", lambda: "database" in department.health().get("failed", []), 20)
        status, body = http("GET", f"{department.base}/api/v1/appointments", token=ids["token"])
        assert status == 503, body
        assert department.answers_dicom()
        assert department.hl7_ack() == "AE", "the engine is told to resend, not left on a silent socket"
        postgres.start()
        wait_until("/healthz green after PostgreSQL", lambda: department.health().get("status") == "ok", 60)
        assert department.hl7_ack() == "AA"

        # Redis crashes and comes back empty: whatever was queued is gone; the outbox sends it anyway.
        assert book()[0] == 201
        redis.kill()
        wait_until("/healthz to name the broker", lambda: "broker" in department.health().get("failed", []), 20)
        status, _ = book()
        assert status == 201, "a booking while Redis is down is kept (its texts wait in the outbox)"
        redis.start()
        wait_until("/healthz green after Redis", lambda: department.health().get("status") == "ok", 60)

        assert not blamed, f"/healthz blamed what was not down: {blamed}"
        assert {n for n, (state, _) in department.status().items() if state != "RUNNING"} == set()
        with psycopg.connect(postgres.url.replace("postgres://", "postgresql://", 1)) as conn:
            booked = {row[0] for row in conn.execute("SELECT id FROM radiology_appointment")}
            assert set(acknowledged) <= booked, "every booking answered 201 is kept"

            def all_sent():
                rows = conn.execute("SELECT status FROM notifications_message WHERE kind = 'prep'").fetchall()
                return len(rows) == len(acknowledged) and {r[0] for r in rows} == {"sent"}

            wait_until("every preparation text sent", all_sent, 90)
        time.sleep(3)  # a late duplicate, if any, would arrive now
        from tests.notifications.recording import deliveries

        calls = Counter(delivery["key"] for delivery in deliveries(outbox / "deliveries.log"))
        assert calls and max(calls.values()) == 1, f"a text sent twice: {calls.most_common(3)}"
    except BaseException:
        department.log.flush()
        print(department.log_path.read_text(errors="replace")[-6000:])
        raise
    finally:
        department.stop()
