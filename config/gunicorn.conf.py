"""gunicorn settings for `make run` and deployments: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Environment: HOST (default 127.0.0.1: reachable from this machine only; put a TLS proxy in
front, or set HOST=0.0.0.0 deliberately), PORT (8000), WEB_CONCURRENCY (workers, 2),
GUNICORN_TIMEOUT (30 s), GUNICORN_CONTROL_SOCKET (none unless set: see below).
"""

import os
import shutil
import tempfile
from pathlib import Path

from config.log_format import GUNICORN_LOGCONFIG

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
# Request lines up to gunicorn's largest limit reach Django, which refuses those over 4 KB with a
# 414 in the door's own shape (security.errors.AddressLengthMiddleware) instead of bare HTML.
limit_request_line = 8190
accesslog = "-"
# Path only (no query string), with patient-link tokens masked. Request time in microseconds.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(D)sus'
logger_class = "config.gunicorn_logging.RedactingLogger"
errorlog = "-"
# The same line format and UTC clock as Django, Celery and the listeners (config/log_format.py).
logconfig_dict = GUNICORN_LOGCONFIG
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# gunicorn's control socket (for `gunicornc`) defaults to one path per user,
# ~/.gunicorn/gunicorn.ctl: every instance on a host would share it, the last to start taking
# it over and the first to stop deleting it. None unless asked for, then at a path of this
# instance's own (e.g. /run/galactogram/web-8000.ctl).
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

# prometheus-client's multi-process mode: each worker writes its counters and histograms to
# files here; /metrics in any worker adds them up. One directory per master process.
_metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(tempfile.gettempdir()) / f"galactogram-metrics-{os.getpid()}")
)


def on_starting(server):
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    Path(_metrics_dir).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    shutil.rmtree(_metrics_dir, ignore_errors=True)
