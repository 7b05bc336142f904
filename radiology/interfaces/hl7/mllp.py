"""An MLLP server (HL7 v2 over TCP): each message framed as <VT> message <FS><CR>, each
answered on the same connection before the next is read. The framing is the outbox's
(notifications.channels.mllp): what the listener reads and answers and what the SIU channel
sends are framed by one piece of code. One thread per connection; each message gets fresh
database connections (close_old_connections) and the thread's connection is closed when the
peer goes away, so a long-lived listener never holds a connection the database has dropped."""

import logging
import socketserver
import ssl
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connection

from config.tls import peer_name
from notifications.channels.mllp import FrameTooLarge, frame, read_frames

log = logging.getLogger(__name__)


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        peer = f"{self.client_address[0]}:{self.client_address[1]}"
        self.request.settimeout(settings.HL7_IDLE_TIMEOUT_SECONDS)
        try:
            if self.server.ssl_context is not None:
                # The handshake here, in the connection's thread, not in the accepting one.
                self.request = self.server.ssl_context.wrap_socket(self.request, server_side=True)
        except (ssl.SSLError, OSError) as error:
            log.warning("hl7: TLS handshake with %s refused: %s", peer, error)
            return
        certified = peer_name(self.request)
        log.info("hl7: connection from %s%s", peer, f" (certificate {certified})" if certified else "")
        try:
            for message in read_frames(self.request, max_bytes=settings.HL7_MAX_MESSAGE_BYTES):
                close_old_connections()
                reply = self.server.on_message(message, peer)
                self.request.sendall(frame(reply))
        except FrameTooLarge:
            log.warning("hl7: %s sent a frame over %s bytes; connection closed", peer, settings.HL7_MAX_MESSAGE_BYTES)
        except (TimeoutError, ConnectionError) as error:
            log.info("hl7: connection from %s ended: %s", peer, error)
        except Exception:
            # Not even a failure row could be written (the database is gone): no ACK, so the
            # engine resends after its timeout.
            log.exception("hl7: connection from %s closed after an error", peer)
        finally:
            connection.close()


class MLLPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        on_message: Callable[[bytes, str], bytes],
        ssl_context: ssl.SSLContext | None = None,
    ):
        self.on_message = on_message
        self.ssl_context = ssl_context
        super().__init__(address, _Handler)
