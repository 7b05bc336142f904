"""The API's appointments carry their order: book from an order id, or have one made from
the side and indication given; the output names the order, accession number, Study
Instance UID and side."""

from datetime import datetime, time, timedelta

import pytest

from radiology.models import Order
from scheduling.clinic_time import clinic_zone
from tests.factories import OrderFactory, PatientFactory

# The shared frozen clock (at NOW) and one-team department, for every test here.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock", "dept")]
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=clinic_zone())
THURSDAY_10 = datetime.combine(NOW.date() + timedelta(days=3), time(10), tzinfo=clinic_zone())


def test_booking_from_an_order_id_takes_its_patient_and_procedure_and_links_it(api):
    order = OrderFactory(side="right")

    response = api.post(
        "/api/v1/appointments", {"order": order.pk, "start": THURSDAY_10.isoformat(), "duration": 45}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["order"] == order.pk and body["patient"]["id"] == order.patient_id
    assert (body["accession_number"], body["study_instance_uid"]) == (order.accession_number, order.study_instance_uid)
    assert body["side"] == "right"
    order.refresh_from_db()
    assert order.status == "scheduled"


def test_booking_without_an_order_makes_one_from_the_side_and_indication(api):
    patient = PatientFactory()
    body = {
        "patient": patient.pk,
        "procedure": "galactogram",
        "start": THURSDAY_10.isoformat(),
        "duration": 45,
        "side": "left",
        "indication": "suspected_papilloma",
    }

    response = api.post("/api/v1/appointments", body, format="json")

    assert response.status_code == 201, response.json()
    order = Order.objects.get(patient=patient)
    assert (order.side, order.indication) == ("left", "suspected_papilloma")
    assert response.json()["accession_number"] == order.accession_number


def test_an_unknown_side_is_refused_naming_the_field(api):
    body = {
        "patient": PatientFactory().pk,
        "procedure": "galactogram",
        "start": THURSDAY_10.isoformat(),
        "duration": 45,
        "side": "both",
    }

    response = api.post("/api/v1/appointments", body, format="json")

    assert response.status_code == 400 and "side" in response.json()["fields"]


def test_the_day_list_of_the_api_shows_each_appointments_identifiers(api):
    order = OrderFactory()
    api.post(
        "/api/v1/appointments", {"order": order.pk, "start": THURSDAY_10.isoformat(), "duration": 45}, format="json"
    )

    listed = api.get("/api/v1/appointments", {"date": THURSDAY_10.date().isoformat()}).json()["appointments"]

    assert [(a["accession_number"], a["side"]) for a in listed] == [(order.accession_number, order.side)]


def test_booking_her_without_an_order_books_her_waiting_one(api):
    order = OrderFactory()
    body = {"patient": order.patient_id, "procedure": "galactogram", "start": THURSDAY_10.isoformat(), "duration": 45}

    response = api.post("/api/v1/appointments", body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["accession_number"] == order.accession_number
    assert Order.objects.filter(patient=order.patient).count() == 1


def test_booking_her_without_an_order_when_two_wait_names_both_and_books_nothing(api):
    first = OrderFactory()
    second = OrderFactory(patient=first.patient)
    body = {"patient": first.patient_id, "procedure": "galactogram", "start": THURSDAY_10.isoformat(), "duration": 45}

    response = api.post("/api/v1/appointments", body, format="json")

    assert response.status_code == 400, response.json()
    assert first.accession_number in str(response.json()) and second.accession_number in str(response.json())
