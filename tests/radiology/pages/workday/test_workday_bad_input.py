"""Bad input on the day-list and action pages: a message or a 4xx, never a 500."""

import pytest
from django.urls import reverse

from tests.factories import AppointmentFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/day/2026-13-45/",
        "/day/yesterday/",
        "/day/?room=abc&radiologist=-1&mine=maybe",
        "/dashboard/?start=xyz&end=2026-01-01",
        "/dashboard/?start=1900-01-01&end=2100-01-01",
        "/dashboard/export.csv?start=&end=",
        "/appointments/999999/check-in/",
        "/appointments/999999/complete/",
    ],
)
def test_odd_addresses_get_a_page_or_a_404_never_a_500(client, path):
    client.force_login(StaffMemberFactory(manager=True, also=["technologist", "radiologist"]).user)
    assert client.get(path).status_code in {200, 404}


@pytest.mark.parametrize(
    ("name", "state", "data"),
    [
        (
            "radiology:complete_procedure",
            "in_procedure",
            {"cannulated": "on", "ducts": "three", "contrast_volume_ml": "x"},
        ),
        (
            "radiology:complete_procedure",
            "in_procedure",
            {"cannulated": "on", "ducts": "single", "contrast_volume_ml": "99"},
        ),
        ("radiology:complete_procedure", "in_procedure", {"ducts": "single", "contrast_volume_ml": "1"}),
        ("radiology:follow_up", "completed", {"kind": "teleport"}),
        ("radiology:follow_up", "completed", {"kind": "mri", "scheduled_for": "not a date"}),
        ("radiology:follow_up", "in_procedure", {"kind": "mri"}),
        ("radiology:abort_procedure", "in_procedure", {"reason_code": "bored"}),
        ("radiology:abort_procedure", "in_procedure", {"reason_code": "other"}),
        ("radiology:abort_procedure", "checked_in", {"reason_code": "could_not_cannulate"}),
        ("radiology:did_not_proceed", "checked_in", {"reason_code": "other"}),
        ("radiology:start_procedure", "checked_in", {"radiologist": "999999", "technologist": "abc"}),
        ("radiology:check_in", "completed", {"identity_confirmed": "on"}),
    ],
)
def test_bad_forms_are_explained_and_change_nothing(client, name, state, data):
    clinician = StaffMemberFactory(role="technologist", also=["radiologist"]).user
    client.force_login(clinician)
    appointment = AppointmentFactory(status=state)
    response = client.post(reverse(name, args=[appointment.pk]), data)
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode() or "alert" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == state
