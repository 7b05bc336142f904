"""Earlier-slot offers (issue 21 B, "Done when" bullet 2): a cancelled time is offered to the
waiting list best first, held for each in turn, released to the next when she does not
answer, and taken by the one who accepts: her appointment moved, not duplicated. The time
she left is then offered in its turn. Travelled clock; texts read back from the SMS gateway's
files."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from notifications import services as outbox
from radiology.errors import ServiceRefusal
from radiology.models import Appointment, OfferRound, SlotOffer, WaitingListEntry
from radiology.services import offers, waiting_list
from radiology.services.booking import book_appointment
from radiology.services.cancellation import cancel_appointment
from radiology.services.slots import find_galactogram_slots
from scheduling.models import Reservation
from tests.factories import OrderFactory, PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_dir")]
NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=NY)  # Monday
FREED = datetime(2026, 12, 9, 10, 0, tzinfo=NY)  # Wednesday, 49 h ahead
LATER = [datetime(2026, 12, 21 + i, 10, 0, tzinfo=NY) for i in range(3)]
HOLD = timedelta(minutes=20)


def beat(now):
    """One beat at `now`: the offer rounds, then the outbox delivers what is due."""
    with time_machine.travel(now, tick=False):
        offers.advance_due_rounds(now=now)
        ids, token = outbox.claim_due(now=now, limit=100)
        for message_id in ids:
            outbox.deliver_message(message_id=message_id, token=token, now=now)


def texts(sms_dir, to):
    """The offers the gateway received for this number (her booking's own texts aside)."""
    sent = [json.loads(p.read_text()) for p in sorted(sms_dir.glob("*.json"))]
    return [s["text"] for s in sent if s["to"] == str(to) and s["idempotency_key"].startswith("offer:")]


@pytest.fixture
def booked(galactogram, dept, scheduler):
    """The appointment that will be cancelled, and three patients booked weeks later, each on
    the list: Ana has waited longest, then Beatriz, then Carmen."""
    with time_machine.travel(NOW, tick=False):
        freed = book_appointment(
            patient=PatientFactory(), procedure=galactogram, start=FREED, duration_minutes=45, actor=scheduler
        )
        later = []
        for i, (name, start) in enumerate(zip(["Ana", "Beatriz", "Carmen"], LATER, strict=True)):
            patient = PatientFactory(given_name=name)
            order = OrderFactory(patient=patient, procedure=galactogram, received_at=NOW - timedelta(days=30 - i))
            appointment = book_appointment(
                patient=patient, procedure=galactogram, start=start, duration_minutes=45, actor=scheduler, order=order
            )
            waiting_list.join_waiting_list(patient=patient, source="scheduler", actor=scheduler, now=NOW)
            later.append(appointment)
    return freed, later


def test_a_cancelled_time_goes_held_expired_next_accepted_and_her_appointment_moves(
    booked, scheduler, sms_dir, galactogram
):
    freed, (ana, beatriz, carmen) = booked
    with time_machine.travel(NOW, tick=False):
        cancel_appointment(appointment_id=freed.pk, actor=scheduler, reason_code="patient_request", now=NOW)
    offer_round = OfferRound.objects.get(freed_appointment=freed)
    assert offer_round.next_step_at == NOW  # planned with the cancel, worked at once

    beat(NOW)
    first = SlotOffer.objects.get(round=offer_round)
    assert (first.patient, first.start, first.state) == (ana.patient, FREED, "held")
    [text] = texts(sms_dir, ana.patient.phone)
    assert "Wed 9 Dec 10:00" in text and "20 min" in text and "/p/offer/" in text
    # Held for her: no one else finds it, and a scheduler cannot book it.
    with time_machine.travel(NOW, tick=False):
        assert FREED not in [
            s.start
            for s in find_galactogram_slots(
                procedure=galactogram,
                duration_minutes=45,
                start_date=FREED.date(),
                end_date=FREED.date(),
                short_notice=True,
            )
        ]
        with pytest.raises(ServiceRefusal) as taken:
            book_appointment(
                patient=PatientFactory(), procedure=galactogram, start=FREED, duration_minutes=45, actor=scheduler
            )
    assert taken.value.code == "conflict"

    # No answer in 20 minutes: the hold lapses and Beatriz is offered it.
    beat(NOW + HOLD + timedelta(seconds=30))
    first.refresh_from_db()
    assert first.state == "expired"
    second = SlotOffer.objects.get(round=offer_round, state="held")
    assert second.patient == beatriz.patient
    assert len(texts(sms_dir, beatriz.patient.phone)) == 1

    # Ana answers late: refused politely, still on the list.
    with pytest.raises(ServiceRefusal, match="run out"):
        offers.accept_offer(offer_id=first.pk, now=NOW + HOLD + timedelta(minutes=1))
    assert WaitingListEntry.objects.get(patient=ana.patient).state == "waiting"

    accepted_at = NOW + HOLD + timedelta(minutes=5)
    with time_machine.travel(accepted_at, tick=False):
        offers.accept_offer(offer_id=second.pk, now=accepted_at)
    second.refresh_from_db()
    moved = Appointment.objects.get(pk=beatriz.pk)  # the same appointment, moved
    assert (second.state, second.appointment_id, moved.start) == ("accepted", beatriz.pk, FREED)
    assert second.days_gained == 13
    assert Appointment.objects.filter(patient=beatriz.patient).count() == 1
    assert set(Reservation.objects.filter(active=True, start=FREED).values_list("holder", flat=True)) == {moved.holder}
    assert WaitingListEntry.objects.get(patient=beatriz.patient).state == "fulfilled"
    offer_round.refresh_from_db()
    assert offer_round.state == "filled"
    first.round.refresh_from_db()
    assert offers.answer_state(first, now=accepted_at) == "gone"  # Ana's link now says it is gone

    # Beatriz's old time (22 Dec) is offered in its turn: Ana was earlier and is on the list,
    # but her 21 Dec is before it; Carmen (23 Dec) gets it.
    beat(accepted_at)
    cascade = SlotOffer.objects.get(round__freed_appointment=beatriz, state="held")
    assert (cascade.patient, cascade.start) == (carmen.patient, LATER[1])


def test_an_offer_accepted_twice_moves_her_once(booked, scheduler):
    freed, (ana, _, _) = booked
    with time_machine.travel(NOW, tick=False):
        cancel_appointment(appointment_id=freed.pk, actor=scheduler, reason_code="patient_request", now=NOW)
    beat(NOW)
    offer = SlotOffer.objects.get(patient=ana.patient)
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        offers.accept_offer(offer_id=offer.pk)
        again = offers.accept_offer(offer_id=offer.pk)
    assert again.state == "accepted"
    assert Appointment.objects.filter(patient=ana.patient).count() == 1


def test_an_offer_under_48_hours_asks_her_to_confirm_no_expression(booked, scheduler, galactogram):
    freed, (ana, _, _) = booked
    late = NOW + timedelta(hours=10)  # 19:00 Monday: FREED is 39 h ahead
    with time_machine.travel(late, tick=False):
        cancel_appointment(appointment_id=freed.pk, actor=scheduler, reason_code="patient_request", now=late)
    beat(late)
    offer = SlotOffer.objects.get(patient=ana.patient)
    assert offer.asks_no_expression
    with time_machine.travel(late, tick=False):
        with pytest.raises(ServiceRefusal, match="not expressed fluid"):
            offers.accept_offer(offer_id=offer.pk)
        offers.accept_offer(offer_id=offer.pk, no_expression_confirmed=True)
    moved = Appointment.objects.get(pk=ana.pk)
    assert moved.start == FREED and "confirmed no expression" in moved.lead_time_override_reason


def test_nobody_who_cannot_keep_the_window_is_offered_and_the_round_ends(booked, scheduler):
    freed, _ = booked
    at = FREED - timedelta(hours=20)  # inside the 24 h short end: nobody could keep it
    with time_machine.travel(at, tick=False):
        cancel_appointment(appointment_id=freed.pk, actor=scheduler, reason_code="patient_request", now=at)
    assert not OfferRound.objects.exists()


def test_orders_waiting_longer_than_the_setting_join_the_list_by_themselves(galactogram, settings):
    settings.WAITING_LIST_AUTO_AFTER_DAYS = 21
    old = OrderFactory(procedure=galactogram, received_at=NOW - timedelta(days=30))
    OrderFactory(procedure=galactogram, received_at=NOW - timedelta(days=3))
    assert waiting_list.add_long_waits(now=NOW) == 1
    assert waiting_list.add_long_waits(now=NOW) == 0  # once
    assert WaitingListEntry.objects.get().order == old


def test_an_opted_out_or_unreachable_patient_is_not_offered(booked, scheduler):
    freed, (ana, beatriz, _) = booked
    type(ana.patient).objects.filter(pk=ana.patient_id).update(
        phone="", email="", contact_flag="no_contact", contact_flagged_at=NOW
    )
    with time_machine.travel(NOW, tick=False):
        cancel_appointment(appointment_id=freed.pk, actor=scheduler, reason_code="patient_request", now=NOW)
    beat(NOW)
    assert SlotOffer.objects.get().patient == beatriz.patient  # Ana has no way to be told


def test_an_offer_goes_by_email_to_a_patient_who_opted_out_of_texts_and_nowhere_without_email():
    from notifications.opt_out import opt_out
    from radiology.contact import offer_channel

    patient = PatientFactory.build(preferred_channel="sms")
    assert offer_channel(patient) == "sms"
    opt_out(number=str(patient.phone), now=NOW)  # her number replied STOP (issue 21 A)
    assert offer_channel(patient) == "email"
    patient.email = ""
    assert offer_channel(patient) is None
