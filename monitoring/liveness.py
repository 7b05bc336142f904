"""Long-running listeners say they are alive: a daemon thread writes the process's heartbeat row
every LISTENER_HEARTBEAT_SECONDS while it serves, and /healthz reads it (monitoring/health.py).

The HL7 and worklist listeners are not Celery's: beat's heartbeat says nothing about them. A
listener killed outright writes nothing more, so within LISTENER_MAX_AGE_SECONDS /healthz says so;
one stopped on purpose deletes its row, so a node that does not run it is not reported down.
"""

import logging
import threading

from django.conf import settings
from django.db import connection

from monitoring.models import Heartbeat
from monitoring.tasks import record_heartbeat

logger = logging.getLogger(__name__)


class Liveness:
    def __init__(self, name: str):
        self.name = name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"{name}-heartbeat", daemon=True)

    def start(self) -> "Liveness":
        self._thread.start()
        return self

    def stop(self) -> None:
        """A clean stop: no more heartbeats and no row (not running is not the same as dead)."""
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            Heartbeat.objects.filter(name=self.name).delete()
        except Exception:  # the database may be what is stopping us
            logger.warning("Could not remove the %s heartbeat on stopping", self.name)

    def _beat(self) -> None:
        failing = False
        while not self._stop.is_set():
            try:
                record_heartbeat(name=self.name)
                if failing:
                    logger.info("%s heartbeat written again", self.name)
                failing = False
            except Exception:
                if not failing:  # once per outage, not every few seconds
                    logger.warning("%s heartbeat not written (database unreachable?)", self.name)
                failing = True
            finally:
                # This thread's own connection: never left open across a database restart.
                connection.close()
            self._stop.wait(settings.LISTENER_HEARTBEAT_SECONDS)
