"""Starting and stopping complete nodes (gunicorn + Celery worker + beat) as child processes,
for the multi-node test and the restore drill. Each process gets its own session so that
a SIGKILL can take a whole process group (a prefork worker and its children)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import suppress
from pathlib import Path

import psycopg

from tests.ops.support import ROOT, child_env

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_url(database_url: str) -> str:
    return database_url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0]


def create_database(database_url: str, name: str) -> str:
    with psycopg.connect(f"{server_url(database_url)}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url(database_url)}/{name}"


def copy_test_database(target_url: str) -> None:
    """Fill the empty database at target_url with the test database's schema and reference
    rows (pytest-django's, already migrated and holding the data migrations' rows: the catalog,
    the role groups): pg_dump piped to psql takes seconds where `migrate` from nothing takes
    half a minute. The test database is at rest here (between tests, nothing uncommitted)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    source = f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    dump = subprocess.run(  # noqa: S603
        ["pg_dump", "--no-owner", "--no-privileges", "--dbname", source],  # noqa: S607
        capture_output=True,
        check=True,
        timeout=120,
    )
    subprocess.run(  # noqa: S603
        ["psql", "--quiet", "-v", "ON_ERROR_STOP=1", "--dbname", target_url.replace("postgres://", "postgresql://", 1)],  # noqa: S607
        input=dump.stdout,
        capture_output=True,
        check=True,
        timeout=120,
    )


def drop_database(database_url: str, name: str) -> None:
    with psycopg.connect(f"{server_url(database_url)}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Processes:
    """Children started here, stopped (TERM, then KILL) by `stop_all`."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.children: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(  # noqa: S603
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.children[name] = process
        return process

    def kill(self, name: str) -> None:
        process = self.children[name]
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.children.values():
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.children.values():
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def log_tail(self, chars: int = 3000) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-chars:]}"
            for path in sorted(self.log_dir.glob("*.log"))
        )


def node_env(**extra) -> dict:
    return child_env(DJANGO_SETTINGS_MODULE="config.settings", PYTHONUNBUFFERED="1", **extra)


def manage(env: dict, *args: str, stdin: str | None = None, timeout: int = 300) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}: {result.stdout[-2000:]}{result.stderr[-3000:]}"
    return result.stdout


def start_node(processes: Processes, name: str, env: dict, *, port: int, web_workers: int = 2) -> None:
    node = {**env, "PORT": str(port), "HOST": "127.0.0.1", "WEB_CONCURRENCY": str(web_workers)}
    processes.start(f"{name}-web", [str(BIN / "gunicorn"), "-c", "config/gunicorn.conf.py", "config.wsgi"], node)
    start_worker(processes, name, env)
    schedule = processes.log_dir / f"{name}-celerybeat-schedule"
    beat = [str(BIN / "celery"), "-A", "config", "beat", "--loglevel=INFO", "-s", str(schedule)]
    processes.start(f"{name}-beat", beat, env)


def start_worker(processes: Processes, name: str, env: dict) -> None:
    worker = [
        str(BIN / "celery"),
        "-A",
        "config",
        "worker",
        "--loglevel=INFO",
        "--concurrency=2",
        "--without-gossip",
        "--without-mingle",
        "-n",
        f"{name}@%h",
    ]
    processes.start(f"{name}-worker", worker, env)


def http(method: str, url: str, body=None, token: str = "", timeout: float = 30) -> tuple[int, dict]:
    headers = {"Accept": "application/json", "X-Forwarded-Proto": "https"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = json.dumps(body).encode() if body is not None else None
    if data:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, {"raw": raw[:300].decode(errors="replace")}


def wait_healthy(base: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    body: dict = {}
    while time.monotonic() < deadline:
        with suppress(OSError):
            status, body = http("GET", f"{base}/healthz", timeout=5)
            if status == 200:
                return body
        time.sleep(1)
    raise AssertionError(f"{base}/healthz not green after {timeout:.0f} s: {body}")
