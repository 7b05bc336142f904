"""The patient texts back (issue 21 A, "Done when" 1): signed inbound texts in both shapes,
each keyword followed to its effect and its one reply in the SMS file; a forged, stale or
replayed webhook is refused and changes nothing; STOP stops every later text to the number
over a week of planned reminders (checked against the outbox), until START."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from notifications.models import Message, SmsOptOut
from radiology.models import Appointment, InboundSms
from radiology.selectors import scheduler_todo
from radiology.selectors.reach import TEXTS_STOPPED, patients_to_reach
from radiology.services.booking import book_appointment
from radiology.services.rescheduling import reschedule_appointment
from tests.factories import OrderFactory, PatientFactory
from tests.radiology.interfaces.sms.support import (
    SECRET,
    TWILIO_TOKEN,
    post_gateway,
    post_twilio,
    run_outbox,
    texts,
)

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=NY)  # a Monday; the clocks go forward on Sunday 8 March
START = datetime(2026, 3, 9, 10, 0, tzinfo=NY)  # the Monday after
MOVED = datetime(2026, 3, 10, 11, 0, tzinfo=NY)
NUMBER = "+12025550147"


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.SMS_INBOUND_SECRET = SECRET
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.SITE_URL = "https://clinic.example.org"


@pytest.fixture
def booked(galactogram, dept, scheduler, sms_dir):
    """Her appointment a week ahead, booked at NOW: the prep text goes at once."""
    patient = PatientFactory(phone=NUMBER, email="", given_name="Ana", language="en")
    with time_machine.travel(NOW, tick=False):
        appointment = book_appointment(
            patient=patient,
            procedure=galactogram,
            start=START,
            duration_minutes=45,
            actor=scheduler,
            order=OrderFactory(patient=patient, procedure=galactogram),
            now=NOW,
        )
    run_outbox(NOW)
    assert [t["idempotency_key"].split(":")[-2] for t in texts(sms_dir)] == ["prep"]
    return appointment


def _send(client, shape, body, *, at, id, sender=NUMBER):
    with time_machine.travel(at, tick=False):
        if shape == "gateway":
            response = post_gateway(client, id=id, sender=sender, body=body)
        else:
            response = post_twilio(client, sid=id, sender=sender, body=body)
    assert response.status_code == 200, response.content
    return InboundSms.objects.get(provider_message_id=id)


def _replies(sms_dir, inbound):
    return [t for t in texts(sms_dir) if t["idempotency_key"].startswith(f"sms:{inbound.pk}:")]


@pytest.mark.parametrize("shape", ["gateway", "twilio"])
@pytest.mark.parametrize("word", ["C", "confirm", "Sí", "si."])
def test_a_confirm_text_confirms_her_next_appointment_and_is_answered_once(client, booked, sms_dir, shape, word):
    at = NOW + timedelta(hours=1)
    inbound = _send(client, shape, word, at=at, id="M-1")
    run_outbox(at)

    assert Appointment.objects.get(pk=booked.pk).patient_confirmed_at == at
    assert (inbound.patient_id, inbound.outcome, inbound.appointment_id) == (booked.patient_id, "confirmed", booked.pk)
    [reply] = _replies(sms_dir, inbound)
    assert reply["to"] == NUMBER
    assert "Mon 9 Mar, 10:00" in reply["text"] and "Ana" in reply["text"]
    # The gateway sends it again (a retry): stored once, answered once, nothing changes.
    _send(client, shape, word, at=at + timedelta(minutes=2), id="M-1")
    run_outbox(at + timedelta(minutes=2))
    assert InboundSms.objects.count() == 1
    assert len(_replies(sms_dir, inbound)) == 1


@pytest.mark.parametrize("shape", ["gateway", "twilio"])
def test_a_reschedule_text_puts_her_on_the_to_do_and_the_reply_carries_her_link(client, booked, sms_dir, shape):
    at = NOW + timedelta(hours=1)
    inbound = _send(client, shape, "R", at=at, id="M-2")
    run_outbox(at)

    assert Appointment.objects.get(pk=booked.pk).reschedule_requested_at == at
    with time_machine.travel(at, tick=False):
        assert booked.pk in {item.appointment.pk for item in scheduler_todo(now=at)}
    [reply] = _replies(sms_dir, inbound)
    assert f"/p/{booked.pk}/" in reply["text"]  # her own signed link, signed when sent
    assert "galactogram" not in reply["text"].lower()


def test_a_spanish_keyword_is_answered_in_her_language(client, booked, sms_dir):
    booked.patient.language = "es"
    booked.patient.save()
    at = NOW + timedelta(hours=1)
    inbound = _send(client, "gateway", "CAMBIAR", at=at, id="M-3")
    run_outbox(at)

    assert inbound.outcome == "another_time"
    [reply] = _replies(sms_dir, inbound)
    assert "llamaremos" in reply["text"]


@pytest.mark.parametrize("word", ["HELP", "ayuda"])
def test_help_answers_with_the_departments_number(client, booked, sms_dir, settings, word):
    at = NOW + timedelta(hours=1)
    inbound = _send(client, "gateway", word, at=at, id="M-4")
    run_outbox(at)

    assert inbound.outcome == "helped"
    [reply] = _replies(sms_dir, inbound)
    assert settings.CLINIC_PHONE in reply["text"]
    assert Appointment.objects.get(pk=booked.pk).patient_confirmed_at is None


def test_free_text_waits_on_the_inbox_and_is_acknowledged_once(client, booked, sms_dir):
    at = NOW + timedelta(hours=1)
    inbound = _send(client, "twilio", "Can I bring my daughter?", at=at, id="SM-5")
    run_outbox(at)

    assert (inbound.outcome, inbound.handled_at, inbound.patient_id) == ("inbox", None, booked.patient_id)
    [reply] = _replies(sms_dir, inbound)
    assert "our team will read your message" in reply["text"]


def test_a_number_nobody_has_is_stored_for_the_inbox_never_matched_and_not_answered(client, booked, sms_dir):
    at = NOW + timedelta(hours=1)
    inbound = _send(client, "gateway", "C", at=at, id="M-6", sender="+12025550999")
    run_outbox(at)

    assert (inbound.outcome, inbound.patient_id) == ("inbox", None)
    assert Appointment.objects.get(pk=booked.pk).patient_confirmed_at is None
    assert texts(sms_dir, to="+12025550999") == []


# --- refused, and nothing changes ------------------------------------------------------------


def _nothing_changed(booked):
    assert InboundSms.objects.count() == 0
    assert Appointment.objects.get(pk=booked.pk).patient_confirmed_at is None
    assert not Message.objects.filter(subject__startswith="sms:").exists()


def test_a_forged_gateway_signature_is_refused(client, booked):
    with time_machine.travel(NOW, tick=False):
        assert post_gateway(client, id="F-1", sender=NUMBER, body="C", secret="guessed").status_code == 403
        assert (
            post_gateway(client, id="F-2", sender=NUMBER, body="C", signature="sha256=" + "0" * 64).status_code == 403
        )
        assert post_gateway(client, id="F-3", sender=NUMBER, body="C", signature="").status_code == 403
    _nothing_changed(booked)


def test_a_replayed_gateway_request_older_than_five_minutes_is_refused(client, booked):
    with time_machine.travel(NOW + timedelta(minutes=6), tick=False):
        stale = (NOW).timestamp()
        assert post_gateway(client, id="F-4", sender=NUMBER, body="C", timestamp=stale).status_code == 403
        ahead = (NOW + timedelta(minutes=12)).timestamp()
        assert post_gateway(client, id="F-5", sender=NUMBER, body="C", timestamp=ahead).status_code == 403
    _nothing_changed(booked)


def test_no_secret_configured_refuses_everything(client, booked, settings):
    settings.SMS_INBOUND_SECRET = ""
    with time_machine.travel(NOW, tick=False):
        assert post_gateway(client, id="F-6", sender=NUMBER, body="C", secret="").status_code == 403
    _nothing_changed(booked)


def test_a_forged_or_altered_twilio_request_is_refused(client, booked):
    with time_machine.travel(NOW, tick=False):
        assert post_twilio(client, sid="SM-F1", sender=NUMBER, body="C", token="wrong").status_code == 403
        assert post_twilio(client, sid="SM-F2", sender=NUMBER, body="C", tamper={"Body": "STOP"}).status_code == 403
        assert (
            post_twilio(client, sid="SM-F3", sender=NUMBER, body="C", tamper={"From": "+12025550999"}).status_code
            == 403
        )
    _nothing_changed(booked)


def test_a_signed_but_malformed_body_is_a_400_not_a_500(client, booked):
    from radiology.interfaces.sms.signatures import gateway_signature

    with time_machine.travel(NOW, tick=False):
        stamp = str(int(NOW.timestamp()))
        for raw in (b"not json", b"[1, 2]", b'{"id": "", "from": "+12025550147", "body": "C"}'):
            response = client.post(
                "/sms/inbound/",
                raw,
                content_type="application/json",
                headers={
                    "X-Signature-Timestamp": stamp,
                    "X-Signature": gateway_signature(secret=SECRET, timestamp=stamp, body=raw),
                },
            )
            assert response.status_code == 400
            assert response["Content-Type"] == "application/json"
    _nothing_changed(booked)


def test_the_webhooks_take_posts_only(client):
    assert client.get("/sms/inbound/").status_code == 405
    assert client.get("/sms/inbound/twilio/").status_code == 405


# --- STOP, over a week of planned reminders ----------------------------------------------


@pytest.mark.parametrize(
    "word", ["STOP", "baja", "Unsubscribe", "stopall", "QUIT", "end", "Cancel", "revoke", "optout"]
)
def test_every_opt_out_word_stops_the_number(client, booked, word):
    inbound = _send(client, "gateway", word, at=NOW + timedelta(hours=1), id=f"S-{word}")
    assert inbound.outcome == "opted_out"
    assert SmsOptOut.objects.filter(number=NUMBER).exists()


def test_stop_stops_every_later_text_to_the_number_over_the_week_until_start(
    client, booked, sms_dir, scheduler, galactogram
):
    stop_at = NOW + timedelta(hours=2)
    stop = _send(client, "gateway", "STOP", at=stop_at, id="S-1")
    run_outbox(stop_at)
    [confirmation] = _replies(sms_dir, stop)  # the one text after STOP that carriers expect
    assert "no more texts" in confirmation["text"] and "START" in confirmation["text"]

    # A scheduler moves her appointment meanwhile: the new plan (moved, no-expression, day
    # before) is made for a number that said STOP, and she has no e-mail.
    with time_machine.travel(stop_at + timedelta(hours=1), tick=False):
        reschedule_appointment(appointment_id=booked.pk, start=MOVED, actor=scheduler, now=stop_at + timedelta(hours=1))
    # A week of beats, every half hour, across the spring-forward Sunday.
    at = stop_at
    while at < MOVED + timedelta(days=1):
        run_outbox(at)
        at += timedelta(minutes=30)

    assert [t["idempotency_key"] for t in texts(sms_dir, to=NUMBER)] == [
        f"appointment:{booked.pk}:v1:prep:patient",
        confirmation["idempotency_key"],
    ]
    planned = Message.objects.filter(subject=f"appointment:{booked.pk}", audience="patient").exclude(kind="prep")
    assert planned.exists()
    assert set(planned.values_list("status", flat=True)) <= {"skipped", "cancelled"}
    assert all("STOP" in m.last_error for m in planned.filter(status="skipped"))
    assert {"moved", "no_expression", "day_before"} <= set(
        planned.filter(status="skipped").values_list("kind", flat=True)
    )
    # Nothing reaches her in writing: the to-do lists her for a call.
    with time_machine.travel(at, tick=False):
        [item] = [i for i in patients_to_reach(now=NOW) if i.patient.pk == booked.patient_id]
    assert TEXTS_STOPPED in item.reasons

    # START: texts again (the confirmation of it goes, and so do later reminders).
    start_at = MOVED + timedelta(days=2)
    again = _send(client, "gateway", "START", at=start_at, id="S-2")
    run_outbox(start_at)
    assert not SmsOptOut.objects.filter(number=NUMBER).exists()
    [started] = _replies(sms_dir, again)
    assert "again" in started["text"]


def test_after_stop_her_reminders_go_by_email_when_she_has_one(client, booked, sms_dir):
    patient = booked.patient
    patient.email = "ana@example.org"
    patient.save()
    stop_at = NOW + timedelta(hours=2)
    _send(client, "twilio", "STOP", at=stop_at, id="SM-S3")
    at = stop_at
    while at < START:
        run_outbox(at)
        at += timedelta(hours=1)

    assert [t["idempotency_key"].split(":")[-2] for t in texts(sms_dir, to=NUMBER)] == [
        "prep"
    ]  # Twilio answers STOP itself
    reminders = Message.objects.filter(subject=f"appointment:{booked.pk}", kind__in=["no_expression", "day_before"])
    assert set(reminders.values_list("channel", "recipient", "status")) == {("email", "ana@example.org", "sent")}
    assert {m.to[0] for m in mail.outbox} == {"ana@example.org"}


def test_her_patient_page_and_her_own_page_show_the_opt_out(client, booked, scheduler):
    from radiology.services.patient_links import patient_path

    _send(client, "gateway", "STOP", at=NOW + timedelta(hours=1), id="S-4")
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        portal = client.get(patient_path(booked.pk)).content.decode()
        client.force_login(scheduler)
        staff = client.get(f"/patients/{booked.patient_id}/").content.decode()
    assert 'data-testid="texts-stopped"' in portal and "call you" in portal
    assert 'data-testid="sms-opt-out"' in staff and "call her" in staff
