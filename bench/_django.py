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

# BENCH_TINY=1 (`bench/run_all.py --tiny`, run by CI): every bench once at a tiny size, so that a
# bench that no longer runs fails CI; its figures mean nothing and no goal is judged.
TINY = os.environ.get("BENCH_TINY") == "1"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402


@contextmanager
def bench_database(name: str):
    """A fresh, migrated database named <DATABASE_URL's database>_<name>, dropped afterwards (so
    two checkouts benching on one server do not drop each other's). No test-environment
    instrumentation: templates render as in production. Under run_all on PostgreSQL the
    database is a copy of one migrated once for the whole run (BENCH_TEMPLATE_DB)."""
    from django.db import connection

    database = settings.DATABASES["default"]
    base = Path(str(database["NAME"])).stem if database["ENGINE"].endswith("sqlite3") else database["NAME"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    template = os.environ.get("BENCH_TEMPLATE_DB")
    if template and connection.vendor == "postgresql":
        with copied_database(template, f"{base}_{name}"):
            yield
        return
    database.setdefault("TEST", {})["NAME"] = f"{base}_{name}"
    old = setup_databases(verbosity=0, interactive=False, serialized_aliases=[])
    try:
        yield
    finally:
        teardown_databases(old, verbosity=0)


@contextmanager
def copied_database(template: str, name: str):
    """CREATE DATABASE … TEMPLATE: a migrated database in a second instead of a migration run."""
    from django.db import connection, connections

    def run(sql):
        with connection._nodb_cursor() as cursor:
            cursor.execute(sql)

    # WITH (FORCE): a bench's own servers (the worklist's threads, a worker) may still hold a
    # connection to a copy left by an interrupted run, or to this one as it ends.
    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    try:
        yield
    finally:
        connections.close_all()
        connection.settings_dict["NAME"] = original
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sized(full, tiny):
    """The bench's size, or its tiny stand-in under BENCH_TINY=1."""
    return tiny if TINY else full


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
