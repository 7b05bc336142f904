"""HL7 v2 over MLLP (the Minimal Lower Layer Protocol): one message per connection, framed
<VT> message <FS><CR>, answered by an ACK in the same frame.

The payload is ready-made ER7 text (segments separated by <CR>); this backend knows only the
framing and the acknowledgement codes, never what the message is about:
- AA / CA: accepted → sent (the provider id is the ACK's own control id);
- AR / CR: rejected for now (the receiver is busy or down) → TransientError, retried;
- AE / CE: the receiver cannot process this message → PermanentError: resending the same
  bytes would fail the same way, so the row becomes `failed` and staff see it;
- no ACK within HL7_OUT_TIMEOUT, a refused connection, a garbled ACK or one that acknowledges
  another control id → TransientError. The message is resent unchanged, with the same MSH-10,
  which is how an HL7 receiver recognises a duplicate.
An MLLP receiver cannot be asked "did you already take this one?", so `lookup` is unsupported.

The framing (frame, read_frames) is the one both directions use: this channel, and the
department's HL7 order listener (radiology.interfaces.hl7.mllp), which frames its ACKs and
reads the engine's messages through it. It knows bytes only, never HL7.
"""

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings

from config import tls
from notifications.channels import LookupUnsupported, Outgoing, PermanentError, TransientError

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\x0d"
MAX_ACK_BYTES = 1 << 20
ACCEPTED = {"AA", "CA"}
REJECTED_FOR_NOW = {"AR", "CR"}
ERROR = {"AE", "CE"}

# --- framing: <VT> message <FS><CR>, for both directions -------------------------------


class FrameTooLarge(Exception):
    """A frame grew past the reader's limit without ending."""


# What is kept of a refused frame (its MSH and a little more) to answer and record it.
REFUSED_HEAD_BYTES = 4096


@dataclass(frozen=True)
class RefusedFrame:
    """A frame the reader would not take whole: longer than `max_bytes` (`too_large`) or not
    finished within `frame_seconds` of its start (`too_slow`). `head` is its first bytes (the
    MSH, to address an answer), `size` how many bytes came; `ended` says whether its end
    arrived, so that an answer can follow on the same connection."""

    reason: str
    head: bytes
    size: int
    ended: bool


def frame(message: bytes) -> bytes:
    return START_BLOCK + message + END_BLOCK


def read_frames(
    sock: socket.socket, *, max_bytes: int, frame_seconds: float | None = None, keep_refused: bool = False
) -> Iterator[bytes | RefusedFrame]:
    """Yield each message's bytes as its frame ends, until the peer closes the connection.
    Bytes outside a frame (keep-alive newlines) are skipped; a frame split over several reads
    is joined. Linear in the bytes received however they are split: the end is looked for
    only in what is new, and bytes are appended to one buffer, not copied per read.

    A frame longer than `max_bytes` raises FrameTooLarge, or with `keep_refused` is read to
    its end without being kept (memory stays at `max_bytes`) and yielded as a RefusedFrame.
    With `frame_seconds`, a frame must end that long after it started, however slowly its
    bytes trickle in (the socket's own timeout only bounds the silence between two reads):
    a late one is yielded as a RefusedFrame (`too_slow`, not ended) and reading stops."""
    buffer = bytearray()  # inside a frame: the bytes after its START_BLOCK
    in_frame = False
    searched = 0  # how much of buffer has been looked through for END_BLOCK
    dropped = 0  # bytes of an oversized frame read and let go
    head = b""
    deadline = None
    idle = sock.gettimeout()
    while True:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                if not keep_refused:
                    raise TimeoutError("the frame did not end in time")
                yield RefusedFrame("too_slow", head or bytes(buffer[:REFUSED_HEAD_BYTES]), dropped + len(buffer), False)
                return
            sock.settimeout(left if idle is None else min(idle, left))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            if deadline is not None and time.monotonic() >= deadline:
                continue  # the frame's deadline rather than silence: answered above
            raise
        if not chunk:
            return
        buffer += chunk
        while True:
            if not in_frame:
                start = buffer.find(START_BLOCK)
                if start < 0:
                    buffer.clear()
                    break
                del buffer[: start + 1]
                in_frame, searched, dropped, head = True, 0, 0, b""
                deadline = time.monotonic() + frame_seconds if frame_seconds else None
            end = buffer.find(END_BLOCK, max(searched - 1, 0))
            if end < 0:
                searched = len(buffer)
                if dropped + len(buffer) > max_bytes:
                    if not keep_refused:
                        raise FrameTooLarge
                    # Keep the head to answer with and let the rest go, all but the last
                    # byte, which may be the first half of the end mark.
                    head = head or bytes(buffer[:REFUSED_HEAD_BYTES])
                    dropped += len(buffer) - 1
                    del buffer[:-1]
                    searched = 0
                break
            size = dropped + end
            message = bytes(buffer[:end]) if not head and size <= max_bytes else b""
            head = head or bytes(buffer[: min(end, REFUSED_HEAD_BYTES)])
            del buffer[: end + len(END_BLOCK)]
            in_frame, deadline = False, None
            sock.settimeout(idle)
            if size <= max_bytes:
                yield message
            elif keep_refused:
                yield RefusedFrame("too_large", head, size, True)
            else:
                raise FrameTooLarge
            head = b""


