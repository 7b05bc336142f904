"""Her side of earlier-slot offers (issue 21 B): "tell me if an earlier time frees up" from her
appointment page, and the offer page behind its own signed link: take it, say no, or be told
kindly that it has gone or that her time to answer ran out (in her language)."""

from datetime import timedelta

import pytest
import time_machine

from radiology.models import Appointment, SlotOffer, WaitingListEntry
from radiology.services.cancellation import cancel_appointment
from radiology.services.patient_links import offer_path, patient_path
from tests.radiology.services.test_offers import HOLD, NOW, beat, booked  # noqa: F401 - the fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_dir")]


@pytest.fixture
def offered(booked, scheduler):  # noqa: F811
    freed, later = booked
    with time_machine.travel(NOW, tick=False):
        cancel_appointment(appointment_id=freed.pk, actor=scheduler, reason_code="patient_request", now=NOW)
    beat(NOW)
    return SlotOffer.objects.get(patient=later[0].patient), later


def test_her_page_puts_her_on_the_waiting_list_and_takes_her_off(client, booked):  # noqa: F811
    _, (ana, _, _) = booked
    WaitingListEntry.objects.all().delete()
    page = client.post(patient_path(ana.pk) + "waiting-list/", follow=True)
    assert "We will text you if an earlier time frees up." in page.content.decode()
    assert WaitingListEntry.objects.get(order=ana.order).source == "patient"
    assert b'data-testid="on-waiting-list"' in page.content
    client.post(patient_path(ana.pk) + "waiting-list/", {"leave": "1"})
    assert WaitingListEntry.objects.get(order=ana.order).state == "removed"


def test_the_offer_page_takes_the_time_and_moves_her_appointment(client, offered):
    offer, (ana, _, _) = offered
    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):
        page = client.get(offer_path(offer.pk))
        assert page.status_code == 200 and b'data-testid="offer-open"' in page.content
        assert "We are holding this time for you until 09:20." in page.content.decode()
        taken = client.post(offer_path(offer.pk), {"answer": "accept"}, follow=True)
    assert b'data-testid="offer-accepted"' in taken.content
    assert Appointment.objects.get(pk=ana.pk).start == offer.start


def test_after_the_hold_ran_out_the_page_says_so_and_books_nothing(client, offered):
    offer, (ana, _, _) = offered
    with time_machine.travel(NOW + HOLD + timedelta(minutes=1), tick=False):
        response = client.post(offer_path(offer.pk), {"answer": "accept"})
    assert response.status_code == 409 and b'data-testid="offer-expired"' in response.content
    assert Appointment.objects.get(pk=ana.pk).start != offer.start


def test_saying_no_offers_it_to_the_next_at_once_and_keeps_her_on_the_list(client, offered):
    offer, (ana, beatriz, _) = offered
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        page = client.post(offer_path(offer.pk), {"answer": "decline"}, follow=True)
    assert b'data-testid="offer-declined"' in page.content
    beat(NOW + timedelta(minutes=1))
    assert SlotOffer.objects.get(state="held").patient == beatriz.patient
    assert WaitingListEntry.objects.get(order=ana.order).state == "waiting"


def test_a_tampered_offer_link_is_the_friendly_invalid_page(client, offered):
    offer, _ = offered
    assert client.get(offer_path(offer.pk).replace(f"/{offer.pk}/", f"/{offer.pk + 1}/")).status_code == 404
