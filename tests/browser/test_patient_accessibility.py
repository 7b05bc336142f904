"""axe-core (npm, injected by Playwright) finds no serious or critical accessibility problem
on the login page or on any patient page, on a phone (390×844), in English and Spanish."""

import pytest
from django.core.cache import cache
from django.utils import timezone

from radiology.models import Appointment
from radiology.services import portal as services
from radiology.services.patient_links import patient_path
from tests.browser.patient_support import (
    department_and_booking,
    new_phone_page,
    screenshot,
    serious_accessibility_violations,
)
from tests.factories import ReadinessResponseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _generous_rate_limit(settings):
    cache.clear()
    settings.PATIENT_PAGE_RATE_LIMIT = "1000/m"


def assert_accessible(page, url):
    page.goto(url)
    violations = serious_accessibility_violations(page)
    assert violations == [], f"{url}: {violations}"


def test_the_login_page_has_no_serious_accessibility_violations(browser, live_server):
    page = new_phone_page(browser)

    assert_accessible(page, f"{live_server.url}/accounts/login/")


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_patient_page_has_no_serious_accessibility_violations(browser, live_server, galactogram, language):
    _, _, appointment = department_and_booking(galactogram, language=language)
    page = new_phone_page(browser, locale="es-ES" if language == "es" else "en-US")
    home = live_server.url + patient_path(appointment.pk)

    assert_accessible(page, home)  # waiting for her answer
    assert_accessible(page, home + "new-time/")
    services.confirm_attendance(appointment_id=appointment.pk, now=timezone.now())
    ReadinessResponseFactory(appointment=appointment, contrast_allergy=None)
    assert_accessible(page, home)  # confirmed, with her answers
    page.locator("summary").last.click()  # the cancel confirmation, opened
    assert not serious_accessibility_violations(page)
    services.request_another_time(appointment_id=appointment.pk, now=timezone.now())
    assert_accessible(page, home)
    services.cancel_by_patient(appointment_id=appointment.pk, now=timezone.now())
    assert_accessible(page, home)
    Appointment.objects.filter(pk=appointment.pk).update(status="completed", performed_at=appointment.end)
    assert_accessible(page, home)
    assert_accessible(page, f"{live_server.url}/p/{appointment.pk}/not-a-valid-token/")
    if language == "en":
        screenshot(page, "patient-invalid-link")


def test_the_rate_limited_page_has_no_serious_accessibility_violations(browser, live_server, settings):
    settings.PATIENT_PAGE_RATE_LIMIT = "1/h"
    page = new_phone_page(browser)
    page.goto(f"{live_server.url}/p/1/x/")

    response = page.goto(f"{live_server.url}/p/1/x/")

    assert response.status == 429
    assert serious_accessibility_violations(page) == []
