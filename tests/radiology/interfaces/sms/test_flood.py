"""A flood of inbound texts (issue 21, "bad input, races and load"): 600 signed messages from
four gateway connections at once (real threads on PostgreSQL), a tenth of them sent twice as
a retrying gateway does, through the webhook within 30 s; none lost, each stored once and
answered exactly once (one outbox row each, one text each at the gateway). The issue's example
is 2,000 in 60 s; a quarter of that keeps the whole suite within its time on 2 cores, and the
bound keeps the same order of rate (20 texts a second with the suite's other worker busy)."""

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from notifications.models import Message
from radiology.models import InboundSms
from tests.factories import PatientFactory
from tests.race import race
from tests.radiology.interfaces.sms.support import SECRET, post_gateway, run_outbox, texts

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=NY)
FLOOD = 600
WORDS = ["HELP", "ayuda", "What time should I arrive?", "C", "STOP"]
CONNECTIONS = 4
NUMBERS = 100


def test_a_flood_of_inbound_texts_are_all_stored_and_each_answered_once(settings, sms_dir):
    settings.SMS_INBOUND_SECRET = SECRET
    numbers = [str(PatientFactory(email="").phone) for _ in range(NUMBERS)]

    def gateway(lane: int):
        client, refused = Client(), []
        for n in range(lane, FLOOD, CONNECTIONS):
            sender, body = numbers[n % NUMBERS], WORDS[n % len(WORDS)]
            if post_gateway(client, id=f"flood-{n}", sender=sender, body=body).status_code != 200:
                refused.append(n)
            if n % 10 == 0 and post_gateway(client, id=f"flood-{n}", sender=sender, body="C").status_code != 200:
                refused.append(n)  # the gateway did not hear our 200 and sends it again
        return refused

    started = time.monotonic()
    with time_machine.travel(NOW, tick=True):
        results = race(*[lambda lane=lane: gateway(lane) for lane in range(CONNECTIONS)], timeout=300)
    elapsed = time.monotonic() - started
    assert results == [[]] * CONNECTIONS

    assert InboundSms.objects.count() == FLOOD
    replies = Message.objects.filter(subject__startswith="sms:")
    # Every text from a patient's number is answered, a confirm with nothing ahead too.
    assert replies.count() == FLOOD
    assert replies.values("subject").distinct().count() == FLOOD
    run_outbox(NOW + timedelta(minutes=5))
    delivered = texts(sms_dir)
    assert len(delivered) == FLOOD
    assert len({t["idempotency_key"] for t in delivered}) == FLOOD
    # Last, so that a slow machine's failure still shows that nothing was lost or doubled.
    assert elapsed < 30, f"{FLOOD} inbound texts took {elapsed:.1f} s"
