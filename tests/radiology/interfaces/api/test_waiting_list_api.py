"""POST / DELETE /api/v1/waiting-list and the patient's entries (issue 21): the same waiting-list
service as her page and the schedulers' pages; bad input is a 4xx JSON error."""

import pytest

from radiology.models import WaitingListEntry
from tests.factories import AppointmentFactory, OrderFactory, PatientFactory

pytestmark = pytest.mark.django_db


def test_post_puts_her_on_the_list_for_her_booked_order_once_and_the_patient_shows_it(api):
    appointment = AppointmentFactory()
    first = api.post("/api/v1/waiting-list", {"patient": appointment.patient_id}, format="json")
    again = api.post("/api/v1/waiting-list", {"patient": appointment.patient_id}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["order"] == appointment.order_id and first.json()["source"] == "api"
    assert again.json()["id"] == first.json()["id"]
    patient = api.get(f"/api/v1/patients/{appointment.patient_id}").json()
    assert [e["id"] for e in patient["waiting_list"]] == [first.json()["id"]]


def test_post_without_an_order_to_bring_forward_is_400_naming_the_order(api):
    response = api.post("/api/v1/waiting-list", {"patient": PatientFactory().pk}, format="json")
    assert response.status_code == 400
    assert "order" in response.json()["fields"]


def test_post_of_another_patients_order_is_400(api):
    order = OrderFactory()
    response = api.post("/api/v1/waiting-list", {"patient": PatientFactory().pk, "order": order.pk}, format="json")
    assert response.status_code == 400


def test_post_of_an_unknown_patient_is_400(api):
    assert api.post("/api/v1/waiting-list", {"patient": 999999}, format="json").status_code == 400


def test_delete_takes_her_off_and_a_second_delete_is_404(api):
    order = OrderFactory()
    api.post("/api/v1/waiting-list", {"patient": order.patient_id, "order": order.pk}, format="json")
    assert api.delete("/api/v1/waiting-list", {"patient": order.patient_id}, format="json").status_code == 204
    assert WaitingListEntry.objects.get(order=order).state == "removed"
    assert api.delete("/api/v1/waiting-list", {"patient": order.patient_id}, format="json").status_code == 404


def test_a_technologist_may_not_change_the_waiting_list(tech_api):
    order = OrderFactory()
    response = tech_api.post("/api/v1/waiting-list", {"patient": order.patient_id}, format="json")
    assert response.status_code == 403
