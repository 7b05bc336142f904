"""An MLLP server (HL7 v2 over TCP): each message framed as <VT> message <FS><CR>, each
answered on the same connection before the next is read. The framing is the outbox's
(notifications.channels.mllp): what the listener reads and answers and what the SIU channel
sends are framed by one piece of code. One thread per connection; each message gets fresh
database connections (close_old_connections) and the thread's connection is closed when the
peer goes away, so a long-lived listener never holds a connection the database has dropped.

What a hostile or broken peer can take is bounded (docs/interfaces.md, "Limits"): the listen
backlog, connections at once (in all and per address: one address cannot hold every thread),
silence between frames (HL7_IDLE_TIMEOUT_SECONDS), the time one frame may take to arrive
however slowly it trickles (HL7_FRAME_SECONDS), and its size (HL7_MAX_MESSAGE_BYTES). A frame
refused for size or time is answered AR where an answer can still be sent and is a row on
Interface messages either way; a connection refused at the door is a warning in the log, as
there is no message to keep."""

import logging
import socketserver
import ssl
import threading
from collections import Counter
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connection

from config.tls import peer_name
from notifications.channels.mllp import FrameTooLarge, RefusedFrame, frame, read_frames  # noqa: F401 - one framing
from radiology.interfaces.hl7.intake import receive_refused_frame

log = logging.getLogger(__name__)


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        peer = f"{self.client_address[0]}:{self.client_address[1]}"
        self.request.settimeout(settings.HL7_IDLE_TIMEOUT_SECONDS)
        try:
            if self.server.ssl_context is not None:
                # The handshake here, in the connection's thread, not in the accepting one,
                # and within the frame time: a peer that never finishes it holds nothing long.
                self.request.settimeout(settings.HL7_FRAME_SECONDS)
                self.request = self.server.ssl_context.wrap_socket(self.request, server_side=True)
                self.request.settimeout(settings.HL7_IDLE_TIMEOUT_SECONDS)
        except (ssl.SSLError, OSError) as error:
            log.warning("hl7: TLS handshake with %s refused: %s", peer, error)
            return
        certified = peer_name(self.request)
        log.info("hl7: connection from %s%s", peer, f" (certificate {certified})" if certified else "")
        try:
            for message in read_frames(
                self.request,
                max_bytes=settings.HL7_MAX_MESSAGE_BYTES,
                frame_seconds=settings.HL7_FRAME_SECONDS,
                keep_refused=True,
            ):
                close_old_connections()
                if isinstance(message, RefusedFrame):
                    log.warning("hl7: %s sent a frame refused as %s (%s bytes)", peer, message.reason, message.size)
                    reply = self.server.on_refused(message, peer)
                    if not message.ended:
                        # Its end never came: the answer goes out, and the connection is closed
                        # (what follows on it would be read as the rest of that frame).
                        self.request.sendall(frame(reply))
                        return
                else:
                    reply = self.server.on_message(message, peer)
                self.request.sendall(frame(reply))
        except (TimeoutError, ConnectionError) as error:
            log.info("hl7: connection from %s ended: %s", peer, error)
        except Exception:
            # Not even a failure row could be written (the database is gone): no ACK, so the
            # engine resends after its timeout.
            log.exception("hl7: connection from %s closed after an error", peer)
        finally:
            connection.close()


def _refuse_frame(refused: RefusedFrame, peer: str) -> bytes:
    return receive_refused_frame(refused, peer=peer).data


class MLLPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    # Connections waiting to be accepted: with socketserver's 5, a burst of engines
    # reconnecting at once was turned away by the kernel before we could see it.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        on_message: Callable[[bytes, str], bytes],
        ssl_context: ssl.SSLContext | None = None,
        on_refused: Callable[[RefusedFrame, str], bytes] = _refuse_frame,
    ):
        self.on_message = on_message
        self.on_refused = on_refused
        self.ssl_context = ssl_context
        self.request_queue_size = settings.HL7_LISTEN_BACKLOG
        self._open = Counter()  # connections being served, per address
        self._lock = threading.Lock()
        super().__init__(address, _Handler)

    def verify_request(self, request, client_address) -> bool:
        """Take a connection only below both caps; the thread starts after this says yes."""
        address = client_address[0]
        with self._lock:
            total, here = sum(self._open.values()), self._open[address]
            if total >= settings.HL7_MAX_CONNECTIONS or here >= settings.HL7_MAX_CONNECTIONS_PER_ADDRESS:
                refused = True
            else:
                refused = False
                self._open[address] += 1
        if refused:
            log.warning(
                "hl7: connection from %s refused: %s connections open (%s from this address; caps %s and %s)",
                address,
                total,
                here,
                settings.HL7_MAX_CONNECTIONS,
                settings.HL7_MAX_CONNECTIONS_PER_ADDRESS,
            )
        return not refused

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._open[client_address[0]] -= 1
                if self._open[client_address[0]] <= 0:
                    del self._open[client_address[0]]

    def open_connections(self) -> int:
        with self._lock:
            return sum(self._open.values())
