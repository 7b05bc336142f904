"""`make bench`: run every bench/bench_*.py in turn; each prints its own figures.

Benchmarks use DATABASE_URL / REDIS_URL like the application (PostgreSQL and Redis for
the concurrency figures); each builds its data in a throw-away database of its own.

`--tiny` (BENCH_TINY=1; CI runs it after the tests): every bench once at a tiny size, so that a
bench that no longer runs fails CI. Its figures mean nothing; a bench fails only by breaking.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

here = Path(__file__).resolve().parent
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--tiny", action="store_true", help="every bench once at a tiny size (CI)")
parser.add_argument("only", nargs="*", help="run only these benches (e.g. bench_scheduling)")
args = parser.parse_args()
env = {**os.environ, "BENCH_TINY": "1"} if args.tiny else dict(os.environ)


def migrated_template(url: str):
    """On PostgreSQL, one migrated database for the whole run: each bench copies it (CREATE
    DATABASE … TEMPLATE) instead of migrating its own, seconds instead of a minute per bench."""
    if not url.startswith(("postgres://", "postgresql://")):
        return None, None
    server, _, name = url.partition("?")[0].rpartition("/")
    template = f"{name}_bench_template"
    drop_database(server, template)
    migrate_env = {**env, "DATABASE_URL": f"{server}/{template}", "DJANGO_DEBUG": "false"}
    for step in (["scripts/ensure_database.py"], ["manage.py", "migrate", "--noinput", "--verbosity", "0"]):
        subprocess.check_call([sys.executable, *step], cwd=here.parent, env=migrate_env)
    return server, template


def drop_database(server: str, name: str):
    import psycopg

    with psycopg.connect(f"{server.replace('postgres://', 'postgresql://', 1)}/postgres", autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {}").format(psycopg.sql.Identifier(name)))


server, template = migrated_template(env.get("DATABASE_URL", ""))
if template:
    env["BENCH_TEMPLATE_DB"] = template
failed = []
print(f"machine load (1, 5, 15-minute averages, {os.cpu_count()} CPUs): {os.getloadavg()}", flush=True)
for script in sorted(here.glob("bench_*.py")):
    if args.only and script.stem not in args.only:
        continue
    print(f"\n=== {script.stem} ===", flush=True)
    began = time.perf_counter()
    if subprocess.call([sys.executable, str(script)], cwd=here.parent, env=env) != 0:
        failed.append(script.stem)
    print(f"--- {script.stem}: {time.perf_counter() - began:.0f} s", flush=True)
if template:
    drop_database(server, template)
print(f"\nmachine load at the end: {os.getloadavg()}")
if failed:
    print(f"\nFailed: {', '.join(failed)}")
    sys.exit(1)
