"""A scheduler finds a slot, books it for a patient found by name, and sees it in the week."""

from datetime import datetime, time

import pytest

from radiology.models import Appointment
from scheduling.clinic_time import clinic_zone
from tests.factories import PatientFactory, StaffMemberFactory, UnavailabilityFactory, a_weekday, small_department


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_scheduler_searches_books_and_sees_the_appointment(page, live_server, login, screenshot_dir):
    department = small_department(rooms=2, radiologists=2, technologists=2)
    PatientFactory(given_name="Hana", family_name="Ito", mrn="BR-1001")
    StaffMemberFactory(scheduler=True, user__username="sched")
    day = a_weekday(7)
    for room in department.rooms:  # something to see in the week: an afternoon of maintenance
        UnavailabilityFactory(
            resource=room.resource,
            start=datetime.combine(day, time(14), tzinfo=clinic_zone()),
            end=datetime.combine(day, time(16), tzinfo=clinic_zone()),
            kind="maintenance",
            reason="Unit service",
        )

    login(page, "sched")
    page.goto(f"{live_server.url}/schedule/")
    page.fill("input[name=start]", day.isoformat())
    page.fill("input[name=end]", day.isoformat())
    page.select_option("select[name=duration]", "30")
    page.click("text=Find earliest slots")
    results = page.locator("[data-testid=slot-results]")
    results.wait_for()
    page.screenshot(path=str(screenshot_dir / "scheduler-search-results.png"), full_page=True)

    results.locator("a", has_text="Book").first.click()
    page.fill("#id_q", "ito")  # htmx fills the list as the scheduler types
    page.locator("#patient-results a", has_text="Choose").click()
    page.click("text=Confirm booking")

    page.locator("[data-testid=booked]").wait_for()
    appointment = Appointment.objects.get()
    assert appointment.patient.mrn == "BR-1001"
    assert appointment.duration_minutes == 30
    assert "Hana Ito" in page.locator("[data-testid=booked]").inner_text()
    page.screenshot(path=str(screenshot_dir / "scheduler-booked-confirmation.png"), full_page=True)

    page.click("text=See the week")
    block = page.locator("[data-testid=booked-block]")
    block.wait_for()
    assert "Ito, H." in block.inner_text()
    assert "Maintenance: Unit service" in page.locator("[data-testid=week-grid]").inner_text()
    page.screenshot(path=str(screenshot_dir / "scheduler-week-view.png"), full_page=True)
    block.click()
    page.wait_for_url(f"**/appointments/{appointment.pk}/")
    assert page.locator("[data-testid=booking-actions]").is_visible()
    assert department.rooms[0].name in page.content() or department.rooms[1].name in page.content()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_api_docs_render_with_no_request_leaving_the_site(page, live_server, screenshot_dir, login):
    from tests.factories import StaffMemberFactory

    login(page, StaffMemberFactory(role="scheduler").user.username)  # the docs need a signed-in user
    outside = []

    def only_this_site(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_site)
    page.goto(f"{live_server.url}/api/v1/docs/")

    page.locator(".swagger-ui .info .title").wait_for()
    assert "Galactogram scheduling API" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock-summary-path", has_text="/api/v1/appointments").first.is_visible()
    assert outside == []
    page.screenshot(path=str(screenshot_dir / "api-docs.png"))
