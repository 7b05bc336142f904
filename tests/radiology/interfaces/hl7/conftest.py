"""An HL7 listener on a free port for each test, and the messages an EHR would send.

The listener runs in a thread of the test process with its own database connection, so
the tests are transactional: what it commits is what the assertions read."""

import socket
import threading

import pytest

from notifications.channels.mllp import frame
from radiology.interfaces.hl7.intake import receive_safely
from radiology.interfaces.hl7.mllp import MLLPServer

SEP = "\r"


def order_message(
    *,
    control="NW",
    control_id="MSG0001",
    placer="ORD9001",
    version="2.5.1",
    message_type="ORM^O01^ORM_O01",
    mrn="MRN12345",
    name="Núñez^José",
    birth_date="19800102",
    phone="^PRN^PH^^1^202^5550123",
    procedure="77053^Ductogram single duct^C4",
    side="L",
    indication="bloody",
    extra_obx=(),
    reason="",
    priority="R",
    sender="EPIC^GENHOSP",
    pid3=None,
    reason_for_study="",
    language="",  # PID-15, e.g. "POR^Portuguese^ISO639"
) -> str:
    coded = "CE" if version == "2.3.1" else "CWE"
    tq = f"^^^^^{priority}"
    segments = [
        f"MSH|^~\\&|{sender.replace('^', '|')}|GALACTO|RADIOLOGY|20261125101500||{message_type}|{control_id}"
        f"|P|{version}",
        f"PID|1||{pid3 or f'{mrn}^^^GENHOSP^MR'}||{name}||{birth_date}|F|||1 Main St^^Town^NY^10001||{phone}"
        + (f"||{language}" if language else ""),
        "PV1|1|O",
        # ORC-1 control, -2 placer number, -7 quantity/timing (priority), -12 ordering provider,
        # -14 call-back phone, -16 control reason.
        f"ORC|{control}|{placer}^EPIC|||||{tq}|||||1234567893^House^Gregory^^^^^^NPI^^^^NPI||^WPN^PH^^1^202^5559999||{reason}",
        f"OBR|1|{placer}^EPIC||{procedure}|||||||||Discharge since June|||1234567893^House^Gregory|||||||||||{tq}"
        + (f"||||{reason_for_study}" if reason_for_study else ""),
    ]
    if side:
        segments.append(f"OBX|1|{coded}|SIDE^Laterality^L||{side}^{side}^HL70495||||||F")
    if indication:
        segments.append(f"OBX|2|{coded}|INDICATION^Indication^L||{indication}^{indication}^L||||||F")
    segments += list(extra_obx)
    segments.append("NTE|1||Patient prefers mornings")
    return SEP.join(segments) + SEP


def parse_ack(data: bytes) -> dict[str, list[str]]:
    """Segments by name, fields by position (ACK field n is [n]; MSH-n is [n - 1]), with the
    delimiter escapes in free text undone (MSA-3, ERR-8)."""
    segments = {}
    for line in data.decode("utf-8").strip("\r").split("\r"):
        fields = line.split("|")
        segments[fields[0]] = fields
    for name, n in (("MSA", 3), ("ERR", 8)):
        if name in segments and len(segments[name]) > n:
            for code, char in (("F", "|"), ("S", "^"), ("T", "&"), ("R", "~"), ("E", "\\")):
                segments[name][n] = segments[name][n].replace(f"\\{code}\\", char)
    return segments


class Client:
    """A raw-socket MLLP client: one connection, frames out, frames back."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)

    def send(self, message: str | bytes) -> bytes:
        data = message.encode("utf-8") if isinstance(message, str) else message
        self.sock.sendall(frame(data))
        buffer = b""
        while not buffer.endswith(b"\x1c\x0d"):
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the listener closed the connection")
            buffer += chunk
        assert buffer.startswith(b"\x0b")
        return buffer[1:-2]

    def close(self):
        self.sock.close()


@pytest.fixture
def listener():
    server = MLLPServer(("127.0.0.1", 0), lambda data, peer: receive_safely(data, peer=peer).data)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(listener):
    c = Client(listener)
    yield c
    c.close()
