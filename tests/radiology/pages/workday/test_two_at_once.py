"""Two staff acting on one appointment at once: the one refused sees it as it is now, and no
page offers an action the table refuses (issue #22)."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from radiology.models import Appointment
from radiology.pages.workday import action_pages
from tests.actions import CHECKLIST_FORM, take_action
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NINE = datetime(2027, 1, 13, 9, 0, tzinfo=NY)


@pytest.fixture(autouse=True)
def at_nine():
    with time_machine.travel(NINE, tick=False):
        yield


def rival_first(monkeypatch, action, rival):
    """The rival's action commits between the page's read and the service's lock."""
    real = action_pages.run_action

    def run(**kwargs):
        take_action(kwargs["appointment_id"], action, rival)
        return real(**kwargs)

    monkeypatch.setattr(action_pages, "run_action", run)


def test_the_one_refused_sees_the_appointment_as_it_is_now_with_who_acted_and_no_form(client, user_of, monkeypatch):
    appointment = AppointmentFactory(start=NINE, status="checked_in")
    me, rival = user_of("technologist"), user_of("technologist", user__first_name="Rosa", user__last_name="Kim")
    client.force_login(me)
    rival_first(monkeypatch, "start", rival)

    people = {"radiologist": appointment.radiologist_id, "technologist": appointment.technologist_id}
    page = client.post(f"/appointments/{appointment.pk}/start/", people).text

    assert "Now: in procedure." in page
    assert "Nothing to do: the appointment is already “In procedure”" in page
    assert "Rosa Kim" in page
    assert 'name="radiologist"' not in page
    assert Appointment.objects.get().status == "in_procedure"


def test_an_action_page_the_state_no_longer_allows_says_why_without_the_form(client, user_of):
    appointment = AppointmentFactory(start=NINE, status="completed")
    client.force_login(user_of("technologist"))

    page = client.get(f"/appointments/{appointment.pk}/check-in/").text

    assert "Cannot check in" in page
    assert 'name="identity_confirmed"' not in page


def test_the_cancel_form_is_not_offered_for_an_exam_in_progress(client, user_of):
    appointment = AppointmentFactory(start=NINE, status="in_procedure")
    client.force_login(user_of("scheduler"))

    response = client.get(f"/appointments/{appointment.pk}/cancel/", follow=True)

    assert response.redirect_chain[-1][0] == f"/appointments/{appointment.pk}/"
    assert "Cannot cancel" in response.text
    assert "Cancel the appointment" not in response.text
    assert 'name="reason_code"' not in response.text


def test_a_cancel_posted_after_the_exam_started_says_so_on_the_fresh_page(client, user_of, monkeypatch):
    appointment = AppointmentFactory(start=NINE, status="checked_in")
    client.force_login(user_of("scheduler"))
    page = client.get(f"/appointments/{appointment.pk}/cancel/")
    take_action(appointment.pk, "start", user_of("technologist"))

    response = client.post(f"/appointments/{appointment.pk}/cancel/", {"reason_code": "patient_request"}, follow=True)

    assert 'name="reason_code"' in page.text
    assert response.redirect_chain[-1][0] == f"/appointments/{appointment.pk}/"
    assert "In procedure" in response.text
    assert Appointment.objects.get().status == "in_procedure"


def test_no_discharge_at_check_in_keeps_the_ticks_and_records_her_arrival_with_did_not_proceed(client, user_of):
    appointment = AppointmentFactory(start=NINE, status="reminded")
    client.force_login(user_of("technologist"))
    answers = {**CHECKLIST_FORM, "discharge_present_today": "no"}

    refused = client.post(f"/appointments/{appointment.pk}/check-in/", answers).text
    offer = re.search(r'href="([^"]*did-not-proceed[^"]*arrived=1[^"]*)"', refused).group(1).replace("&amp;", "&")
    form = client.get(offer)
    client.post(offer, {"reason_code": "no_discharge", "arrived": "on"})

    assert re.search(r'name="identity_confirmed"[^>]*checked', refused)
    assert re.search(r'name="consent_signed"[^>]*checked', refused)
    assert form.context["form"].initial == {"reason_code": "no_discharge", "arrived": True}
    appointment.refresh_from_db()
    assert appointment.status == "did_not_proceed"
    assert appointment.checked_in_at == NINE


def test_the_api_records_her_arrival_with_did_not_proceed(user_of):
    from rest_framework.test import APIClient

    appointment = AppointmentFactory(start=NINE, status="reminded")
    api = APIClient()
    api.force_authenticate(user_of("technologist"))

    response = api.post(
        f"/api/v1/appointments/{appointment.pk}/transitions",
        {"action": "did_not_proceed", "reason_code": "no_discharge", "arrived": True},
        format="json",
    )

    assert response.status_code == 200, response.json()
    appointment.refresh_from_db()
    assert (appointment.status, appointment.checked_in_at) == ("did_not_proceed", NINE)
