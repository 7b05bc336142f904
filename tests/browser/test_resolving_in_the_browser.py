"""This round's staff forms in Chromium, through the real pages (CSRF, crispy forms, redirects):
a scheduler corrects a patient's number, a technologist links a hand-typed modality step to
its appointment and dismisses a test exam."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from notifications.models import Message
from radiology.models import Appointment, PerformedProcedureStep
from radiology.services import reminders
from radiology.services.performed_steps import StepReport, record_step_created
from scheduling.clinic_time import clinic_zone
from tests.factories import AppointmentFactory, PatientFactory, StaffMemberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _today_at(hour):
    return datetime.combine(timezone.now().astimezone(clinic_zone()).date(), time(hour), tzinfo=clinic_zone())


def test_a_scheduler_corrects_a_number_and_the_waiting_reminders_follow(page, live_server, login):
    StaffMemberFactory(scheduler=True, user__username="sched1")
    appointment = AppointmentFactory(
        patient=PatientFactory(preferred_channel="sms"), start=_today_at(10) + timedelta(days=3)
    )
    reminders.on_booked(appointment=appointment, now=timezone.now() - timedelta(days=7))
    login(page, "sched1")
    page.goto(f"{live_server.url}/patients/{appointment.patient_id}/")
    page.click("text=Correct her phone, e-mail or how she gets reminders")
    page.fill("input[name=phone]", "(202) 555-0199")
    page.click("button:has-text('Save')")
    page.get_by_text("Contact details saved.").wait_for()
    assert "(202) 555-0199" in page.inner_text("[data-testid=contact]")
    waiting = Message.objects.filter(subject=appointment.holder, status="scheduled")
    assert waiting.exists() and set(waiting.values_list("recipient", flat=True)) == {"+12025550199"}


def test_a_technologist_links_one_step_and_dismisses_another(page, live_server, login):
    StaffMemberFactory(user__username="tech1")
    appointment = AppointmentFactory(status="checked_in", start=_today_at(9))
    hand_typed = record_step_created(
        sop_instance_uid="1.2.826.0.1.3680043.10.7",
        report=StepReport(status="IN PROGRESS", attributes={}, accession_number="HAND1", started_at=appointment.start),
    )
    phantom = record_step_created(
        sop_instance_uid="1.2.826.0.1.3680043.10.8",
        report=StepReport(status="IN PROGRESS", attributes={}, accession_number="QC1", started_at=appointment.start),
    )
    login(page, "tech1")
    page.goto(f"{live_server.url}/modality-steps/")
    link_form = page.locator(f"[data-testid=link-{hand_typed.pk}]")
    link_form.locator("select").select_option(str(appointment.pk))
    link_form.locator("button:has-text('Link')").click()
    page.get_by_text(f"Linked to appointment #{appointment.pk}").wait_for()

    dismiss_form = page.locator(f"[data-testid=dismiss-{phantom.pk}]")
    dismiss_form.locator("select").select_option("qc")
    dismiss_form.locator("button:has-text('Dismiss')").click()
    page.get_by_text("Dismissed; no appointment was changed.").wait_for()
    assert page.get_by_text("Nothing needs attention.").count() == 1

    assert Appointment.objects.get(pk=appointment.pk).status == "in_procedure"
    assert PerformedProcedureStep.objects.get(pk=phantom.pk).resolution.startswith("Dismissed: A test")
