"""Friendly error pages in the site's layout; the patient layout under /p/; JSON under /api/."""

import pytest
from django.test import Client, override_settings

from tests.factories import StaffMemberFactory

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_the_sites_404_not_djangos_list_of_urls(client):
    client.force_login(StaffMemberFactory().user)
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "There is nothing at this address" in html and "navbar" in html
    assert "URLconf" not in html


def test_a_missing_patient_page_is_in_the_patient_layout(client):
    response = client.get("/p/999/not-a-token/nothing/")
    assert response.status_code == 404
    page = response.content.decode()
    assert '<body class="portal">' in page and 'data-testid="clinic-phone"' in page


def test_a_csrf_failure_explains_in_the_sites_layout():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "This form had expired" in html and "CSRF verification failed" not in html


@override_settings(DEBUG=False)
def test_a_server_error_is_the_sites_500_page(client, monkeypatch):
    from radiology.pages.appointments import views

    def broken(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.selectors, "appointments_between", lambda *a: broken(None))
    client.raise_request_exception = False
    client.force_login(StaffMemberFactory().user)
    response = client.get("/appointments/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html and "boom" not in html and "Traceback" not in html


def test_an_api_error_page_is_json(client):
    from django.test import RequestFactory

    from security.errors import server_error

    response = server_error(RequestFactory().get("/api/v1/appointments"))
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
