"""The channels against real local servers: SMTP (aiosmtpd) and an HTTP stand-in for the SMS gateway."""

import json
import socket
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from notifications import services
from notifications.channels import LookupUnsupported, Outgoing
from notifications.channels.email import EmailBackend
from notifications.channels.sms import HTTPSMSBackend
from notifications.models import Message
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db
S = Message.Status


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deliver(message):
    ids, token = services.claim_due(now=message.due_at, limit=10)
    outcome = services.deliver_message(message_id=message.pk, token=token, now=message.due_at)
    message.refresh_from_db()
    return outcome


# --- SMTP ---------------------------------------------------------------------------------


class Inbox:
    def __init__(self, refuse: str = ""):
        self.messages, self.refuse = [], refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


@pytest.fixture
def smtp(settings):
    servers = []

    def start(refuse=""):
        inbox = Inbox(refuse)
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        servers.append(controller)
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
            }
        }
        return inbox

    yield start
    for controller in servers:
        controller.stop()


def test_an_email_reminder_goes_through_real_smtp_and_reads_back_intact(smtp):
    inbox = smtp()
    message = MessageFactory(channel="email", recipient="ana@example.org")

    assert deliver(message) == "sent"

    [received] = inbox.messages
    assert received["To"] == "ana@example.org"
    assert received["Subject"].startswith("How to prepare for your appointment")
    assert received["Message-ID"] == message.provider_id
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    assert "Hello Ana" in text and "do not squeeze the nipple" in text
    assert "<li>" in html


def test_an_smtp_server_refusing_the_recipient_for_good_fails_the_message(smtp):
    smtp(refuse="550 No such user")
    message = MessageFactory(channel="email", recipient="nobody@example.org")

    assert deliver(message) == "failed"
    assert "SMTP 550" in message.last_error


def test_an_smtp_server_that_is_down_means_try_again_later(settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
        }
    }
    message = MessageFactory(channel="email", recipient="ana@example.org")

    assert deliver(message) == "retry"
    assert message.status == S.SCHEDULED


def test_smtp_cannot_say_whether_it_already_has_a_message():
    with pytest.raises(LookupUnsupported):
        EmailBackend().lookup("any")


# --- the HTTP SMS gateway -----------------------------------------------------------------


class Gateway(BaseHTTPRequestHandler):
    answers: list = []  # (status, body, delay) for each POST, in turn
    received: list = []
    known: dict = {}

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append({"body": body, "headers": dict(self.headers)})
        status, answer, delay = type(self).answers.pop(0)
        time.sleep(delay)
        if status == 200:
            type(self).known[body["idempotency_key"]] = answer["id"]
        self._answer(status, answer)

    def do_GET(self):  # noqa: N802
        from urllib.parse import unquote

        key = unquote(self.path.rsplit("/", 1)[1])
        if key in type(self).known:
            self._answer(200, {"id": type(self).known[key]})
        else:
            self._answer(404, {"error": "not found"})

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    Gateway.answers, Gateway.received, Gateway.known = [], [], {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SMS_BACKEND = "notifications.channels.sms.HTTPSMSBackend"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/messages"
    settings.SMS_GATEWAY_TOKEN = "secret-token"
    settings.SMS_GATEWAY_TIMEOUT = 0.5
    yield Gateway
    server.shutdown()
    server.server_close()


def test_an_sms_goes_to_the_gateway_as_json_with_the_token_and_idempotency_key(gateway):
    gateway.answers = [(200, {"id": "gw-123"}, 0)]
    message = MessageFactory()

    assert deliver(message) == "sent"

    [request] = gateway.received
    assert request["body"]["to"] == message.recipient
    assert request["body"]["idempotency_key"] == message.idempotency_key
    assert "Hi Ana" in request["body"]["text"]
    assert request["headers"]["Authorization"] == "Bearer secret-token"
    assert request["headers"]["Idempotency-Key"] == message.idempotency_key
    assert message.provider_id == "gw-123"


def test_a_4xx_answer_is_final(gateway):
    gateway.answers = [(400, {"error": "invalid number"}, 0)]
    message = MessageFactory()

    assert deliver(message) == "failed"
    assert message.last_error == "SMS gateway refused the message (HTTP 400)"


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_5xx_or_too_many_requests_answer_is_retried(gateway, status):
    gateway.answers = [(status, {}, 0)]
    message = MessageFactory()

    assert deliver(message) == "retry"
    assert message.status == S.SCHEDULED
    assert f"HTTP {status}" in message.last_error


def test_a_gateway_timeout_is_retried_and_the_retry_asks_before_sending_again(gateway):
    gateway.answers = [(200, {"id": "gw-slow"}, 1.0)]  # accepted, but answers after our 0.5 s timeout
    message = MessageFactory()

    assert deliver(message) == "retry"
    assert message.check_before_send
    time.sleep(0.6)  # the gateway finishes recording it
    Message.objects.filter(pk=message.pk).update(due_at=message.due_at)
    assert deliver(message) == "sent"

    assert len(gateway.received) == 1  # the lookup found it: not posted twice
    assert message.provider_id == "gw-slow"


def test_a_gateway_that_is_not_there_means_try_again_later(settings):
    settings.SMS_BACKEND = "notifications.channels.sms.HTTPSMSBackend"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{free_port()}/messages"
    message = MessageFactory()

    assert deliver(message) == "retry"


def test_the_gateway_lookup_answers_none_for_a_message_it_does_not_have(gateway):
    assert HTTPSMSBackend().lookup("unknown-key") is None
    gateway.answers = [(200, {"id": "gw-9"}, 0)]
    HTTPSMSBackend().send(Outgoing(recipient="+12025550100", text="x", idempotency_key="k/1"))
    assert HTTPSMSBackend().lookup("k/1") == "gw-9"
