"""CI proves the install, not only the tests (issue 9).

What a hospital's IT team does on a fresh machine, end to end:
  1. copy the project (tracked and new files, nothing ignored: no .venv, no staticfiles)
     into a temporary directory;
  2. `make run` there with DJANGO_ENV=production against a fresh PostgreSQL database and the
     given Redis, on a free port: the Makefile builds a venv from requirements.txt alone (no
     dev requirements), migrates, collects static files and starts gunicorn + worker + beat;
  3. waits for /healthz to be green (database, broker, beat ticking, nothing overdue);
  4. creates the first staff with `create_staff` and a room, issues an API token, registers a
     patient, books the earliest slot over the API;
  5. waits until the worker has delivered the preparation message: the e-mail file is in the
     outbox and the appointment is `prep_sent`; a static file and /metrics answer too;
  6. stops everything it started (and fails if anything is left), drops the database.
Any failure exits non-zero with the step and the processes' log tail.

With --modes it then runs the same `make run` in the same copy in the other modes: `postgres`
(the demo on PostgreSQL + Redis) and `sqlite` (no settings: SQLite and the filesystem broker),
checking that the demo department is loaded and pages, API and hashed static files answer.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL. INSTALL_CHECK_PORT picks the port (else free).
Run: `make install-check` (CI: production,sqlite) or
`.venv/bin/python scripts/install_check.py --modes production,postgres,sqlite`.
"""

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[install-check {time.monotonic() - STARTED:5.1f}s] {message}", flush=True)


class Failure(Exception):
    pass