# --- the SIU channel -------------------------------------------------------------------


def fields(er7: str, segment: str) -> list[str] | None:
    """The fields of the first `segment` of an ER7 message (index 0 is the segment name;
    for MSH, index 1 is the field separator, as HL7 counts them)."""
    for line in er7.replace("\n", "\r").split("\r"):
        if line[:3] == segment:
            if segment == "MSH":
                separator = line[3:4] or "|"
                return ["MSH", separator, *line[4:].split(separator)]
            separator = "|"
            return line.split(separator)
    return None


def control_id(er7: str) -> str:
    msh = fields(er7, "MSH")
    return msh[10] if msh and len(msh) > 10 else ""


class MLLPBackend:
    def __init__(self, host: str | None = None, port: int | None = None, timeout: float | None = None):
        self.host = host or settings.HL7_OUT_HOST
        self.port = port or settings.HL7_OUT_PORT
        self.timeout = timeout or settings.HL7_OUT_TIMEOUT
        self.tls = tls.client_context(
            ca=settings.HL7_OUT_TLS_CA, cert=settings.HL7_OUT_TLS_CERT, key=settings.HL7_OUT_TLS_KEY, prefix="HL7_OUT"
        )

    def _connect(self) -> socket.socket:
        """Plain MLLP, or over TLS when HL7_OUT_TLS_CA is set: the receiver's certificate must
        chain to that CA and name HL7_OUT_HOST."""
        connection = socket.create_connection((self.host, self.port), timeout=self.timeout)
        if self.tls is None:
            return connection
        try:
            return self.tls.wrap_socket(connection, server_hostname=self.host)
        except OSError:
            connection.close()
            raise

    def _exchange(self, payload: str) -> str:
        if not self.host or not self.port:
            raise TransientError("HL7_OUT_HOST/HL7_OUT_PORT are not set.")
        try:
            with self._connect() as connection:
                connection.sendall(frame(payload.encode("utf-8")))
                ack = next(read_frames(connection, max_bytes=MAX_ACK_BYTES), None)
        except FrameTooLarge as error:
            raise TransientError("The HL7 receiver's answer is not an MLLP frame.") from error
        except TimeoutError as error:
            raise TransientError(f"No ACK from the HL7 receiver within {self.timeout:g} s.") from error
        except OSError as error:
            raise TransientError(f"HL7 receiver unreachable: {type(error).__name__}") from error
        if ack is None:
            raise TransientError("The HL7 receiver closed the connection without an ACK.")
        return ack.decode("utf-8", errors="replace")

    def send(self, outgoing: Outgoing) -> str:
        sent_id = control_id(outgoing.text)
        ack = self._exchange(outgoing.text)
        msa = fields(ack, "MSA")
        if msa is None or len(msa) < 3:
            raise TransientError("The HL7 receiver's answer has no MSA segment.")
        code, acknowledged = msa[1], msa[2]
        text = msa[3] if len(msa) > 3 else ""
        if acknowledged != sent_id:
            raise TransientError(f"The ACK is for control id {acknowledged!r}, not {sent_id!r}.")
        if code in ACCEPTED:
            return control_id(ack) or acknowledged
        if code in ERROR:
            raise PermanentError(f"HL7 {code}: the receiver could not process the message. {text}".strip())
        if code in REJECTED_FOR_NOW:
            raise TransientError(f"HL7 {code}: the receiver rejected the message for now. {text}".strip())
        raise TransientError(f"HL7 ACK with an unknown code {code!r}.")

    def lookup(self, idempotency_key: str) -> str | None:
        raise LookupUnsupported
