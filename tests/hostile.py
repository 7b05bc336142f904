"""What the hostile-peer suites share (tests/radiology/interfaces/hl7 and .../dicom): sockets
from another loopback address (the per-address caps must not count the honest client, who
connects from 127.0.0.1), the wait for a peer to be closed, the process's resident memory,
and the stopwatch an honest client's answer is held to."""

import socket
import time
from contextlib import contextmanager

# Linux answers on all of 127.0.0.0/8: each attack comes from an address of its own.
ATTACKER = "127.0.0.2"
SECOND_ATTACKER = "127.0.0.3"


def connect_from(source: str, port: int, *, timeout: float = 5) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def closed_by_peer(sock: socket.socket, *, within: float) -> bytes | None:
    """What the peer sent before closing the connection within `within` seconds, or None if
    it was still open then."""
    received = b""
    deadline = time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return None
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk
    return None


def resident_bytes() -> int:
    """This process's resident memory now (VmRSS), the listeners' threads included."""
    with open("/proc/self/status") as status:  # noqa: PTH123 - one line of a proc file
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


@contextmanager
def answered_within(seconds: float):
    """The block (an honest client's exchange) must finish within `seconds`."""
    started = time.monotonic()
    yield
    took = time.monotonic() - started
    assert took < seconds, f"the honest client waited {took:.2f} s"
