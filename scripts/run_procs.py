"""`make run`'s process manager: honcho, with time for a warm shutdown and one clock.

Ctrl-C (or SIGTERM) makes honcho send SIGTERM to every process, then SIGKILL those still
running after its KILL_WAIT (5 s): too short for a Celery worker to finish the message it is
sending and shut down warm, so it was killed mid-task with ERROR lines. Here the wait is
RUN_SHUTDOWN_SECONDS (30; gunicorn's graceful_timeout is 20). honcho's line prefix shows its
own clock: it runs in UTC, as every process's log lines do (config/log_format.py).

Usage: python scripts/run_procs.py start -f Procfile -p 8000 (any `honcho` arguments).
"""

import os
import sys
import time


def main() -> int:
    os.environ["TZ"] = "UTC"
    time.tzset()
    from honcho import manager
    from honcho.command import main as honcho_main

    manager.KILL_WAIT = int(os.environ.get("RUN_SHUTDOWN_SECONDS", "30"))
    return honcho_main()


if __name__ == "__main__":
    sys.exit(main())
