"""A number several patients share (a parent's phone) never confirms blindly: with more than
one appointment ahead among them the reply asks which, by date, and C1 / C2 answers it; an
"another time" from it goes to a person. Keywords are read as carriers read them."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from notifications.models import Message
from radiology.errors import ServiceRefusal
from radiology.models import Appointment, InboundSms
from radiology.services import sms_keywords
from radiology.services.booking import book_appointment
from radiology.services.inbound_sms import mark_handled, receive_sms, reply_from_staff
from tests.factories import OrderFactory, PatientFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 1, 26, 10, 0, tzinfo=NY)  # a Monday
FIRST = datetime(2026, 2, 3, 9, 30, tzinfo=NY)
SECOND = datetime(2026, 2, 5, 14, 0, tzinfo=NY)
SHARED = "+12025550188"


def _book(patient, start, galactogram, scheduler):
    with time_machine.travel(NOW, tick=False):
        return book_appointment(
            patient=patient,
            procedure=galactogram,
            start=start,
            duration_minutes=45,
            actor=scheduler,
            order=OrderFactory(patient=patient, procedure=galactogram),
            now=NOW,
        )


@pytest.fixture
def mother_and_daughter(galactogram, dept, scheduler):
    mother = PatientFactory(phone=SHARED, language="en")
    daughter = PatientFactory(phone=SHARED, language="en")
    return _book(mother, FIRST, galactogram, scheduler), _book(daughter, SECOND, galactogram, scheduler)


def _text(body, *, id, at=NOW + timedelta(hours=1), sender=SHARED):
    with time_machine.travel(at, tick=False):
        return receive_sms(provider="gateway", provider_message_id=id, sender=sender, to="", body=body, now=at)


def _reply(inbound) -> Message:
    return Message.objects.get(subject=inbound.reference, kind__startswith="sms_")


def test_a_shared_number_is_asked_which_appointment_by_date_and_confirms_nothing(mother_and_daughter):
    asked = _text("C", id="1")

    assert (asked.outcome, asked.patient_id) == ("asked_which", None)
    assert asked.choices == [a.pk for a in mother_and_daughter]
    assert Appointment.objects.filter(patient_confirmed_at__isnull=False).count() == 0
    reply = _reply(asked)
    assert reply.kind == "sms_which"
    from notifications.rendering import render

    text = render(reply).text
    assert "Reply C1 for 3 Feb 09:30, Reply C2 for 5 Feb 14:00" in text
    assert all(a.patient.given_name not in text for a in mother_and_daughter)  # dates only, no names


def test_c2_confirms_the_second_appointment_offered(mother_and_daughter):
    _text("C", id="1")
    chosen = _text("c2", id="2", at=NOW + timedelta(hours=2))

    assert (chosen.outcome, chosen.appointment_id) == ("confirmed", mother_and_daughter[1].pk)
    assert Appointment.objects.get(pk=mother_and_daughter[1].pk).patient_confirmed_at == NOW + timedelta(hours=2)
    assert Appointment.objects.get(pk=mother_and_daughter[0].pk).patient_confirmed_at is None


def test_a_choice_without_a_fresh_question_confirms_nothing(mother_and_daughter, settings):
    _text("C", id="1")
    late = _text("C1", id="2", at=NOW + timedelta(hours=settings.SMS_CHOICE_VALID_HOURS + 2))
    never = _text("C1", id="3", sender="+12025550199")

    assert late.outcome == "nothing_ahead" and never.outcome == "inbox"
    assert Appointment.objects.filter(patient_confirmed_at__isnull=False).count() == 0


def test_another_time_from_a_shared_number_goes_to_a_person(mother_and_daughter):
    asked = _text("R", id="1")

    assert asked.outcome == "inbox"
    assert Appointment.objects.filter(reschedule_requested_at__isnull=False).count() == 0


def test_a_shared_number_with_one_appointment_ahead_confirms_it(galactogram, dept, scheduler):
    only = _book(PatientFactory(phone=SHARED), FIRST, galactogram, scheduler)
    PatientFactory(phone=SHARED)  # her sister, nothing booked

    confirmed = _text("SI", id="1")

    assert (confirmed.outcome, confirmed.appointment_id) == ("confirmed", only.pk)


def test_a_confirm_with_nothing_ahead_says_so(galactogram, dept):
    PatientFactory(phone=SHARED)
    nothing = _text("confirm", id="1")
    assert nothing.outcome == "nothing_ahead"
    assert _reply(nothing).kind == "sms_nothing_ahead"


def test_the_same_provider_id_is_stored_and_acted_on_once(mother_and_daughter):
    first = _text("HELP", id="dup")
    again = _text("STOP", id="dup")  # a replay with another body: the stored one stands

    assert again.pk == first.pk and again.outcome == "helped"
    assert InboundSms.objects.count() == 1
    assert Message.objects.filter(subject=first.reference).count() == 1


def test_a_staff_answer_goes_through_the_outbox_and_takes_it_off_the_inbox(
    mother_and_daughter, scheduler, technologist
):
    asked = _text("Is parking free?", id="1")
    with pytest.raises(ServiceRefusal) as refused:
        reply_from_staff(inbound_id=asked.pk, actor=technologist, text="Yes", now=NOW)
    assert refused.value.code == "forbidden"

    message = reply_from_staff(inbound_id=asked.pk, actor=scheduler, text="Yes, level 1.", now=NOW + timedelta(hours=2))
    again = reply_from_staff(inbound_id=asked.pk, actor=scheduler, text="And level 2.", now=NOW + timedelta(hours=3))

    assert (message.channel, message.recipient, message.kind) == ("sms", SHARED, "sms_staff_reply")
    assert message.idempotency_key != again.idempotency_key
    asked.refresh_from_db()
    assert asked.handled_by == scheduler and asked.handled_at == NOW + timedelta(hours=2)


def test_no_staff_answer_to_a_number_that_said_stop(mother_and_daughter, scheduler):
    asked = _text("hello", id="1")
    _text("STOP", id="2")
    with pytest.raises(ServiceRefusal, match="STOP"):
        reply_from_staff(inbound_id=asked.pk, actor=scheduler, text="Hi", now=NOW)
    assert mark_handled(inbound_id=asked.pk, actor=scheduler, now=NOW).handled_at == NOW


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("C", "confirm"),
        (" sí ", "confirm"),
        ("Si!", "confirm"),
        ("r", "reschedule"),
        ("Cambiar.", "reschedule"),
        ("STOP", "stop"),
        ("opt out", "stop"),
        ("Baja", "stop"),
        ("unstop", "start"),
        ("ALTA", "start"),
        ("ayuda", "help"),
        ("C3", "choice"),
        ("please don't stop my reminders", "other"),
        ("", "other"),
    ],
)
def test_keywords_are_read_as_the_whole_message(body, keyword):
    assert sms_keywords.read(body).keyword == keyword
