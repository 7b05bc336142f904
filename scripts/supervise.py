"""Run every process of a Procfile under supervisord: `python scripts/supervise.py Procfile`.

`make run` and `make dev` start the application's processes (web, worker, beat, the HL7 and
worklist listeners) this way. The Procfile stays the one list of what runs (honcho, foreman
and the docs read it too); this script only turns it into supervisord's configuration, so that
a process that dies is started again with back-off while the others keep serving, and Ctrl-C
stops each one gracefully (SIGTERM, then its stop timeout) instead of taking them all down.

One supervisord per instance: its control socket and pid file are named after PORT, under
var/run, so two instances on one host (different PORTs) never share or delete each other's.
`supervisorctl -c var/run/supervisord-$PORT.conf status` shows the processes.
"""

import hashlib
import os
import re
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A process that dies before running this long is a failed start: supervisord waits 1 s, 2 s,
# 3 s ... between tries, then gives up (FATAL) after this many, rather than spinning.
START_SECONDS = 3
START_RETRIES = 12
# How long each may take to stop on SIGTERM before SIGKILL: a Celery worker finishes the
# sends it has started (acks_late), gunicorn its requests; the listeners close their sockets.
STOP_SECONDS = {"worker": 60, "web": 30}
DEFAULT_STOP_SECONDS = 15
# Start order (lower first); supervisord stops in the reverse order.
PRIORITY = {"worker": 10, "web": 20, "hl7": 30, "worklist": 30, "beat": 40}


def read_procfile(path: Path) -> dict[str, str]:
    processes = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, command = line.partition(":")
        processes[name.strip()] = command.strip()
    return processes


def supervisor_command(command: str) -> str:
    # supervisord expands %(ENV_X)s, not the shell's $X, and reads a lone % as the start of one.
    command = command.replace("%", "%%")
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", r"%(ENV_\1)s", command)


def control_socket(run_dir: Path, port: str) -> Path:
    socket = run_dir / f"supervisor-{port}.sock"
    # A Unix socket's path is limited to 107 bytes: a deep checkout uses the temp dir instead.
    if len(str(socket)) > 100:
        digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
        socket = Path(tempfile.gettempdir()) / f"galactogram-{digest}-{port}.sock"
    return socket


def configuration(processes: dict[str, str], *, port: str, run_dir: Path) -> str:
    socket = control_socket(run_dir, port)
    # The control socket is this user's alone (0700) and asks for a password made anew at each
    # start, written only into this file (0600), which supervisorctl reads.
    password = secrets.token_urlsafe(24)
    lines = [
        "[supervisord]",
        "nodaemon=true",
        # Said explicitly when started as root (a container), else supervisord warns at each start.
        *(["user=root"] if os.geteuid() == 0 else []),
        # In the foreground supervisord writes its own lines (spawned, exited, restarting) to the
        # terminal with the rest already; a log file as well would only print each twice.
        "logfile=/dev/null",
        "logfile_maxbytes=0",
        "loglevel=info",
        f"pidfile={run_dir / f'supervisord-{port}.pid'}",
        f"childlogdir={run_dir}",
        "",
        "[unix_http_server]",
        f"file={socket}",
        "chmod=0700",
        "username=galactogram",
        f"password={password}",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{socket}",
        "username=galactogram",
        f"password={password}",
        "",
    ]
    for name, command in processes.items():
        lines += [
            f"[program:{name}]",
            f"command={supervisor_command(command)}",
            f"directory={ROOT}",
            f"priority={PRIORITY.get(name, 50)}",
            "autostart=true",
            "autorestart=true",
            f"startsecs={START_SECONDS}",
            f"startretries={START_RETRIES}",
            "stopsignal=TERM",
            f"stopwaitsecs={STOP_SECONDS.get(name, DEFAULT_STOP_SECONDS)}",
            # SIGTERM to the process alone (a Celery worker's pool children taking it too would end
            # their sends with errors; the worker stops them itself); SIGKILL, if it comes to
            # that, to the whole group, so no child outlives its parent.
            "stopasgroup=false",
            "killasgroup=true",
            "redirect_stderr=true",
            "stdout_logfile=/dev/stdout",
            "stdout_logfile_maxbytes=0",
            "",
        ]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise SystemExit("usage: python scripts/supervise.py PROCFILE")
    processes = read_procfile(ROOT / argv[1])
    port = os.environ.setdefault("PORT", "8000")
    # Procfile.dev's web line names $HOST: supervisord refuses a command naming an unset one.
    os.environ.setdefault("HOST", "127.0.0.1")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    # supervisord's own lines in UTC, like every process's (config/log_format.py).
    os.environ["TZ"] = "UTC"
    run_dir = ROOT / "var" / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    conf = run_dir / f"supervisord-{port}.conf"
    conf.touch(mode=0o600)
    conf.chmod(0o600)
    conf.write_text(configuration(processes, port=port, run_dir=run_dir))
    supervisord = Path(sys.executable).parent / "supervisord"
    os.execv(supervisord, [str(supervisord), "-c", str(conf)])  # noqa: S606 - our own venv's binary


if __name__ == "__main__":
    main(sys.argv)
