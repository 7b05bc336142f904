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
from collections.abc import Iterator

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


def frame(message: bytes) -> bytes:
    return START_BLOCK + message + END_BLOCK


def read_frames(sock: socket.socket, *, max_bytes: int) -> Iterator[bytes]:
    """Yield each message's bytes as its frame ends, until the peer closes the connection.
    Bytes outside a frame (keep-alive newlines) are skipped; a frame longer than `max_bytes`
    raises FrameTooLarge; a frame split over several reads is joined."""
    buffer = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return
        buffer += chunk
        while True:
            start = buffer.find(START_BLOCK)
            if start < 0:
                buffer = b""
                break
            end = buffer.find(END_BLOCK, start)
            if end < 0:
                buffer = buffer[start:]
                if len(buffer) > max_bytes:
                    raise FrameTooLarge
                break
            yield buffer[start + 1 : end]
            buffer = buffer[end + len(END_BLOCK) :]


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
