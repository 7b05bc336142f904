"""Headers on every page: a strict CSP, same-origin referrers, no caching of patient data."""

import pytest

from radiology.services.patient_links import patient_path
from tests.factories import AppointmentFactory, RoomFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    client.force_login(StaffMemberFactory(manager=True).user)
    return client


STAFF_PAGES = ["/day/", "/appointments/", "/dashboard/", "/schedule/", "/schedule/week/", "/todo/"]


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_carry_a_csp_without_unsafe_inline(manager_client, path):
    response = manager_client.get(path, follow=True)
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_have_no_inline_script_or_style_attributes(manager_client, path):
    AppointmentFactory()
    html = manager_client.get(path, follow=True).content.decode()
    assert ' style="' not in html and " onclick=" not in html and " onsubmit=" not in html
    assert "<script>" not in html and "<style>" not in html


@pytest.mark.parametrize("path", [*STAFF_PAGES, "/accounts/login/", "/api/v1/appointments"])
def test_pages_are_never_stored_by_the_browser(manager_client, path):
    response = manager_client.get(path)
    assert "no-store" in response["Cache-Control"]


def test_an_appointment_page_is_not_stored_and_says_same_origin_referrer(manager_client):
    appointment = AppointmentFactory()
    response = manager_client.get(f"/appointments/{appointment.pk}/")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_the_week_pages_own_style_block_carries_the_nonce_named_in_the_policy(manager_client):
    RoomFactory()
    response = manager_client.get("/schedule/week/", follow=True)
    nonce = response["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'<style nonce="{nonce}">' in response.content.decode()


def test_the_patient_page_is_not_stored_and_has_no_no_referrer_meta(client):
    appointment = AppointmentFactory()
    response = client.get(patient_path(appointment.pk))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"
    assert 'content="no-referrer"' not in response.content.decode()
    assert ' style="' not in response.content.decode()


def test_static_files_keep_their_cache(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_the_api_docs_scripts_carry_the_nonce_of_their_policy(manager_client):
    response = manager_client.get("/api/v1/docs/")
    policy = response["Content-Security-Policy"]
    nonce = policy.split("'nonce-")[1].split("'")[0]
    html = response.content.decode()
    assert html.count("<script") == html.count(f'nonce="{nonce}"') - html.count("<style")
    assert "script-src 'self' 'nonce-" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
