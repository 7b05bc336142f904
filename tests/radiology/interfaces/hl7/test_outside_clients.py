"""The listener as interface engines reach it: python-hl7's `mllp_send --loose` (a client
nobody on the team wrote) against the listener, and the `hl7_listener` command itself as
the Procfile runs it."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from radiology.models import InterfaceMessage, Order
from tests.radiology.interfaces.hl7.conftest import Client, order_message, parse_ack

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[4]
MLLP_SEND = Path(sys.executable).with_name("mllp_send")


def test_mllp_send_loose_delivers_a_new_order_its_change_and_its_cancel(listener, tmp_path):
    # --loose reads a file with ordinary line ends, as an analyst would save it.
    batch = "\n".join(
        order_message(control=control, control_id=f"MS{n}", side=side).replace("\r", "\n")
        for n, (control, side) in enumerate([("NW", "L"), ("XO", "R"), ("CA", "R")])
    )
    path = tmp_path / "orders.hl7"
    path.write_text(batch, encoding="utf-8")

    run = subprocess.run(  # noqa: S603 - our own test tool, fixed arguments
        [str(MLLP_SEND), "--loose", "-f", str(path), "-p", str(listener), "127.0.0.1"],
        capture_output=True,
        timeout=60,
        check=True,
    )

    # mllp_send prints each reply as received: the MLLP frame, then a newline.
    frames = [f.strip("\x1c\r\n") for f in run.stdout.decode().split("\x0b") if f.strip()]
    acks = [parse_ack(f.encode()) for f in frames]
    assert [ack["MSA"][1:3] for ack in acks] == [["AA", "MS0"], ["AA", "MS1"], ["AA", "MS2"]]
    order = Order.objects.get()
    assert (order.side, order.status) == ("right", "cancelled")
    assert InterfaceMessage.objects.filter(outcome="accepted").count() == 3


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.postgres
def test_the_hl7_listener_command_answers_over_mllp():
    env = {**os.environ, "DATABASE_URL": _database_url(), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(  # noqa: S603 - manage.py with fixed arguments
        [sys.executable, "manage.py", "hl7_listener", "--bind", "127.0.0.1", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        line = process.stdout.readline().decode()
        port = int(re.search(r"127\.0\.0\.1:(\d+)", line).group(1))
        client = Client(port)
        ack = parse_ack(client.send(order_message(control_id="CMD1")))
        client.close()
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert ack["MSA"][1:3] == ["AA", "CMD1"]
    assert Order.objects.filter(placer_order_number="ORD9001").exists()
