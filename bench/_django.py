"""Shared set-up for benchmarks: Django on a throw-away test database of the bench's own."""

import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Measure what production runs: no debug mode, so templates are parsed once and cached.
os.environ.setdefault("DJANGO_DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402


@contextmanager
def bench_database(name: str):
    """A fresh, migrated database named test_<name>, dropped afterwards. No test-environment
    instrumentation: templates render as in production."""
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_{name}"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    old = setup_databases(verbosity=0, interactive=False, serialized_aliases=[])
    try:
        yield
    finally:
        teardown_databases(old, verbosity=0)


def count_queries(fn) -> int:
    """Queries one call runs (reads Django's query log, so works outside tests too)."""
    from django.db import connection, reset_queries

    debug, settings.DEBUG = settings.DEBUG, True
    try:
        reset_queries()
        fn()
        return len(connection.queries)
    finally:
        settings.DEBUG = debug


def is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def timed(fn, runs: int) -> list[float]:
    """Milliseconds per call."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(int(len(ordered) * 0.95) - 1, 0)]
    return f"median {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms over {len(ordered)} runs"
