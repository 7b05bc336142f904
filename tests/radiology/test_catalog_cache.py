"""The catalog a process keeps for API bookings: a change made any way (a bulk update here,
which no signal sees) is what the very next booking works with, and a warm booking reads
neither the procedure nor its rules."""

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Message
from procedures.models import Procedure, ReminderRule
from radiology import catalog_cache
from scheduling.clinic_time import clinic_zone
from tests.factories import PatientFactory
from tests.radiology.interfaces.api.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=clinic_zone())  # Monday
THURSDAY = NOW.date() + timedelta(days=3)


@pytest.fixture
def api(scheduler):
    return client_for(scheduler)  # with a token: its lookup brings the counters


def book(api, hour):
    patient = PatientFactory()
    start = datetime.combine(THURSDAY, time(hour), tzinfo=clinic_zone())
    body = {"patient": patient.pk, "procedure": "galactogram", "start": start.isoformat(), "duration": 45}
    return api.post("/api/v1/appointments", body, format="json")


def planned_kinds(response):
    assert response.status_code == 201, response.json()
    return set(Message.objects.filter(subject=f"appointment:{response.json()['id']}").values_list("kind", flat=True))


def test_a_rule_switched_off_by_a_bulk_update_is_not_planned_by_the_next_booking(api, dept):
    assert "prep" in planned_kinds(book(api, 9))  # the process now keeps the catalog

    ReminderRule.objects.filter(kind="prep").update(active=False)

    assert "prep" not in planned_kinds(book(api, 10))
    assert [r["kind"] for r in book(api, 11).json()["reminders"]].count("prep") == 0


def test_a_procedure_taken_out_of_the_catalog_is_refused_at_once(api, dept):
    assert book(api, 9).status_code == 201

    Procedure.objects.filter(slug="galactogram").update(active=False)
    response = book(api, 10)

    assert response.status_code == 400
    assert "Unknown procedure “galactogram”" in response.json()["fields"]["procedure"]


def test_a_warm_booking_reads_neither_the_procedure_nor_its_rules(api, dept):
    assert book(api, 9).status_code == 201

    with CaptureQueriesContext(connection) as queries:
        response = book(api, 10)

    assert response.status_code == 201
    assert "prep" in planned_kinds(response)
    catalog_reads = [q["sql"] for q in queries if 'FROM "procedures_' in q["sql"]]
    assert catalog_reads == []


def test_each_caller_gets_its_own_copy():
    version = 1
    first = catalog_cache.active_procedure("galactogram", version=version)
    first.name = "changed by a caller"

    assert catalog_cache.active_procedure("galactogram", version=version).name != "changed by a caller"
    assert catalog_cache.active_procedure("no-such-procedure", version=version) is None
