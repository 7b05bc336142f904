"""The Calendar feeds page: clinical staff make, rotate and revoke their own address; managers
those of the rooms; the address is shown once."""

import re

import pytest

from radiology.models import CalendarFeed
from tests.factories import RoomFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


def shown_address(response) -> str:
    return re.search(r'value="(http://testserver/cal/[^"]+\.ics)"', response.content.decode()).group(1)


def test_a_technologist_makes_an_address_that_is_shown_once_and_opens_the_feed(client):
    member = StaffMemberFactory()
    client.force_login(member.user)

    made = client.post("/cal/mine/", {"action": "rotate"})
    address = shown_address(made)
    later = client.get("/cal/")

    assert address.startswith(f"http://testserver/cal/staff/{member.pk}/")
    assert client.get(address.removeprefix("http://testserver")).status_code == 200
    assert address not in later.content.decode()
    assert "You have a calendar address" in later.content.decode()


def test_rotating_replaces_the_address_and_revoking_removes_it(client):
    member = StaffMemberFactory(radiologist=True)
    client.force_login(member.user)
    first = shown_address(client.post("/cal/mine/", {"action": "rotate"})).removeprefix("http://testserver")

    second = shown_address(client.post("/cal/mine/", {"action": "rotate"})).removeprefix("http://testserver")
    assert (client.get(first).status_code, client.get(second).status_code) == (404, 200)

    client.post("/cal/mine/", {"action": "revoke"})
    assert client.get(second).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_a_manager_manages_a_rooms_address_and_a_technologist_cannot(client):
    room = RoomFactory()
    technologist = StaffMemberFactory()
    client.force_login(technologist.user)
    assert client.post(f"/cal/rooms/{room.pk}/", {"action": "rotate"}).status_code == 403
    assert f"/cal/rooms/{room.pk}/" not in client.get("/cal/").content.decode()

    client.force_login(StaffMemberFactory(manager=True).user)
    address = shown_address(client.post(f"/cal/rooms/{room.pk}/", {"action": "rotate"}))

    assert address.startswith(f"http://testserver/cal/room/{room.pk}/")
    assert CalendarFeed.objects.get().room == room


def test_a_scheduler_has_no_calendar_page_and_strangers_must_log_in(client):
    assert client.get("/cal/").status_code == 302
    client.force_login(StaffMemberFactory(scheduler=True).user)
    assert client.get("/cal/").status_code == 403
    assert client.post("/cal/mine/", {"action": "rotate"}).status_code == 403
