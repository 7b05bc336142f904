"""A radiologist writes a preliminary report in Chromium, signs it with her password, and the
report page has no serious accessibility problem (axe-core) before and after signing."""

import pytest

from radiology.models import Report
from tests.browser.staff_support import DESKTOP, serious_violations
from tests.factories import DEFAULT_PASSWORD, AppointmentFactory, StaffMemberFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_radiologist_saves_signs_and_the_page_is_accessible(browser, live_server, login, screenshot_dir):
    # axe-core goes in as a script tag: the context bypasses CSP for it (as in test_staff_accessibility).
    context = browser.new_context(viewport=DESKTOP, locale="en-US", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    radiologist = StaffMemberFactory(radiologist=True, user__username="rad1", user__first_name="Rita")
    exam = AppointmentFactory(status="performed", radiologist=radiologist, patient__family_name="Okafor")
    login(page, "rad1")
    page.goto(f"{live_server.url}/reports/")
    page.get_by_role("link", name="Write the report of").click()
    page.fill("#id_findings", "Single duct opacified; a 4 mm filling defect.")
    page.fill("#id_impression", "Intraductal filling defect, likely papilloma.")
    page.select_option("#id_assessment", "4")
    page.select_option("#id_recommendation", "biopsy")
    page.click("button[name=save]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=report-status]").inner_text() == "Preliminary"
    assert serious_violations(page) == []
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("button[name=sign]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=report-status]").inner_text() == "Final"
    assert page.locator("[data-testid=addendum-form]").count() == 1
    assert serious_violations(page) == []
    page.screenshot(path=str(screenshot_dir / "radiologist-report-final.png"), full_page=True)
    context.close()
    assert Report.objects.get(appointment=exam).status == "final"
