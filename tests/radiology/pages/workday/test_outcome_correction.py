"""The outcome-correction page: the recorded outcome as the starting values, a correction of the
ducts planned as a credit and a new charge, a correction that changes nothing refused on the form."""

import re

import pytest

from notifications.models import Message
from tests.factories import ProcedureOutcomeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def outcome(settings):
    settings.HL7_OUT_HOST, settings.HL7_OUT_PORT = "127.0.0.1", 9  # planned, never sent here
    settings.HL7_OUT_MESSAGES = ["dft"]
    return ProcedureOutcomeFactory(contrast_volume_ml="1.5")


def url(outcome):
    return f"/appointments/{outcome.appointment_id}/outcome/correct/"


def test_the_page_starts_from_the_recorded_outcome_and_the_appointment_page_links_it(client, outcome):
    client.force_login(outcome.appointment.technologist.user)

    page = client.get(url(outcome)).content.decode()
    assert re.search(r'value="single"[^>]*checked', page)
    assert 'value="1.5"' in page
    assert url(outcome) in client.get(f"/appointments/{outcome.appointment_id}/").content.decode()


def test_a_correction_of_the_ducts_goes_back_to_the_appointment_with_a_credit_and_a_charge_planned(client, outcome):
    client.force_login(outcome.appointment.radiologist.user)

    response = client.post(
        url(outcome),
        {"ducts": "multiple", "contrast_volume_ml": "1.5", "complications": ["none"], "reason": "Second duct"},
    )

    assert response.status_code == 302 and response["Location"] == f"/appointments/{outcome.appointment_id}/"
    outcome.refresh_from_db()
    assert outcome.imaging_cpt == "77054"
    assert [m.meta["type"] for m in Message.objects.filter(channel="hl7").order_by("pk")] == ["CD", "CG"]


def test_a_correction_that_changes_nothing_is_refused_on_the_form(client, outcome):
    client.force_login(outcome.appointment.radiologist.user)

    response = client.post(
        url(outcome), {"ducts": "single", "contrast_volume_ml": "1.5", "complications": ["none"], "reason": "Check"}
    )

    assert response.status_code == 200
    assert "The correction changes nothing" in response.content.decode()
    assert not Message.objects.filter(channel="hl7").exists()
