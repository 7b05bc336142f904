"""At the desk in Chromium (1366×900): her needs and label on the day list, the pregnancy
question at check-in stopping it, and the radiologist's decision letting her through."""

from datetime import date, datetime, time, timedelta
from io import BytesIO

import pytest
from django.utils import timezone
from pypdf import PdfReader

from radiology.models import CheckInChecklist
from scheduling.clinic_time import clinic_zone
from tests.browser.staff_support import DESKTOP, serious_violations
from tests.factories import AppointmentFactory, StaffMemberFactory


def _today_at(hour):
    return datetime.combine(timezone.now().astimezone(clinic_zone()).date(), time(hour), tzinfo=clinic_zone())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_possibly_pregnant_patient_is_checked_in_only_on_the_radiologists_decision(browser, live_server, login):
    tech = StaffMemberFactory(role="technologist", user__username="desk", user__first_name="Dana")
    radiologist = StaffMemberFactory(radiologist=True, user__first_name="Ada", user__last_name="Okafor")
    appointment = AppointmentFactory(
        start=_today_at(11),
        status="reminded",
        technologist=tech,
        radiologist=radiologist,
        patient__family_name="Haddad",
        patient__birth_date=date(1991, 7, 9),
        patient__interpreter_needed=True,
        patient__interpreter_language="Arabic",
        patient__wheelchair=True,
        order__accession_number="GA00007777",
    )
    appointment.order.received_at = timezone.now() - timedelta(days=20)  # too old to settle anything
    appointment.order.save()
    context = browser.new_context(viewport=DESKTOP, locale="en-US", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    login(page, "desk")

    row = page.locator(f"tr[data-appointment='{appointment.pk}']")
    assert serious_violations(page) == []  # the day list with her needs and the label links
    assert row.locator(".need-flag").count() == 2
    assert row.get_by_text("Uses a wheelchair").count() == 1  # read out, not shown
    label = row.get_by_role("link", name="Label (PDF)")
    pdf = page.request.get(live_server.url + label.get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf"
    assert "Acc GA00007777" in PdfReader(BytesIO(pdf.body())).pages[0].extract_text()

    row.get_by_role("link", name="Check in").click()
    page.get_by_label("Identity confirmed: name and date of birth").check()
    for question, answer in [
        ("Does she report an allergy to contrast (X-ray dye)?", "No"),
        ("Is there nipple discharge today?", "Yes"),
        ("Has the nipple been squeezed or expressed in the last 48 hours?", "No"),
        ("Is she pregnant, or could she be?", "Possibly"),
        ("Is she breastfeeding?", "No"),
    ]:
        page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()
    page.get_by_label("Consent form signed").check()
    page.get_by_label("Side confirmed with the patient (the breast named in the order)").check()
    page.get_by_role("button", name="Check in").click()

    decides = page.get_by_test_id("radiologist-decides")
    assert decides.is_visible()
    assert decides.get_by_role("link", name="Did not proceed: Pregnant or possibly pregnant").is_visible()
    assert serious_violations(page) == []
    assert CheckInChecklist.objects.filter(appointment=appointment).count() == 0

    # The radiologist decides to go ahead (a negative test): named, with the reason.
    page.get_by_label("Radiologist who decided to go ahead").select_option(label=radiologist.name)
    page.get_by_label("The radiologist's reason").fill("Urine hCG negative at 10:40")
    page.get_by_role("button", name="Check in").click()
    assert "is checked in and waiting" in page.content()
    checklist = CheckInChecklist.objects.get(appointment=appointment)
    assert (checklist.pregnancy, checklist.cleared_by_id) == ("possible", radiologist.pk)
    context.close()
