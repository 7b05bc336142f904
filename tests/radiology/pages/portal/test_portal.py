"""The patient's pages behind a signed link: valid, expired, tampered, another appointment's."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from notifications.models import Message
from radiology import selectors
from radiology.models import ReadinessResponse
from radiology.services import reminders
from radiology.services.patient_links import make_token, patient_path
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


@pytest.fixture
def appointment():
    return AppointmentFactory()


def test_a_valid_link_shows_first_name_time_and_place_and_nothing_more(client, appointment):
    response = client.get(patient_path(appointment.pk))

    assert response.status_code == 200
    text = response.text
    assert f"Hello {appointment.patient.given_name}" in text
    assert f"{appointment.local_start:%H:%M}" in text
    assert appointment.room.location in text
    for private in (appointment.patient.family_name, appointment.patient.mrn, str(appointment.patient.birth_date.year)):
        assert private not in text
    assert "no fasting is needed" in text  # the catalog's preparation


def test_an_expired_link_gets_a_friendly_page_and_nothing_else(client, appointment, settings):
    path = patient_path(appointment.pk)

    with time_machine.travel(timezone.now() + timedelta(days=settings.PATIENT_LINK_MAX_AGE_DAYS, hours=1)):
        response = client.get(path)

    assert response.status_code == 404
    assert "This link cannot be used" in response.text
    assert appointment.patient.given_name not in response.text


def test_a_tampered_link_gets_the_friendly_page(client, appointment):
    token = make_token(appointment.pk)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    response = client.get(f"/p/{appointment.pk}/{tampered}/")

    assert response.status_code == 404
    assert "This link cannot be used" in response.text


def test_a_link_with_another_appointments_id_opens_nothing(client, appointment):
    other = AppointmentFactory()

    response = client.get(f"/p/{other.pk}/{make_token(appointment.pk)}/")

    assert response.status_code == 404
    assert other.patient.given_name not in response.text


def test_a_post_with_a_bad_link_changes_nothing(client, appointment):
    client.post(f"/p/{appointment.pk}/nonsense/confirm/")

    appointment.refresh_from_db()
    assert appointment.patient_confirmed_at is None


def test_the_patient_confirms_she_is_coming(client, appointment):
    response = client.post(patient_path(appointment.pk) + "confirm/", follow=True)

    appointment.refresh_from_db()
    assert appointment.patient_confirmed_at is not None
    assert "we have noted that you are coming" in response.text


def test_readiness_answers_are_stored_for_staff(client, appointment):
    client.post(
        patient_path(appointment.pk) + "readiness/",
        {"discharge_present": "yes", "expressed_last_48h": "no", "contrast_allergy": "unsure"},
    )

    answers = ReadinessResponse.objects.get(appointment=appointment)
    assert (answers.discharge_present, answers.expressed_last_48h, answers.contrast_allergy) == (True, False, None)
    assert selectors.latest_readiness(appointment) == answers


def test_unanswered_readiness_questions_store_nothing(client, appointment):
    response = client.post(patient_path(appointment.pk) + "readiness/", {"discharge_present": "yes"}, follow=True)

    assert not ReadinessResponse.objects.exists()
    assert "Please answer all three questions" in response.text


def test_asking_for_another_time_puts_the_appointment_on_the_schedulers_list(client, appointment):
    client.post(patient_path(appointment.pk) + "another-time/")

    appointment.refresh_from_db()
    assert appointment.reschedule_requested_at is not None
    assert appointment.status == "booked"


def test_the_patient_cancels_and_her_pending_reminders_are_withdrawn(client, appointment):
    reminders.on_booked(appointment=appointment, now=timezone.now())

    response = client.post(patient_path(appointment.pk) + "cancel/", follow=True)

    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert "Your appointment is cancelled" in response.text
    pending = Message.objects.filter(subject=f"appointment:{appointment.pk}", status="scheduled")
    assert list(pending.values_list("kind", flat=True)) == ["cancelled"]


def test_the_pages_are_rate_limited_per_address(client, appointment, settings):
    settings.PATIENT_PAGE_RATE_LIMIT = "3/m"
    path = patient_path(appointment.pk)

    codes = [client.get(path).status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]


def test_the_actions_accept_only_post(client, appointment):
    assert client.get(patient_path(appointment.pk) + "cancel/").status_code == 405


def test_a_messaging_apps_link_preview_opens_the_page_and_changes_nothing(client, appointment):
    path = patient_path(appointment.pk)

    codes = [client.head(path).status_code, client.get(path).status_code, client.head(path + "new-time/").status_code]

    appointment.refresh_from_db()
    assert codes == [200, 200, 200]
    assert (appointment.patient_confirmed_at, appointment.reschedule_requested_at, appointment.status) == (
        None,
        None,
        "booked",
    )
