"""The manager's lost-to-follow-up list in Chromium: every lost patient on it, reachable from
the dashboard's figure, and no serious or critical axe-core problem."""

from datetime import timedelta

import pytest
from django.utils import timezone

from radiology.services import follow_ups, loop_steps
from tests.browser.staff_support import DESKTOP, busy_day, serious_violations
from tests.browser.test_staff_accessibility import _log_in
from tests.factories import ReportFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_lost_to_follow_up_list_names_each_lost_patient_and_passes_axe(browser, live_server):
    busy_day()
    signed = timezone.now() - timedelta(weeks=10)  # an ultrasound due 6 weeks ago: every step reached
    reports = [ReportFactory(final=True, signed_at=signed, recommendation="ultrasound") for _ in range(2)]
    for report in reports:
        follow_ups.on_report_final(report=report, now=signed)
    loop_steps.reach_due_steps(now=timezone.now())

    context = browser.new_context(viewport=DESKTOP, locale="en-US", timezone_id="America/New_York", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    _log_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/dashboard/")
    page.click("text=2 lost to follow-up")
    page.wait_for_load_state("networkidle")

    rows = page.locator("[data-testid=lost-list] tbody tr")
    assert rows.count() == 2
    text = page.locator("[data-testid=lost-list]").inner_text()
    for report in reports:
        assert report.appointment.patient.full_name in text
    assert serious_violations(page) == []
    context.close()
