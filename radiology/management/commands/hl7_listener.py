"""python manage.py hl7_listener: the `hl7` process (Procfile). Receives HL7 v2 orders
over MLLP on HL7_BIND:HL7_PORT and answers each with an ACK. See docs/interfaces.md."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from config import tls
from monitoring.liveness import Liveness
from radiology.interfaces.hl7.intake import receive_safely
from radiology.interfaces.hl7.mllp import MLLPServer


def on_message(data: bytes, peer: str) -> bytes:
    return receive_safely(data, peer=peer).data


class Command(BaseCommand):
    help = "Receive HL7 v2 orders (ORM^O01, OMG^O19) over MLLP and answer each with an ACK."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=settings.HL7_BIND, help="Address to listen on (HL7_BIND).")
        parser.add_argument("--port", type=int, default=settings.HL7_PORT, help="TCP port (HL7_PORT).")

    def handle(self, *args, bind, port, **options):
        context = tls.server_context(
            cert=settings.HL7_TLS_CERT, key=settings.HL7_TLS_KEY, ca=settings.HL7_TLS_CA, prefix="HL7"
        )
        server = MLLPServer((bind, port), on_message, ssl_context=context)
        host, port = server.server_address[:2]
        over = "MLLP over TLS" if context else "MLLP"
        self.stdout.write(f"HL7 listener on {host}:{port} ({over}). Ctrl-C stops it.", ending="\n")
        self.stdout.flush()
        # SIGTERM (supervisord, systemd) stops accepting; a message being applied when the process
        # ends is rolled back with its connection and resent by the engine (no ACK came).
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
        liveness = Liveness("hl7").start()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            liveness.stop()
            server.server_close()
