"""The check-in page asks pregnancy and breastfeeding only when they are open, says what
settled them otherwise, and on a positive answer offers the radiologist's decision as the way
out, as it does for "no discharge today"."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from radiology.models import CheckInChecklist
from tests.actions import CHECKLIST_FORM
from tests.factories import AppointmentFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
START = datetime(2027, 1, 13, 10, 0, tzinfo=NY)
CONFIRMED = {k: v for k, v in CHECKLIST_FORM.items() if k not in ("pregnancy", "breastfeeding")}
PREGNANCY_QUESTION = "Is she pregnant, or could she be?"


@pytest.fixture(autouse=True)
def at_the_desk():
    with time_machine.travel(START - timedelta(minutes=10), tick=False):
        yield


@pytest.fixture
def nurse(client):
    member = StaffMemberFactory(nurse=True)
    client.force_login(member.user)
    return member


def _appointment(born=date(1990, 4, 2), **order):
    appointment = AppointmentFactory(start=START, status="reminded", patient__birth_date=born)
    for name, value in {"received_at": START - timedelta(days=2), **order}.items():
        setattr(appointment.order, name, value)
    appointment.order.save()
    return appointment


def _url(appointment):
    return reverse("radiology:check_in", args=[appointment.pk])


def test_a_young_patient_with_a_silent_order_is_asked_both(client, nurse):
    page = client.get(_url(_appointment())).content.decode()
    assert PREGNANCY_QUESTION in page
    assert "Is she breastfeeding?" in page
    assert 'data-testid="settled"' not in page


def test_what_her_age_or_the_order_settles_is_said_and_not_asked(client, nurse):
    older = client.get(_url(_appointment(born=date(1961, 1, 1)))).content.decode()
    assert PREGNANCY_QUESTION not in older and "Is she breastfeeding?" not in older
    assert "Pregnancy: Not pregnant (her age); Breastfeeding: No (her age)" in older

    stated = client.get(_url(_appointment(pregnancy_status="not_pregnant"))).content.decode()
    assert PREGNANCY_QUESTION not in stated and "Is she breastfeeding?" in stated
    assert "Pregnancy: Not pregnant (the order)" in stated


def test_possibly_pregnant_stops_and_offers_did_not_proceed_with_that_reason(client, nurse):
    appointment = _appointment()
    answers = {**CONFIRMED, "pregnancy": "possible", "breastfeeding": "no"}
    page = client.post(_url(appointment), answers).content.decode()
    assert "Possibly pregnant: the radiologist decides whether to go ahead." in page
    assert 'data-testid="radiologist-decides"' in page
    link = reverse("radiology:did_not_proceed", args=[appointment.pk]) + "?reason=pregnancy"
    assert link in page
    appointment.refresh_from_db()
    assert appointment.status == "reminded"
    # The link opens "did not proceed" with the reason chosen.
    reason_page = client.get(link).content.decode()
    assert 'value="pregnancy" selected' in reason_page


def test_the_radiologists_decision_on_the_page_checks_her_in(client, nurse):
    appointment = _appointment()
    radiologist = StaffMemberFactory(radiologist=True)
    answers = {
        **CONFIRMED,
        "pregnancy": "not_pregnant",
        "breastfeeding": "yes",
        "cleared_by": radiologist.pk,
        "clearance_reason": "Stopped breastfeeding last month",
    }
    response = client.post(_url(appointment), answers)
    assert response.status_code == 302
    checklist = CheckInChecklist.objects.get(appointment=appointment)
    assert (checklist.breastfeeding, checklist.cleared_by) == (True, radiologist)
    detail = client.get(appointment.get_absolute_url()).content.decode()
    assert "breastfeeding: yes (asked at check-in)" in detail
    assert f"{radiologist.name} decided to go ahead: Stopped breastfeeding last month" in detail


def test_an_order_saying_pregnant_warns_before_anything_is_posted(client, nurse):
    page = client.get(_url(_appointment(pregnancy_status="pregnant", lactating=False))).content.decode()
    assert 'data-testid="radiologist-decides"' in page
    assert "?reason=pregnancy" in page
