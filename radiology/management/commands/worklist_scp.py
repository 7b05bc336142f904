"""`manage.py worklist_scp`: the DICOM Modality Worklist (C-FIND) and MPPS service.

Settings: WORKLIST_AE_TITLE, WORKLIST_BIND, WORKLIST_PORT, WORKLIST_TLS_* (see docs/interfaces.md),
WORKLIST_DB_POOL_SIZE (its threads' database connections come from a pool: config/db_pool.py).
"""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from config.db_pool import pool_connections
from monitoring.liveness import Liveness
from radiology.interfaces.dicom import scp


class Command(BaseCommand):
    help = "Serve the DICOM Modality Worklist and MPPS for the mammography units."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=None, help=f"Address to listen on (default {settings.WORKLIST_BIND}).")
        parser.add_argument("--port", type=int, default=None, help=f"TCP port (default {settings.WORKLIST_PORT}).")
        parser.add_argument("--ae-title", default=None, help=f"Our AE title (default {settings.WORKLIST_AE_TITLE}).")

    def handle(self, *args, bind, port, ae_title, **options):
        title = ae_title or settings.WORKLIST_AE_TITLE
        over = "TLS" if settings.WORKLIST_TLS_CERT else "TCP"
        self.stdout.write(
            f"Worklist/MPPS SCP {title} on {bind or settings.WORKLIST_BIND}:{port or settings.WORKLIST_PORT} ({over})"
        )
        pool_connections(max_size=settings.WORKLIST_DB_POOL_SIZE)
        server = scp.start(bind=bind, port=port, ae_title=title, block=False)
        # SIGTERM (supervisord, systemd) and Ctrl-C stop accepting and close the server cleanly,
        # so the heartbeat is removed: stopped on purpose is not the same as dead.
        stopping = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        liveness = Liveness("worklist").start()
        try:
            while not stopping.wait(1):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            liveness.stop()
            server.shutdown()
