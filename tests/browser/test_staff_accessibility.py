"""Each staff role's main pages in Chromium at 1366×900 and at phone size 390×844:
axe-core (npm, injected by Playwright) finds no serious or critical problem, the day list
never scrolls sideways on a desktop, and each page is photographed for the docs
(docs/screenshots/ under `make screenshots`, test-output/screenshots/ otherwise)."""

import pytest
from django.urls import reverse

from tests.browser.screenshots import docs_folder
from tests.browser.staff_support import (
    DESKTOP,
    PHONE,
    busy_day,
    horizontal_overflow,
    serious_violations,
)
from tests.factories import DEFAULT_PASSWORD

# axe-core goes in as a script tag, which the Content-Security-Policy (no inline script) would
# refuse: the tests' browser contexts bypass CSP for it (bypass_csp=True); the pages are as served.


def _log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _unmatched_step(day):
    """A modality step typed in by hand at the unit, so the steps page shows its link and
    dismiss forms."""
    from radiology.services.performed_steps import StepReport, record_step_created

    waiting = day["appointments"][7]
    attributes = {"00100010": {"vr": "PN", "Value": [{"Alphabetic": "Hernandez^Ana"}]}}
    return record_step_created(
        sop_instance_uid="1.2.826.0.1.3680043.10.1",
        report=StepReport(
            status="IN PROGRESS", attributes=attributes, accession_number="HAND1", started_at=waiting.start
        ),
    )


def _pages(day) -> dict[str, list[tuple[str, str]]]:
    """(screenshot name, path) of each role's main pages."""
    patient = day["patients"][0]
    late = day["appointments"][6]
    return {
        "sched": [
            ("scheduler-find-a-slot", reverse("radiology:schedule_search")),
            ("scheduler-todo", reverse("radiology:scheduler_todo")),
            ("scheduler-patient-search", reverse("radiology:patient_search") + "?q=a&go=list"),
            ("scheduler-patient-page", reverse("radiology:patient_detail", args=[patient.pk])),
            ("scheduler-patient-contact", reverse("radiology:patient_contact", args=[patient.pk])),
            ("scheduler-appointment-page", reverse("radiology:appointment_detail", args=[late.pk])),
            ("scheduler-delivery-problems", reverse("notifications:problems")),
        ],
        "tech": [
            ("technologist-day-list", reverse("radiology:day_list")),
            ("technologist-check-in", reverse("radiology:check_in", args=[late.pk])),
            ("technologist-modality-steps", reverse("dicom:needs_attention")),
        ],
        "rad": [("radiologist-my-list", reverse("radiology:radiologist_list"))],
        "boss": [("manager-dashboard", reverse("radiology:dashboard"))],
    }


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_main_staff_page_has_no_serious_accessibility_problem_and_is_photographed(browser, live_server):
    day = busy_day()
    _unmatched_step(day)
    shots = docs_folder()
    problems = {}
    for username, pages in _pages(day).items():
        for size_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            context = browser.new_context(
                viewport=viewport, locale="en-US", timezone_id="America/New_York", bypass_csp=True
            )
            page = context.new_page()
            page.set_default_timeout(15_000)
            _log_in(page, live_server.url, username)
            for name, path in pages:
                page.goto(live_server.url + path)
                page.wait_for_load_state("networkidle")
                found = serious_violations(page)
                if found:
                    problems[f"{name} ({size_name})"] = found
                page.screenshot(path=str(shots / f"{name}-{size_name}.png"), full_page=True)
            context.close()
    assert problems == {}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_booking_page_has_no_serious_accessibility_problem(browser, live_server):
    day = busy_day()
    context = browser.new_context(viewport=DESKTOP, locale="en-US", bypass_csp=True)
    page = context.new_page()
    _log_in(page, live_server.url, "sched")
    page.goto(f"{live_server.url}/schedule/")
    page.click("text=Find earliest slots")
    results = page.locator("[data-testid=slot-results]")
    results.wait_for()
    assert serious_violations(page) == []
    results.locator("a", has_text="Book").first.click()
    page.fill("#id_q", day["patients"][2].family_name[:4])
    page.locator("#patient-results a", has_text="Choose").first.wait_for()
    assert serious_violations(page) == []
    page.screenshot(path=str(docs_folder() / "scheduler-booking-desktop.png"), full_page=True)
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_day_list_fits_1366_pixels_and_names_are_readable_in_30_minute_blocks(browser, live_server):
    day = busy_day()
    context = browser.new_context(viewport=DESKTOP, locale="en-US", bypass_csp=True)
    page = context.new_page()
    _log_in(page, live_server.url, "tech")
    page.goto(f"{live_server.url}/day/")
    assert horizontal_overflow(page) == 0
    # Every 30-minute block shows the whole family name (on two lines if need be), none cut off.
    for n in (1, 3, 6, 7):  # Okonkwo-Whitfield, Bergström, Al-Rashid, Kowalczyk: 30 minutes each
        name = page.locator(f"a.block[href='/appointments/{day['appointments'][n].pk}/'] .who")
        assert name.inner_text() == day["patients"][n].family_name
        assert name.evaluate("e => e.scrollHeight <= e.clientHeight + 1 && e.scrollWidth <= e.clientWidth + 1")
    # The now line: one per room while the clock is inside the timeline, none outside it.
    inside = page.locator(".day-timeline").first.evaluate(
        "e => Date.parse(e.dataset.start) <= Date.now() && Date.now() <= Date.parse(e.dataset.end)"
    )
    assert page.locator(".now-line:not(.d-none)").count() == (2 if inside else 0)
    waiting = page.locator(f"tr[data-appointment='{day['appointments'][7].pk}']")
    assert "waiting" in waiting.inner_text() and "Next" in waiting.inner_text()
    late = page.locator(f"tr[data-appointment='{day['appointments'][6].pk}']")
    if day["live"]:  # 25 minutes past its start by the clock (before 11:00 it is still ahead)
        assert "LATE" in late.inner_text()
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_minute_poll_gets_304_in_a_real_browser_and_keeps_the_list(browser, live_server):
    """The site sends no-store, so the page's script carries the ETag: the second poll is a
    304 and the list stays; a change makes the next poll a 200 with the new list."""
    day = busy_day()
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    _log_in(page, live_server.url, "tech")
    page.goto(f"{live_server.url}/day/")
    statuses = []
    page.on("response", lambda r: statuses.append(r.status) if "/day/" in r.url else None)

    def poll():
        with page.expect_response(lambda r: "/day/" in r.url):
            page.evaluate("htmx.ajax('GET', location.pathname, {source: '#day-body', target: '#day-body'})")
        page.wait_for_timeout(200)

    poll()
    poll()
    assert statuses[-2:] == [200, 304]
    assert page.locator("tr[data-appointment]").count() == len(day["appointments"])
    day["patients"][3].contrast_allergy = True
    day["patients"][3].save()
    poll()
    assert statuses[-1] == 200
    assert page.locator(f"tr[data-appointment='{day['appointments'][3].pk}']").get_by_text("CONTRAST ALLERGY").count()
    context.close()
