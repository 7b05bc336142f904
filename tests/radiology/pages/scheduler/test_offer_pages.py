"""Staff see earlier-slot offers and their answers (issue 21 B): on the appointment whose time
was freed, on the schedulers' to-do, on her patient page (where a scheduler puts her on the
list) and as the dashboard's figures."""

from datetime import timedelta

import pytest
import time_machine

from radiology.models import WaitingListEntry
from radiology.services import offers
from radiology.services.cancellation import cancel_appointment
from tests.factories import OrderFactory, StaffMemberFactory
from tests.radiology.services.test_offers import NOW, beat, booked  # noqa: F401 - the fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_dir")]


@pytest.fixture
def accepted(booked, scheduler):  # noqa: F811
    freed, later = booked
    with time_machine.travel(NOW, tick=False):
        cancel_appointment(appointment_id=freed.pk, actor=scheduler, reason_code="patient_request", now=NOW)
    beat(NOW)
    offer = freed.offer_rounds.get().offers.get()
    with time_machine.travel(NOW + timedelta(minutes=4), tick=False):
        offers.accept_offer(offer_id=offer.pk)
    return freed, later


def test_the_freed_appointment_and_the_to_do_show_the_offer_and_its_answer(scheduler_client, accepted):
    freed, (ana, _, _) = accepted
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        page = scheduler_client.get(f"/appointments/{freed.pk}/").content.decode()
        todo = scheduler_client.get("/todo/").content.decode()
    assert 'data-testid="freed-offers"' in page and ana.patient.family_name in page and "Accepted" in page
    assert "12.0 days earlier" in todo
    assert ana.patient.family_name in todo


def test_the_dashboard_counts_offers_sent_accepted_and_days_gained(client, accepted):
    client.force_login(StaffMemberFactory(role="manager").user)
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        page = client.get("/dashboard/").content.decode()
    assert 'data-testid="offers-sent">1<' in page
    assert 'data-testid="offers-accepted">1 <small class="fs-6">(100%)' in page
    assert 'data-testid="offers-days-gained">12.0<' in page


def test_a_scheduler_puts_her_on_the_list_from_her_page(scheduler_client):
    order = OrderFactory()
    response = scheduler_client.post(f"/patients/{order.patient_id}/waiting-list/", follow=True)
    assert WaitingListEntry.objects.get(order=order).source == "scheduler"
    assert "Order " + order.accession_number in response.content.decode()


def test_a_technologist_may_not_put_her_on_the_list(client):
    client.force_login(StaffMemberFactory(role="technologist").user)
    order = OrderFactory()
    assert client.post(f"/patients/{order.patient_id}/waiting-list/").status_code == 403
    assert not WaitingListEntry.objects.exists()
