"""Running manage.py and Python in a child process with a chosen environment."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "DJANGO_ALLOWED_HOSTS": "imaging.example.org",
    "METRICS_TOKEN": "a-production-monitoring-token",
}


def child_env(**extra) -> dict:
    # Our own test process's settings must not leak into the child's.
    # PROMETHEUS_MULTIPROC_DIR too: reading config/gunicorn.conf.py in a test sets it to a folder
    # that is gone by the time a child starts, and a child's metrics would fail on it.
    dropped = {
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "DJANGO_DEBUG",
        "DJANGO_ENV",
        "HOST",
        "DJANGO_STATIC_MANIFEST",
        "PROMETHEUS_MULTIPROC_DIR",
    }
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(extra)
    return env


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=child_env(**env), capture_output=True, text=True, timeout=120
    )


def manage(*args: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=180,
    )
