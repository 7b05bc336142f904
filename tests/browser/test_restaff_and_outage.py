"""A scheduler changes an appointment's technologist without moving it, then declares a
radiologist off sick for a day: the outage page lists what it catches, one confirmation
re-staffs one appointment and moves the other, and the report says so. Chromium at
1366×900; axe-core finds nothing serious or critical on either page."""

from datetime import datetime, time

import pytest

from radiology.models import Appointment
from radiology.services.booking import book_appointment
from scheduling.clinic_time import clinic_zone
from tests.browser.screenshots import docs_folder
from tests.browser.staff_support import DESKTOP, serious_violations
from tests.factories import PatientFactory, StaffMemberFactory, a_weekday, small_department


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_scheduler_restaffs_one_appointment_and_handles_an_outage(
    browser, live_server, login, screenshot_dir, galactogram
):
    context = browser.new_context(viewport=DESKTOP, locale="en-US", bypass_csp=True)  # axe goes in as a script tag
    page = context.new_page()
    page.set_default_timeout(15_000)
    team = small_department(rooms=2, radiologists=2, technologists=2)
    scheduler = StaffMemberFactory(scheduler=True, user__username="sched", user__first_name="Sam").user
    day = a_weekday(7)

    def book(hour, room, radiologist, technologist, family):
        return book_appointment(
            patient=PatientFactory(family_name=family, given_name="Ana"),
            procedure=galactogram,
            start=datetime.combine(day, time(hour), tzinfo=clinic_zone()),
            duration_minutes=45,
            actor=scheduler,
            room=team.rooms[room],
            radiologist=team.radiologists[radiologist],
            technologist=team.technologists[technologist],
            side="left",
            indication="spontaneous_single_duct",
        )

    morning = book(10, 0, 0, 0, "Lopez")
    book(14, 1, 1, 1, "Okafor")  # the other radiologist is busy at 14:00
    afternoon = book(14, 0, 0, 0, "Quinn")

    login(page, "sched")
    page.goto(f"{live_server.url}{morning.get_absolute_url()}")
    page.locator("[data-testid=booking-actions] [data-action=restaff]").click()
    page.wait_for_url(f"**/appointments/{morning.pk}/staff/**")
    assert serious_violations(page) == []
    page.select_option("select[name=technologist]", str(team.technologists[1].pk))
    page.screenshot(path=str(docs_folder() / "scheduler-change-staff.png"), full_page=True)
    page.get_by_role("button", name="Change staff").click()
    page.wait_for_url(f"**/appointments/{morning.pk}/")
    assert "The patient is not told" in page.content()
    assert Appointment.objects.get(pk=morning.pk).technologist == team.technologists[1]

    page.goto(f"{live_server.url}/outage/")
    page.select_option("select[name=resource]", str(team.radiologists[0].resource_id))
    for name, value in (("start_day", day), ("end_day", day)):
        page.fill(f"input[name={name}]", value.isoformat())
    page.fill("input[name=start_time]", "08:00")
    page.fill("input[name=end_time]", "18:00")
    page.fill("input[name=reason]", "Off sick")
    page.get_by_role("button", name="Show the appointments it catches").click()
    plan = page.locator("[data-testid=outage-plan]")
    plan.wait_for()
    assert plan.locator(f"tr[data-appointment='{morning.pk}']").get_attribute("data-plan") == "restaff"
    assert plan.locator(f"tr[data-appointment='{afternoon.pk}']").get_attribute("data-plan") == "move"
    assert serious_violations(page) == []
    page.screenshot(path=str(screenshot_dir / "scheduler-outage-plan.png"), full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())  # the form's data-confirm question
    page.get_by_role("button", name="Declare the outage and handle 2 appointments").click()
    report = page.locator("[data-testid=outage-report]")
    report.wait_for()
    assert report.locator(f"tr[data-appointment='{morning.pk}']").get_attribute("data-outcome") == "restaff"
    assert report.locator(f"tr[data-appointment='{afternoon.pk}']").get_attribute("data-outcome") == "move"
    assert serious_violations(page) == []
    page.screenshot(path=str(docs_folder() / "scheduler-outage-report.png"), full_page=True)
    context.close()

    morning.refresh_from_db()
    afternoon.refresh_from_db()
    assert morning.radiologist == team.radiologists[1]
    assert afternoon.start > datetime.combine(day, time(14), tzinfo=clinic_zone())
    assert afternoon.radiologist == team.radiologists[1]
