"""In a real browser the Content-Security-Policy blocks nothing the pages need: no violation on
the main staff pages or the patient page, the day list's timeline is still laid out, and the
patient's forms post (same-origin referrer, CSRF accepted)."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from radiology.services.patient_links import patient_path
from scheduling.clinic_time import clinic_zone
from tests.factories import AppointmentFactory, RoomFactory, StaffMemberFactory

# Injected by the browser's debugging protocol, outside the page's policy: records each violation.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _today_at(hour):
    return datetime.combine(timezone.now().astimezone(clinic_zone()).date(), time(hour), tzinfo=clinic_zone())


def violations(page, console):
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__csp") + [m for m in console if "Content Security Policy" in m]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_main_pages_run_under_the_policy_without_a_violation(page, live_server, login):
    manager = StaffMemberFactory(manager=True, user__username="boss")
    room = RoomFactory(name="Mammo 1")
    appointment = AppointmentFactory(room=room, start=_today_at(10), status="booked")
    AppointmentFactory(room=room, start=_today_at(13), status="booked")
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(RECORD_VIOLATIONS)

    login(page, manager.user.username)
    for path in [
        "/day/",
        f"/schedule/week/{room.pk}/",
        "/dashboard/",
        "/appointments/",
        f"/appointments/{appointment.pk}/",
        "/schedule/",
        "/security/access-log/",
    ]:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert violations(page, console) == [], path
        if path == "/day/":
            # The blocks are placed by static/js/app.js now that style="" is not allowed.
            left = page.locator(".day-timeline .block").first.evaluate("el => getComputedStyle(el).left")
            assert left not in {"auto", "0px"}
            assert page.locator(".day-timeline .block").first.evaluate("el => el.style.width").endswith("%")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_patient_page_and_its_forms_work_under_the_policy(page, live_server):
    appointment = AppointmentFactory(start=timezone.now() + timedelta(days=5), status="booked")
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(RECORD_VIOLATIONS)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone

    page.goto(f"{live_server.url}{patient_path(appointment.pk)}")
    assert violations(page, console) == []
    page.get_by_role("button", name="I will come").click()
    page.wait_for_load_state()
    assert "CSRF" not in page.content() and "expired" not in page.content()
    appointment.refresh_from_db()
    assert appointment.patient_confirmed_at is not None
    assert violations(page, console) == []
