"""Booking from an order invitation (issue 21 C), end to end: a scheduler clicks "Invite to
book" on a waiting order, the text goes out through the outbox with a signed link to that
invitation, her page shows the earliest free times, and the one she picks is booked on THAT
order through the booking service, with prep and reminders as any booking. Unanswered, it
goes on the to-do after ORDER_INVITATION_TODO_AFTER_HOURS (the beat, once); the setting
invites every new order."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.core.signing import TimestampSigner

from notifications.models import Message
from notifications.opt_out import opt_out
from radiology.errors import ServiceRefusal
from radiology.models import Appointment, Order, OrderInvitation
from radiology.selectors.reach import unanswered_invitations
from radiology.services import invitation_steps, order_invitations, orders
from radiology.services.booking import book_appointment
from radiology.services.patient_links import SALT
from tests.factories import OrderFactory, PatientFactory
from tests.radiology.interfaces.sms.support import run_outbox, texts

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=NY)  # a Monday
LINK = re.compile(r"https?://\S+/p/invite/(\d+)/(\S+)/")


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


@pytest.fixture
def order(galactogram, dept):
    return OrderFactory(patient=PatientFactory(email="", language="en", given_name="Lucía"), procedure=galactogram)


def _invite(scheduler_client, order):
    with time_machine.travel(NOW, tick=False):
        response = scheduler_client.post(f"/orders/{order.pk}/invite/")
    assert response.status_code == 302
    return OrderInvitation.objects.get(order=order)


def test_invite_to_book_then_she_picks_a_time_on_her_phone_and_that_order_is_booked(
    scheduler_client, client, order, sms_dir
):
    with time_machine.travel(NOW, tick=False):
        page = scheduler_client.get(f"/orders/{order.pk}/").content.decode()
    assert 'data-action="invite"' in page
    invitation = _invite(scheduler_client, order)
    run_outbox(NOW)
    [text] = texts(sms_dir, to=str(order.patient.phone))
    assert "Lucía" in text["text"] and "galactogram" not in text["text"].lower()
    link = LINK.search(text["text"])
    assert link and int(link.group(1)) == invitation.pk
    path = link.group(0)[link.group(0).index("/p/") :]

    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        page = client.get(path)
        assert page.status_code == 200 and page["Cache-Control"].startswith("max-age=0")
        html = page.content.decode()
        offered = re.findall(r'name="start" value="([^"]+)"', html)
        assert offered, html
        # The earliest free times after the catalog's lead time: 48 h, so Wednesday from 10:01.
        assert datetime.fromisoformat(offered[0]) >= NOW + timedelta(hours=48)
        response = client.post(path, {"start": offered[0]})

    appointment = Appointment.objects.get(order=order)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/p/{appointment.pk}/")  # her appointment's own signed page
    assert appointment.start == datetime.fromisoformat(offered[0])
    assert Order.objects.get(pk=order.pk).status == "scheduled"
    assert Order.objects.count() == 1  # that order, no new one
    invitation.refresh_from_db()
    assert (invitation.status, invitation.appointment_id) == ("booked", appointment.pk)
    kinds = set(Message.objects.filter(subject=appointment.holder).values_list("kind", flat=True))
    assert {"prep", "no_expression", "day_before"} <= kinds  # as any booking
    # The link used again goes on to her appointment, and books nothing more.
    with time_machine.travel(NOW + timedelta(hours=4), tick=False):
        again = client.post(path, {"start": offered[1]})
    assert again.status_code == 302 and Appointment.objects.filter(order=order).count() == 1


def test_a_time_taken_meanwhile_is_refused_with_fresh_times(scheduler_client, client, order, scheduler, galactogram):
    invitation = _invite(scheduler_client, order)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        [first, *_] = order_invitations.invitation_choices(invitation=invitation, now=NOW + timedelta(hours=1))
        book_appointment(
            patient=PatientFactory(),
            procedure=galactogram,
            start=first,
            duration_minutes=45,
            actor=scheduler,
            now=NOW + timedelta(hours=1),
        )
        with pytest.raises(ServiceRefusal) as refused:
            order_invitations.book_from_invitation(
                invitation_id=invitation.pk, start=first, now=NOW + timedelta(hours=1)
            )
    assert refused.value.code == "conflict"
    assert refused.value.suggestions and first not in refused.value.suggestions
    assert not Appointment.objects.filter(order=order).exists()


def test_a_tampered_link_or_an_appointment_link_for_the_same_number_is_not_an_invitation(
    scheduler_client, client, order
):
    invitation = _invite(scheduler_client, order)
    with time_machine.travel(NOW, tick=False):
        # The same id signed as an appointment's link is (its salt differs): not an invitation.
        appointment_token = TimestampSigner(salt=SALT).sign(str(invitation.pk)).partition(":")[2]
        assert client.get(f"/p/invite/{invitation.pk}/{appointment_token}/").status_code == 404
        assert client.get(f"/p/invite/{invitation.pk}/x:y/").status_code == 404


def test_the_link_expires(scheduler_client, client, order, settings):
    from radiology.services.patient_links import invitation_path

    _invite(scheduler_client, order)
    with time_machine.travel(NOW, tick=False):
        path = invitation_path(OrderInvitation.objects.get().pk)
    # In UTC: an aware datetime in New York would add wall-clock days (one of them 23 h long).
    expired = NOW.astimezone(UTC) + timedelta(days=settings.ORDER_INVITATION_MAX_AGE_DAYS, minutes=1)
    with time_machine.travel(expired - timedelta(minutes=2), tick=False):
        assert client.get(path).status_code == 200
    with time_machine.travel(expired, tick=False):
        assert client.get(path).status_code == 404


def test_unanswered_it_goes_on_the_to_do_once_after_the_setting_and_leaves_when_booked(
    scheduler_client, order, settings, scheduler, galactogram
):
    settings.ORDER_INVITATION_TODO_AFTER_HOURS = 72
    invitation = _invite(scheduler_client, order)
    before = NOW + timedelta(hours=71, minutes=59)
    after = NOW + timedelta(hours=72)

    assert invitation_steps.reach_due_invitations(now=before) == 0
    assert unanswered_invitations() == []
    assert invitation_steps.reach_due_invitations(now=after) == 1
    assert invitation_steps.reach_due_invitations(now=after + timedelta(minutes=1)) == 0  # once
    assert [i.pk for i in unanswered_invitations()] == [invitation.pk]
    with time_machine.travel(after, tick=False):
        todo = scheduler_client.get("/todo/").content.decode()
    assert f'data-invitation="{invitation.pk}"' in todo

    # A scheduler calls her and books the order by phone: the invitation is answered.
    with time_machine.travel(after, tick=False):
        start = order_invitations.invitation_choices(invitation=invitation, now=after)[0]
        book_appointment(
            patient=order.patient,
            procedure=galactogram,
            start=start,
            duration_minutes=45,
            actor=scheduler,
            order=order,
            now=after,
        )
    assert unanswered_invitations() == []
    assert OrderInvitation.objects.get().status == "booked"


def test_marking_it_done_on_the_to_do_closes_it(scheduler_client, order):
    invitation = _invite(scheduler_client, order)
    invitation_steps.reach_due_invitations(now=NOW + timedelta(days=4))
    with time_machine.travel(NOW + timedelta(days=4), tick=False):
        response = scheduler_client.post(f"/todo/invitation/{invitation.pk}/done/", {"note": "Will call back in May"})
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == "closed" and "Will call back in May" in invitation.closed_note
    assert unanswered_invitations() == []


def test_cancelling_the_order_closes_it_and_its_text_is_not_sent(scheduler_client, order, scheduler, sms_dir):
    with time_machine.travel(datetime(2026, 3, 2, 22, 0, tzinfo=NY), tick=False):  # quiet hours: the text waits
        order_invitations.invite_to_book(order_id=order.pk, actor=scheduler, now=datetime(2026, 3, 2, 22, 0, tzinfo=NY))
        orders.cancel_order(order_id=order.pk, reason="Done elsewhere", actor=scheduler)
    run_outbox(datetime(2026, 3, 3, 8, 30, tzinfo=NY))
    assert OrderInvitation.objects.get().status == "closed"
    assert texts(sms_dir) == []


def test_a_second_invitation_replaces_the_first(scheduler_client, order, scheduler):
    first = _invite(scheduler_client, order)
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        second = order_invitations.invite_to_book(order_id=order.pk, actor=scheduler, now=NOW + timedelta(days=1))
    first.refresh_from_db()
    assert (first.status, second.status) == ("closed", "open")
    assert order_invitations.invitation_choices(invitation=first, now=NOW + timedelta(days=1)) == []


def test_no_invitation_when_nothing_reaches_her_in_writing(scheduler_client, order, scheduler):
    opt_out(number=str(order.patient.phone), now=NOW)
    with time_machine.travel(NOW, tick=False):
        response = scheduler_client.post(f"/orders/{order.pk}/invite/", follow=True)
    assert "call her to book" in response.content.decode()
    assert not OrderInvitation.objects.exists()
    # With an e-mail she is invited by e-mail instead.
    order.patient.email = "lucia@example.org"
    order.patient.save()
    invitation = order_invitations.invite_to_book(order_id=order.pk, actor=scheduler, now=NOW)
    assert invitation.channel == "email"
    assert Message.objects.get(subject=invitation.reference).recipient == "lucia@example.org"


def test_a_technologist_cannot_invite(client, technologist, order):
    client.force_login(technologist)
    assert client.post(f"/orders/{order.pk}/invite/").status_code == 403
    with pytest.raises(ServiceRefusal):
        order_invitations.invite_to_book(order_id=order.pk, actor=technologist, now=NOW)


def test_every_new_order_is_invited_when_the_setting_is_on(settings, galactogram, dept, scheduler):
    settings.ORDER_INVITATIONS_AUTOMATIC = True
    with time_machine.travel(NOW, tick=False):
        order = orders.create_order(actor=None, patient=PatientFactory(), procedure=galactogram, now=NOW)
        unreachable = orders.create_order(
            actor=None, patient=PatientFactory(no_contact=True), procedure=galactogram, now=NOW
        )
    assert OrderInvitation.objects.get(order=order).sent_by is None
    assert not OrderInvitation.objects.filter(order=unreachable).exists()  # she stays in the queue for a call
    settings.ORDER_INVITATIONS_AUTOMATIC = False
    with time_machine.travel(NOW, tick=False):
        later = orders.create_order(actor=None, patient=PatientFactory(), procedure=galactogram, now=NOW)
    assert not OrderInvitation.objects.filter(order=later).exists()
