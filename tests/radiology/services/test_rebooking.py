"""No one lost after a no-show (issue 20 C), with a travelled clock across the November DST
change: one rebook message at once (quiet hours respected), a call task when she has not
rebooked, then the order flagged to the referring physician; each step once, at its local
time, and nothing after she is rebooked. A rebook link used after a phone booking is refused."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from notifications.models import Message
from radiology.errors import ServiceRefusal
from radiology.models import Order, Rebooking
from radiology.selectors import loops
from radiology.services import rebooking_link
from radiology.services.booking import book_appointment
from radiology.services.cancellation import mark_no_show
from radiology.services.patients import record_death
from radiology.services.workflow import record_not_proceeded
from tests.factories import AppointmentFactory, PatientFactory
from tests.radiology.services.test_follow_ups import tick

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_dir")]
NY = ZoneInfo("America/New_York")
START = datetime(2026, 10, 27, 15, 0, tzinfo=NY)  # Tuesday, EDT
MISSED = START + timedelta(minutes=30)
CALL_AT = datetime(2026, 10, 30, 9, 0, tzinfo=NY)  # + 3 days, 09:00 EDT
FLAG_AT = datetime(2026, 11, 6, 9, 0, tzinfo=NY)  # + 10 days, 09:00 EST (the clocks went back on 1 November)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def missed(galactogram, dept, scheduler):
    appointment = AppointmentFactory(
        start=START,
        procedure=galactogram,
        room=dept.rooms[0],
        radiologist=dept.radiologists[0],
        technologist=dept.technologists[0],
        patient=PatientFactory(language="es"),
    )
    with time_machine.travel(MISSED, tick=False):
        return mark_no_show(appointment_id=appointment.pk, actor=scheduler, now=MISSED)


def test_a_no_show_goes_rebook_message_no_answer_call_task_referrer_flag_each_once(missed, sms_dir):
    loop = Rebooking.objects.get(missed_appointment=missed)
    assert Order.objects.get(pk=missed.order_id).status == "waiting"  # back in the queue, as before
    assert {s.kind: s.due_at for s in loop.steps.all()} == {
        "rebook_message": MISSED,
        "call_task": CALL_AT,
        "referrer_flag": FLAG_AT,
    }
    assert FLAG_AT.astimezone(UTC).hour == 14  # 09:00 EST, not 09:00 EDT's 13:00 UTC

    reached, sent = tick(MISSED)
    assert reached == 1
    [message] = sent
    assert (message.kind, message.status, message.language) == ("rebook", "sent", "es")
    [text] = [json.loads(p.read_text())["text"] for p in sms_dir.glob("*.json")]
    assert "Elija una nueva hora" in text and f"/p/{missed.pk}/" in text
    assert tick(CALL_AT - MINUTE) == (0, [])
    assert tick(CALL_AT)[0] == 1
    assert [(t.step.kind, t.about) for t in loops.loop_tasks()] == [("call_task", "rebooking")]
    assert tick(FLAG_AT - MINUTE) == (0, [])
    assert tick(FLAG_AT)[0] == 1
    assert tick(FLAG_AT + timedelta(days=30)) == (0, [])

    loop.refresh_from_db()
    assert (loop.state, loop.flagged_at) == ("flagged", FLAG_AT)
    actions = list(loop.events.values_list("action", flat=True))
    assert actions == ["opened", "rebook_message", "call_task", "referrer_flag", "flagged_to_referrer"]
    assert Message.objects.filter(subject=missed.holder, kind="rebook").count() == 1


def test_a_rebook_link_used_after_she_rebooked_by_phone_is_refused_with_a_sentence(missed, galactogram, scheduler):
    tick(MISSED)
    phoned = datetime(2026, 10, 28, 11, 0, tzinfo=NY)
    with time_machine.travel(phoned, tick=False):
        new = book_appointment(
            patient=missed.patient,
            procedure=galactogram,
            start=datetime(2026, 11, 4, 10, 0, tzinfo=NY),
            duration_minutes=45,
            actor=scheduler,
            order=Order.objects.get(pk=missed.order_id),
            now=phoned,
        )
        with pytest.raises(ServiceRefusal, match="You already have a new appointment on Wednesday 04 November"):
            rebooking_link.rebook_by_patient(appointment_id=missed.pk, start=new.start, now=phoned)

    loop = Rebooking.objects.get(missed_appointment=missed)
    assert (loop.state, loop.rebooked_appointment) == ("rebooked", new)
    assert tick(FLAG_AT + timedelta(days=1)) == (0, [])  # no call task, no flag after the loop closed
    assert loops.loop_tasks() == []
    figures = loops.loop_figures(start=START - timedelta(days=1), end=START + timedelta(days=1), now=FLAG_AT)
    assert (figures.missed, figures.rebooked, figures.median_days_to_rebook) == (1, 1, 0.8)


def test_she_rebooks_through_her_link_by_the_booking_service(missed):
    tick(MISSED)
    now = datetime(2026, 10, 28, 20, 0, tzinfo=NY)
    with time_machine.travel(now, tick=False):
        choices = rebooking_link.rebook_choices(appointment=missed, now=now)
        new = rebooking_link.rebook_by_patient(appointment_id=missed.pk, start=choices[0], now=now)

    assert (new.order_id, new.status, new.transitions.get().action) == (missed.order_id, "booked", "book")
    assert Rebooking.objects.get(missed_appointment=missed).state == "rebooked"
    assert tick(FLAG_AT) == (0, [])


def test_a_no_show_in_the_evening_texts_her_after_the_quiet_hours(galactogram, dept, scheduler):
    late = AppointmentFactory(start=datetime(2026, 10, 27, 16, 0, tzinfo=NY), procedure=galactogram)
    evening = datetime(2026, 10, 27, 21, 30, tzinfo=NY)
    with time_machine.travel(evening, tick=False):
        mark_no_show(appointment_id=late.pk, actor=scheduler, now=evening)

    message = Message.objects.get(subject=late.holder, kind="rebook")
    assert message.due_at == datetime(2026, 10, 28, 8, 0, tzinfo=NY)
    assert tick(evening + MINUTE) == (1, [])


def test_did_not_proceed_opens_the_same_loop(galactogram, technologist):
    today = AppointmentFactory(start=START, procedure=galactogram, status="checked_in")
    with time_machine.travel(START, tick=False):
        record_not_proceeded(appointment_id=today.pk, actor=technologist, reason_code="no_discharge", now=START)

    assert Rebooking.objects.get(missed_appointment=today).state == "waiting"
    assert Message.objects.filter(subject=today.holder, kind="rebook").exists()


def test_a_patient_who_died_gets_no_rebook_message(missed):
    record_death(patient=missed.patient, now=MISSED + MINUTE)

    assert tick(CALL_AT + timedelta(days=30)) == (0, [])
    assert Message.objects.get(subject=missed.holder, kind="rebook").status == "cancelled"
    assert Rebooking.objects.get(missed_appointment=missed).state == "ended"
