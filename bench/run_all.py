"""`make bench`: run every bench/bench_*.py in turn; each prints its own figures.

Benchmarks use DATABASE_URL / REDIS_URL like the application (PostgreSQL and Redis for
the concurrency figures); each builds its data in a throw-away database of its own.
"""

import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
failed = []
for script in sorted(here.glob("bench_*.py")):
    print(f"\n=== {script.stem} ===", flush=True)
    if subprocess.call([sys.executable, str(script)], cwd=here.parent) != 0:
        failed.append(script.stem)
if failed:
    print(f"\nFailed: {', '.join(failed)}")
    sys.exit(1)
