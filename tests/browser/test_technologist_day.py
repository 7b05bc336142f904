"""A technologist runs a patient through the day from the day list; the manager's charts."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from radiology.models import Appointment
from scheduling.clinic_time import clinic_zone
from tests.factories import AppointmentFactory, MessageFactory, RoomFactory, StaffMemberFactory


def _today_at(hour, minute=0):
    return datetime.combine(timezone.now().astimezone(clinic_zone()).date(), time(hour, minute), tzinfo=clinic_zone())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_technologist_checks_in_starts_and_completes_from_the_day_list(page, live_server, login, screenshot_dir):
    tech = StaffMemberFactory(role="technologist", user__username="tech1", user__first_name="Terry")
    radiologist = StaffMemberFactory(radiologist=True)
    rooms = [RoomFactory(name="Mammo 1"), RoomFactory(name="Mammo 2")]
    # Check-in is allowed on the appointment's own day: everything is today, clinic time.
    appointments = [
        AppointmentFactory(
            room=rooms[n % 2],
            radiologist=radiologist,
            technologist=tech,
            start=_today_at(8) + timedelta(minutes=45 * n),
            status="reminded",
            patient__contrast_allergy=n == 1,
            patient__family_name=f"Patient{n}",
        )
        for n in range(5)
    ]
    target = appointments[0]
    # Her order says she is neither pregnant nor breastfeeding: check-in does not ask again.
    target.order.pregnancy_status, target.order.lactating = "not_pregnant", False
    target.order.save()

    login(page, "tech1")
    assert page.url.endswith("/day/")
    assert page.get_by_text("CONTRAST ALLERGY").count() == 1
    page.screenshot(path=str(screenshot_dir / "day-list.png"), full_page=True)

    row = page.locator(f"tr[data-appointment='{target.pk}']")
    row.get_by_role("link", name="Check in").click()
    page.get_by_label("Identity confirmed: name and date of birth").check()
    for question, answer in [
        ("Does she report an allergy to contrast (X-ray dye)?", "No"),
        ("Is there nipple discharge today?", "Yes"),
        ("Has the nipple been squeezed or expressed in the last 48 hours?", "No"),
    ]:
        page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()
    page.get_by_label("Consent form signed").check()
    page.get_by_label("Side confirmed with the patient (the breast named in the order)").check()
    page.get_by_role("button", name="Check in").click()
    assert "is checked in and waiting" in page.content()
    # The row shows the patient's flow: arrived, with how long she has been waiting.
    assert row.locator(".flow-badge").inner_text() == "Arrived"
    assert row.get_by_text("waiting 0 min").is_visible()

    row.get_by_role("link", name="Start").click()
    page.get_by_role("button", name="Start procedure").click()
    assert row.locator(".flow-badge").inner_text() == "In procedure"

    # Exam done: the room is free at once; the outcome stays on the row to record.
    row.get_by_role("link", name="Exam done").click()
    page.get_by_role("button", name="Exam done").click()
    assert row.locator(".flow-badge").inner_text() == "Done"
    assert row.get_by_text("Outcome to record").is_visible()

    row.get_by_role("link", name="Record outcome").click()
    page.get_by_label("Duct cannulated and images acquired").check()
    page.get_by_label("Single duct").check()
    page.get_by_label("Contrast volume (mL)").fill("1.5")
    page.get_by_label("None", exact=True).check()  # nothing is ticked in advance
    page.get_by_role("button", name="Record the outcome").click()
    assert row.locator(".flow-badge").inner_text() == "Done"
    assert row.get_by_text("Outcome to record").count() == 0
    page.screenshot(path=str(screenshot_dir / "day-list-after-completion.png"), full_page=True)

    target.refresh_from_db()
    assert target.status == "completed"
    assert target.outcome.imaging_cpt == "77053"
    assert list(target.transitions.values_list("action", flat=True)) == ["check_in", "start", "exam_done", "complete"]
    assert Appointment.objects.filter(status="reminded").count() == 4


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_manager_sees_the_dashboard_charts(page, live_server, login, screenshot_dir):
    StaffMemberFactory(manager=True, user__username="boss")
    room = RoomFactory(name="Mammo 1")
    for n, status in enumerate(["completed", "no_show", "cancelled", "completed", "booked"]):
        appointment = AppointmentFactory(
            room=room,
            status=status,
            start=_today_at(9) - timedelta(days=n),
            cancel_reason="Patient unwell" if status == "cancelled" else "",
            started_at=_today_at(9) - timedelta(days=n) if status == "completed" else None,
            performed_at=_today_at(9, 35) - timedelta(days=n) if status == "completed" else None,
            completed_at=_today_at(9, 40) - timedelta(days=n) if status == "completed" else None,
        )
        MessageFactory(subject=f"appointment:{appointment.pk}", status="sent", sent_at=timezone.now())
    login(page, "boss")
    assert page.url.endswith("/dashboard/")
    assert page.locator("svg.chart").count() == 6
    assert page.get_by_role("cell", name="Patient unwell").is_visible()
    page.screenshot(path=str(screenshot_dir / "dashboard.png"), full_page=True)