def free_port() -> int:
    if os.environ.get("INSTALL_CHECK_PORT"):
        return int(os.environ["INSTALL_CHECK_PORT"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_project(target: Path) -> None:
    files = subprocess.run(  # noqa: S603
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file():
            (target / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name.decode())


def psql_admin(database_url: str, sql: str) -> None:
    """Run one statement on the server's `postgres` database with the project's own psycopg."""
    server = database_url.rsplit("/", 1)[0]
    code = "import psycopg, sys\nwith psycopg.connect(sys.argv[1], autocommit=True) as c: c.execute(sys.argv[2])\n"
    subprocess.run([sys.executable, "-c", code, f"{server}/postgres", sql], check=True, timeout=60)  # noqa: S603


class Site:
    def __init__(self, base: str):
        self.base = base
        self.token = ""

    def request(self, method: str, path: str, body=None, *, expect=(200,), authorization: str = ""):
        headers = {"X-Forwarded-Proto": "https", "Accept": "application/json"}  # as the TLS proxy would
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        if authorization:
            headers["Authorization"] = authorization
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(req, timeout=20) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        if status not in expect:
            raise Failure(f"{method} {path}: HTTP {status}: {raw[:500]!r}")
        return status, raw


def wait_for(what: str, probe, timeout: float, interval: float = 2.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            result = probe()
            if result:
                return result
        except (Failure, OSError) as error:
            last = error
        time.sleep(interval)
    raise Failure(f"timed out after {timeout:.0f} s waiting for {what} (last: {last})")


def processes_under(directory: Path) -> list[int]:
    """Processes whose working directory is inside `directory`: what `make run` started."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if str(Path(os.readlink(entry / "cwd"))).startswith(str(directory)):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def stop(run: subprocess.Popen, workdir: Path) -> None:
    """SIGTERM to supervisord (it stops every process in turn and waits), then check nothing is left."""
    supervisor = [
        pid for pid in processes_under(workdir) if b"supervisord" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    for pid in supervisor or [run.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        run.wait(timeout=40)
    deadline = time.monotonic() + 20
    while processes_under(workdir) and time.monotonic() < deadline:
        time.sleep(0.5)
    left = processes_under(workdir)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if left:
        raise Failure(f"processes still running after stop: {left}")


def check(workdir: Path, run: subprocess.Popen, env: dict, site: Site) -> None:
    py = str(workdir / ".venv" / "bin" / "python")

    def manage(*args, stdin: str | None = None) -> str:
        result = subprocess.run(  # noqa: S603
            [py, "manage.py", *args], cwd=workdir, env=env, input=stdin, capture_output=True, text=True, timeout=120
        )
        if result.returncode:
            raise Failure(f"manage.py {' '.join(args)}: {result.stderr[-1500:]}")
        return result.stdout

    def healthy():
        if run.poll() is not None:
            raise SystemExit(f"`make run` exited with {run.returncode} before serving")
        status, raw = site.request("GET", "/healthz", expect=(200, 503))
        body = json.loads(raw) if status == 200 else None
        return body if body and body["status"] == "ok" else None  # not "starting": the first tick came

    say("waiting for /healthz (install, migrate, collectstatic, start, first beat tick)")
    health = wait_for("/healthz to be 200", healthy, timeout=420, interval=3)
    say(f"healthy: {health.get('checks', health)}")  # production: the summary only, without the token

    dev_only = subprocess.run(  # noqa: S603
        [py, "-c", "import pytest"], capture_output=True, cwd=workdir, check=False
    )
    if dev_only.returncode == 0:
        raise Failure("the run venv has pytest: it was not built from requirements.txt alone")
    if "manager" in manage("shell", "-c", "from django.contrib.auth.models import User; print(*User.objects.all())"):
        raise Failure("production has demo users")

    say("first staff, a room, an API token")
    password = secrets.token_urlsafe(18)
    manage("create_staff", "chief", "--role", "manager", "--password-stdin", stdin=password + "\n")
    manage("create_staff", "booker", "--role", "scheduler", "--password-stdin", stdin=password + "\n")
    manage("create_staff", "dr_one", "--role", "radiologist", "--last-name", "One", "--password-stdin", stdin=password)
    manage("create_staff", "tech_one", "--role", "technologist", "--password-stdin", stdin=password + "\n")
    manage("shell", "-c", "from radiology.services.department import ensure_room; ensure_room(name='Mammo 1')")
    site.token = manage("issue_api_token", "booker").strip().splitlines()[-1]

    say("booking over the API")
    _, raw = site.request(
        "POST",
        "/api/v1/patients",
        {
            "mrn": "IC-0001",
            "given_name": "Ines",
            "family_name": "Check",
            "birth_date": "1980-01-02",
            "sex": "female",
            "email": "ines@example.org",
            "preferred_channel": "email",
        },
        expect=(201,),
    )
    patient = json.loads(raw)["id"]
    start = datetime.now(UTC).date()  # slots begin 48 h from now whatever the zone
    end = start + timedelta(days=14)
    _, raw = site.request("GET", f"/api/v1/slots?procedure=galactogram&start={start}&end={end}&duration=45&limit=1")
    slot = json.loads(raw)["slots"][0]
    _, raw = site.request(
        "POST",
        "/api/v1/appointments",
        {"patient": patient, "procedure": "galactogram", "start": slot["start"], "duration": 45},
        expect=(201,),
    )
    appointment = json.loads(raw)["id"]
    say(f"booked appointment {appointment} at {slot['start']}")

    outbox = Path(env["EMAIL_FILE_PATH"])

    def delivered():
        _, raw = site.request("GET", f"/api/v1/appointments/{appointment}")
        mails = [p for p in outbox.glob("*") if p.is_file() and "ines@example.org" in p.read_text(errors="ignore")]
        return json.loads(raw)["status"] == "prep_sent" and mails

    mails = wait_for("the worker to deliver the preparation e-mail", delivered, timeout=120)
    say(f"preparation e-mail delivered by the worker: {mails[0].name}")

    _, page = site.request("GET", "/accounts/login/")
    css = re.search(rb"/static/vendor/bootstrap\.min\.[0-9a-f]{12}\.css", page)
    if not css:
        raise Failure("the login page does not link a hashed static file")
    site.request("GET", css.group(0).decode())
    # Production requires the monitoring token: /metrics without it is a 401.
    site.request("GET", "/metrics", expect=(401,), authorization="Bearer wrong")
    _, metrics = site.request("GET", "/metrics", authorization=f"Bearer {env['METRICS_TOKEN']}")
    if not re.search(rb'galactogram_deliveries_total\{channel="email",result="sent"\} [1-9]', metrics):
        raise Failure("/metrics does not count the delivered e-mail")
    say("static files and /metrics answer")


def check_demo(workdir: Path, run: subprocess.Popen, env: dict, site: Site) -> None:
    """The demo modes: the department is loaded, pages and static files are served."""
    py = str(workdir / ".venv" / "bin" / "python")

    def healthy():
        if run.poll() is not None:
            raise SystemExit(f"`make run` exited with {run.returncode} before serving")
        status, raw = site.request("GET", "/healthz", expect=(200, 503))
        body = json.loads(raw) if status == 200 else None
        return body if body and body["status"] == "ok" else None  # not "starting": the first tick came

    say("waiting for /healthz")
    health = wait_for("/healthz to be 200", healthy, timeout=420, interval=3)
    say(f"healthy: {health.get('checks', health)}")  # production: the summary only, without the token
    token = subprocess.run(  # noqa: S603
        [py, "manage.py", "issue_api_token", "scheduler"], cwd=workdir, env=env, capture_output=True, text=True
    )
    if token.returncode:
        raise Failure(f"no demo scheduler: {token.stderr[-500:]}")
    site.token = token.stdout.strip().splitlines()[-1]
    _, raw = site.request("GET", "/api/v1/appointments?date=" + datetime.now(UTC).date().isoformat())
    _, page = site.request("GET", "/accounts/login/")
    css = re.search(rb"/static/vendor/bootstrap\.min\.[0-9a-f]{12}\.css", page)
    if not css:
        raise Failure("the login page does not link a hashed static file")
    site.request("GET", css.group(0).decode())
    say("demo department loaded; API, pages and hashed static files answer")
    # The change counters' triggers survive the migrations' table rebuilds (SQLite copies a
    # table to alter it, and its triggers went with the old copy): editing a patient must
    # move her days' counters, or the day list keeps showing the old name (issue 22).
    counted = subprocess.run(  # noqa: S603
        [py, "manage.py", "shell", "-c", COUNTER_CHECK], cwd=workdir, env=env, capture_output=True, text=True
    )
    if "counters moved" not in counted.stdout:
        raise Failure(
            f"editing a patient did not move the day list's counters: {counted.stdout[-300:]}{counted.stderr[-500:]}"
        )
    say("editing a patient moves her days' change counters")


COUNTER_CHECK = """
from radiology.models import DayVersion, Patient
patient = Patient.objects.filter(appointments__isnull=False).first()
before = dict(DayVersion.objects.values_list("day", "version"))
patient.family_name += "-checked"
patient.save(update_fields=["family_name"])
after = dict(DayVersion.objects.values_list("day", "version"))
print("counters moved" if after != before else "counters did not move")
"""


def run_mode(mode: str, workdir: Path, env: dict, port: int) -> bool:
    log_path = workdir / f"make-run-{mode}.log"
    run = None
    ok = False
    try:
        with open(log_path, "wb") as log:
            run = subprocess.Popen(  # noqa: S603
                ["make", "run"],  # noqa: S607
                cwd=workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        site = Site(f"http://127.0.0.1:{port}")
        (check if mode == "production" else check_demo)(workdir, run, env, site)
        ok = True
    except (Failure, subprocess.SubprocessError, SystemExit) as error:
        print(f"install check FAILED ({mode}): {error}", file=sys.stderr)
    finally:
        if run is not None:
            try:
                stop(run, workdir)
                say("stopped web, worker and beat; nothing left running")
            except Failure as error:
                print(f"install check FAILED ({mode}): {error}", file=sys.stderr)
                ok = False
        if not ok and log_path.exists():
            print(f"---- make run log, {mode} (tail) ----", file=sys.stderr)
            print(log_path.read_text(errors="replace")[-6000:], file=sys.stderr)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--modes",
        default="production",
        help="comma-separated: production (CI), postgres (demo on PostgreSQL + Redis), sqlite (the default demo)",
    )
    modes = parser.parse_args().modes.split(",")
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url:
        print("install check: DATABASE_URL (PostgreSQL) and REDIS_URL are required", file=sys.stderr)
        return 2
    server, _, name = database_url.rpartition("/")
    fresh_db = f"{name}_install"
    fresh_url = f"{server}/{fresh_db}"
    workdir = Path(tempfile.mkdtemp(prefix="galactogram-install-"))
    port = free_port()
    common = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(workdir)),
        "LANG": "C.UTF-8",
        "EMAIL_MODE": "file",
        "EMAIL_FILE_PATH": str(workdir / "var" / "outbox" / "email"),
        "SMS_FILE_PATH": str(workdir / "var" / "outbox" / "sms"),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "PORT": str(port),
        # The interface listeners `make run` also starts (HL7 v2, DICOM worklist): free ports too.
        "HL7_PORT": str(free_port() if not os.environ.get("INSTALL_CHECK_PORT") else port + 1),
        "WORKLIST_PORT": str(free_port() if not os.environ.get("INSTALL_CHECK_PORT") else port + 2),
        "WEB_CONCURRENCY": "2",
        **({"PYTHON": os.environ["PYTHON"]} if os.environ.get("PYTHON") else {}),
    }
    environments = {
        "production": {
            **common,
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "METRICS_TOKEN": secrets.token_urlsafe(32),
            "DATABASE_URL": fresh_url,
            "REDIS_URL": redis_url,
        },
        "postgres": {**common, "DATABASE_URL": fresh_url, "REDIS_URL": redis_url},
        "sqlite": common,
    }
    results = {}
    try:
        say(f"copying the project to {workdir}")
        copy_project(workdir)
        for mode in modes:
            if mode != "sqlite":
                psql_admin(database_url, f'DROP DATABASE IF EXISTS "{fresh_db}" WITH (FORCE)')
                psql_admin(database_url, f'CREATE DATABASE "{fresh_db}"')
            say(f"make run: {mode} mode, port {port}" + ("" if mode == "sqlite" else f", fresh database {fresh_db}"))
            results[mode] = run_mode(mode, workdir, environments[mode], port)
    finally:
        try:
            psql_admin(database_url, f'DROP DATABASE IF EXISTS "{fresh_db}" WITH (FORCE)')
        except subprocess.SubprocessError as error:
            print(f"could not drop {fresh_db}: {error}", file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
    ok = bool(results) and all(results.values()) and len(results) == len(modes)
    say(f"{'PASSED' if ok else 'FAILED'}: {results}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
