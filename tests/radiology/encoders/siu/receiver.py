"""A real MLLP receiver for the tests: a TCP server in a thread that validates every message
with hl7apy at STRICT level (groups found), records it, and answers as the test scripts:
"AA", "AE", "AR", "timeout" (no answer; the connection is held until the sender gives up) or "wrong-id" (an AA for
another control id). Each answer is an hl7apy-built ACK with MSA-2 = the message's MSH-10."""

import random
import socket
import threading
from dataclasses import dataclass, field

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Message
from hl7apy.exceptions import ValidationError
from hl7apy.parser import parse_message
from hl7apy.validation import Validator

PORTS = range(24100, 24900)  # this helper's range (2N000–2N999, N = 4)
START, END = b"\x0b", b"\x1c\x0d"


def _choices_as_choices(reference):
    """hl7apy's validator checks a `choice` group as if it were a sequence, every alternative
    required (crs4/hl7apy#151: a v2.3.1 ORM^O01's OBR is refused for lacking RQD, RQ1, ODS…):
    the reference with each alternative of a choice optional; the one-of rule is checked apart."""
    kind, children = reference[0], reference[1]
    rebuilt = []
    for name, spec, cardinality, element_kind in children:
        if element_kind == "GRP":
            spec = _choices_as_choices(spec)
        if kind == "choice":
            cardinality = (0, cardinality[1])
        rebuilt.append((name, spec, cardinality, element_kind))
    return (kind, tuple(rebuilt), *reference[2:])


def _check_one_alternative(element, reference):
    kind, children = reference[0], reference[1]
    if kind == "choice" and len(element.children) != 1:
        raise ValidationError(f"{element.name} must hold exactly one of its alternatives")
    for name, spec, _cardinality, element_kind in children:
        if element_kind == "GRP":
            for child in element.children.get(name):
                _check_one_alternative(child, spec)


def validate_strictly(message) -> None:
    """hl7apy's STRICT validation of a parsed message, with choice groups read as choices."""
    Validator.validate(message, reference=_choices_as_choices(message.reference))
    _check_one_alternative(message, message.reference)


@dataclass
class Received:
    er7: str
    message: object = None
    error: str = ""
    answer: str = ""
    ack_id: str = ""

    @property
    def control_id(self) -> str:
        return self.message.msh.msh_10.value

    @property
    def event(self) -> str:
        return self.message.msh.msh_9.msh_9_2.value


@dataclass
class MLLPReceiver:
    answers: list[str] = field(default_factory=list)  # consumed in order; then "AA"
    received: list[Received] = field(default_factory=list)
    timeout_hold: float = 30.0  # the longest a "timeout" answer waits for the sender to give up
    ssl_context: object = None  # MLLP over TLS when set
    refused: list[str] = field(default_factory=list)  # TLS handshakes that failed, and why

    def __post_init__(self):
        # hl7apy loads the v2.5.1 definitions on first use: not inside a sender's ACK time-out.
        Message("SIU_S12", version="2.5.1")
        parse_message(self._ack("AA", "WARMUP", "", "WARMUP"), find_groups=True)
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for port in random.sample(PORTS, len(PORTS)):
            try:
                self.server.bind(("127.0.0.1", port))
                break
            except OSError:
                continue
        self.port = self.server.getsockname()[1]
        self.server.listen(8)
        self.server.settimeout(0.2)
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._handle_and_close, args=(connection,), daemon=True).start()

    def _handle_and_close(self, connection):
        if self.ssl_context is not None:
            try:
                connection = self.ssl_context.wrap_socket(connection, server_side=True)
            except OSError as error:
                self.refused.append(f"{type(error).__name__}: {error}")
                connection.close()
                return
        with connection:
            self._handle(connection)

    def _handle(self, connection):
        connection.settimeout(5)
        data = b""
        while END not in data:
            chunk = connection.recv(65536)
            if not chunk:
                return
            data += chunk
        er7 = data[data.index(START) + 1 : data.index(END)].decode()
        record = Received(er7=er7)
        try:
            record.message = parse_message(er7, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
            validate_strictly(record.message)
        except Exception as error:  # any parse or validation problem is the test's finding
            record.error = f"{type(error).__name__}: {error}"
        with self.lock:
            record.answer = self.answers.pop(0) if self.answers else "AA"
            record.ack_id = f"ACK{len(self.received):05d}"
            self.received.append(record)
        if record.message is None:
            record.answer = "AE"
            connection.sendall(START + self._ack("AE", "", "Unparseable", record.ack_id).encode() + END)
            return
        if record.answer == "timeout":
            # Say nothing until the sender gives up and closes the connection.
            connection.settimeout(self.timeout_hold)
            try:
                while connection.recv(65536):
                    pass
            except OSError:
                pass
            return
        code, acknowledged = record.answer, record.control_id
        if code == "wrong-id":
            code, acknowledged = "AA", "SOMEONE-ELSES-ID"
        answer = self._ack(code, acknowledged, "" if code == "AA" else "Test says no", record.ack_id)
        connection.sendall(START + answer.encode() + END)

    def _ack(self, code: str, control_id: str, text: str, ack_id: str) -> str:
        ack = Message("ACK", version="2.5.1", validation_level=VALIDATION_LEVEL.STRICT)
        ack.msh.msh_3 = "EHR"
        ack.msh.msh_4 = "HOSPITAL"
        ack.msh.msh_7 = "20261125120000"
        ack.msh.msh_9 = "ACK^S12^ACK"
        ack.msh.msh_10 = ack_id
        ack.msh.msh_11 = "P"
        ack.msh.msh_12 = "2.5.1"
        ack.msa.msa_1 = code
        ack.msa.msa_2 = control_id
        if text:
            ack.msa.msa_3 = text
        return ack.to_er7()

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=5)
        self.server.close()
