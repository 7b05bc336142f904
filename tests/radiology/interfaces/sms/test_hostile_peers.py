"""The inbound-SMS webhook under attack (issue 23, "a hostile-peer test suite for each network
door", the webhooks of issue 21 included): over a real socket, three attackers send forged
signatures, replays of a captured request outside its five minutes, bodies over the upload
limit and malformed JSON, while the gateway's honest text is answered within 1 s and acted on.
Nothing an attacker sent is stored; each refusal is a 4xx, never a 5xx."""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from radiology.interfaces.sms.signatures import gateway_signature
from radiology.models import InboundSms
from tests.factories import PatientFactory
from tests.radiology.interfaces.sms.support import SECRET

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
ATTACKS_PER_THREAD = 24
ATTACKER = """
import hashlib, hmac, json, sys, time, urllib.error, urllib.request
url, kind, number, secret, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].encode(), int(sys.argv[5])
def post(raw, stamp, signature):
    headers = {"Content-Type": "application/json", "X-Signature-Timestamp": stamp, "X-Signature": signature}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=raw, headers=headers), timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
def sign(stamp, raw):
    return "sha256=" + hmac.new(secret, stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
for n in range(count):
    stamp = str(int(time.time() - (600 if kind == "replayed" else 0)))
    raw = json.dumps({"id": f"evil-{kind}-{n}", "from": number, "to": "+12025550100", "body": "STOP"}).encode()
    if kind == "junk":
        raw = b'{"x": "' + b"a" * 3_000_000 + b'"}' if n % 12 == 0 else b"{not json"
    signature = "sha256=" + "0" * 64 if kind == "forged" else sign(stamp, raw)
    print(post(raw, stamp, signature), flush=True)
"""


def _post(url: str, raw: bytes, stamp: str, signature: str) -> int:
    headers = {"Content-Type": "application/json", "X-Signature-Timestamp": stamp, "X-Signature": signature}
    request = urllib.request.Request(url, data=raw, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _signed(body: dict, *, at: float | None = None) -> tuple[bytes, str, str]:
    raw = json.dumps(body).encode()
    stamp = str(int(time.time() if at is None else at))
    return raw, stamp, gateway_signature(secret=SECRET, timestamp=stamp, body=raw)


def test_an_honest_text_is_answered_within_a_second_while_forgers_replayers_and_floods_are_refused(
    live_server, settings
):
    settings.SMS_INBOUND_SECRET = SECRET
    patient = PatientFactory(email="")
    url = f"{live_server.url}/sms/inbound/"
    # The gateway's first text warms the server (its first request loads what every later one shares).
    assert _post(url, *_signed({"id": "honest-0", "from": str(patient.phone), "to": "+1202", "body": "HELP"})) == 200
    # The attackers are processes of their own, as they would be: only the server's threads
    # share this process.
    attackers = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", ATTACKER, url, kind, str(patient.phone), SECRET, str(ATTACKS_PER_THREAD)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for kind in ("forged", "replayed", "junk")
    ]
    try:
        time.sleep(1.0)  # the attack is under way
        raw, stamp, signature = _signed({"id": "honest-1", "from": str(patient.phone), "to": "+1202", "body": "HELP"})
        began = time.monotonic()
        assert _post(url, raw, stamp, signature) == 200
        answered_in = time.monotonic() - began
    finally:
        outputs = [attacker.communicate(timeout=120)[0] for attacker in attackers]
    statuses = [int(code) for output in outputs for code in output.split()]

    assert answered_in < 1.0, f"the honest text waited {answered_in:.2f} s"
    assert len(statuses) == 3 * ATTACKS_PER_THREAD
    assert all(400 <= status < 500 for status in statuses), sorted(set(statuses))
    assert {403, 413, 400} <= set(statuses)
    stored = InboundSms.objects.order_by("pk").values_list("provider_message_id", flat=True)
    assert list(stored) == ["honest-0", "honest-1"]
