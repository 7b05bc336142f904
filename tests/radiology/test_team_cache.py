"""The team a process keeps for API bookings that name their room and people: a change made
any way (bulk updates here, which no signal sees) is what the very next booking works with,
and a warm booking does not read the room or the people."""

from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from radiology import team_cache
from radiology.models import StaffMember
from scheduling.clinic_time import clinic_zone
from tests.factories import PatientFactory
from tests.radiology.interfaces.api.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=clinic_zone())  # Monday
THURSDAY = NOW.date() + timedelta(days=3)


@pytest.fixture
def api(scheduler):
    return client_for(scheduler)  # with a token: its lookup brings the counters


def book(api, dept, hour):
    start = datetime.combine(THURSDAY, time(hour), tzinfo=clinic_zone())
    body = {
        "patient": PatientFactory().pk,
        "procedure": "galactogram",
        "start": start.isoformat(),
        "duration": 45,
        "room": dept.rooms[0].pk,
        "radiologist": dept.radiologists[0].pk,
        "technologist": dept.technologists[0].pk,
    }
    return api.post("/api/v1/appointments", body, format="json")


def test_a_warm_booking_reads_neither_the_room_nor_the_people(api, dept):
    assert book(api, dept, 9).status_code == 201  # the process now keeps the team

    with CaptureQueriesContext(connection) as queries:
        response = book(api, dept, 10)

    assert response.status_code == 201, response.json()
    assert response.json()["resources"]["room"]["name"] == dept.rooms[0].name
    team_reads = [q["sql"] for q in queries if 'FROM "scheduling_resource"' in q["sql"]]
    assert team_reads == []


def test_a_room_whose_unit_was_taken_away_is_refused_by_the_next_booking(api, dept):
    assert book(api, dept, 9).status_code == 201

    dept.rooms[0].resource.capabilities.clear()  # the m2m table, behind the models' back
    response = book(api, dept, 10)

    assert response.status_code == 400, response.json()


def test_a_technologist_who_became_a_scheduler_cannot_be_named_by_the_next_booking(api, dept):
    assert book(api, dept, 9).status_code == 201

    StaffMember.objects.filter(pk=dept.technologists[0].pk).update(role=StaffMember.Role.NURSE)
    assert book(api, dept, 10).status_code == 201  # a nurse assists too

    StaffMember.objects.filter(pk=dept.technologists[0].pk).update(role=StaffMember.Role.SCHEDULER)
    response = book(api, dept, 11)

    assert response.status_code == 400
    assert "technologist" in response.json()["fields"]


def test_a_radiologist_renamed_is_named_so_in_the_next_answer(api, dept):
    assert book(api, dept, 9).status_code == 201

    get_user_model().objects.filter(pk=dept.radiologists[0].user_id).update(last_name="Okonkwo-Reyes")
    response = book(api, dept, 10)

    assert response.status_code == 201
    assert "Okonkwo-Reyes" in response.json()["resources"]["radiologist"]["name"]


def test_each_caller_gets_its_own_copy(dept):
    room = dept.rooms[0]
    first = team_cache.named(room.pk, [], version=1)[("room", room.pk)]
    first.name = "changed by a caller"

    assert team_cache.named(room.pk, [], version=1)[("room", room.pk)].name == room.name
    assert team_cache.named(None, [10**9], version=1) == {}
