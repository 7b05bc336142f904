"""Signed inbound texts as the two gateways send them, and the outbox run as the beat runs it."""

import json
import time
from pathlib import Path

import time_machine
from django.conf import settings
from twilio.request_validator import RequestValidator

from notifications import services as outbox
from notifications.models import Message
from radiology.interfaces.sms.signatures import gateway_signature

SECRET = "test-inbound-secret"
TWILIO_TOKEN = "test-twilio-auth-token"
GATEWAY_URL = "/sms/inbound/"
TWILIO_PATH = "/sms/inbound/twilio/"


def post_gateway(client, *, id, sender, body, to="+12025550100", timestamp=None, secret=SECRET, signature=None):
    raw = json.dumps({"id": id, "from": sender, "to": to, "body": body}).encode()
    stamp = str(int(time.time() if timestamp is None else timestamp))
    if signature is None:
        signature = gateway_signature(secret=secret, timestamp=stamp, body=raw)
    return client.post(
        GATEWAY_URL,
        raw,
        content_type="application/json",
        headers={"X-Signature-Timestamp": stamp, "X-Signature": signature},
    )


def post_twilio(client, *, sid, sender, body, to="+12025550100", token=TWILIO_TOKEN, tamper=None):
    params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "0" * 32, "From": sender, "To": to, "Body": body}
    signature = RequestValidator(token).compute_signature(settings.SITE_URL.rstrip("/") + TWILIO_PATH, params)
    if tamper:
        params.update(tamper)  # changed after signing, as a forger would
    return client.post(TWILIO_PATH, params, headers={"X-Twilio-Signature": signature})


def run_outbox(now) -> list[Message]:
    """One beat at `now`: claim what is due and deliver it, as the dispatcher and a worker do."""
    with time_machine.travel(now, tick=False):
        ids, token = outbox.claim_due(now=now, limit=10000)
        if ids:
            outbox.deliver_messages(message_ids=ids, token=token, now=now)
    return list(Message.objects.filter(pk__in=ids))


def texts(sms_dir: Path, to: str | None = None) -> list[dict]:
    """What the gateway received (the file backend: one JSON per message), oldest first."""
    if not sms_dir.exists():
        return []
    sent = [json.loads(path.read_text()) for path in sms_dir.glob("*.json")]
    return sorted((t for t in sent if to is None or t["to"] == to), key=lambda t: t["at"])
