"""A scheduler corrects how a patient is reached (a wrong number, e-mail instead of text):
her page saves it under the registration rule, and her reminders not yet out follow the new
details, down to the SMS file the gateway receives. The admin cannot edit around the rule."""

import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from notifications import services as outbox
from notifications.models import Message
from radiology.models import Patient
from radiology.services import reminders
from tests.factories import AppointmentFactory, PatientFactory, StaffMemberFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_dir")]
BOOKED_AT = datetime(2026, 1, 12, 15, 0, tzinfo=UTC)
START = datetime(2026, 1, 20, 15, 0, tzinfo=UTC)
NEW_NUMBER = "+12025550199"


@pytest.fixture
def appointment():
    appointment = AppointmentFactory(start=START, patient=PatientFactory(preferred_channel="sms"))
    reminders.on_booked(appointment=appointment, now=BOOKED_AT)
    return appointment


def url(patient):
    return reverse("radiology:patient_contact", args=[patient.pk])


def form(patient, **changes):
    values = {
        "phone": str(patient.phone),
        "email": patient.email,
        "preferred_channel": patient.preferred_channel,
        "language": patient.language,
    }
    return values | changes


def deliver_all(now):
    ids, token = outbox.claim_due(now=now, limit=1000)
    return {i: outbox.deliver_message(message_id=i, token=token, now=now) for i in ids}


def sms_sent(sms_dir) -> list[str]:
    """The numbers the gateway was given, one per text."""
    return sorted(json.loads(path.read_text())["to"] for path in sms_dir.glob("*.json"))


def test_a_corrected_number_is_where_her_next_reminders_go(client, logged_in_scheduler, appointment, sms_dir):
    patient = appointment.patient
    old_number = str(patient.phone)
    deliver_all(BOOKED_AT)  # the prep instructions went to the old number
    response = client.post(url(patient), form(patient, phone="(202) 555-0199"), follow=True)
    assert "Contact details saved. 2 message(s) not yet sent now follow them." in response.content.decode()
    patient.refresh_from_db()
    assert str(patient.phone) == NEW_NUMBER
    assert set(
        Message.objects.filter(subject=appointment.holder, status="scheduled").values_list("recipient", flat=True)
    ) == {NEW_NUMBER}
    sent = Message.objects.get(subject=appointment.holder, kind="prep")
    assert sent.recipient == old_number  # what went out stays true

    for due in Message.objects.filter(subject=appointment.holder, status="scheduled").values_list("due_at", flat=True):
        deliver_all(due)
    assert sms_sent(sms_dir) == sorted([old_number, NEW_NUMBER, NEW_NUMBER])


def test_e_mail_instead_of_text_moves_the_channel_and_leaves_quiet_hours(client, logged_in_scheduler, appointment):
    patient = appointment.patient
    client.post(url(patient), form(patient, preferred_channel="email", language="es"))
    waiting = Message.objects.filter(subject=appointment.holder, status="scheduled")
    assert {(m.channel, m.recipient, m.language, m.quiet_hours) for m in waiting} == {
        ("email", patient.email, "es", False)
    }


def test_a_failed_text_sent_again_goes_to_the_corrected_number(client, logged_in_scheduler, appointment, sms_dir):
    patient = appointment.patient
    prep = Message.objects.get(subject=appointment.holder, kind="prep")
    Message.objects.filter(pk=prep.pk).update(status="failed", last_error="Unknown subscriber")
    client.post(url(patient), form(patient, phone="(202) 555-0199"))
    assert outbox.send_again(message_id=prep.pk, now=BOOKED_AT)
    deliver_all(BOOKED_AT)
    assert NEW_NUMBER in sms_sent(sms_dir)


def test_a_channel_she_cannot_be_reached_on_is_refused_and_changes_nothing(client, logged_in_scheduler, appointment):
    patient = appointment.patient
    before = set(Message.objects.values_list("pk", "recipient", "channel"))
    response = client.post(url(patient), form(patient, email="", preferred_channel="email"))
    assert response.status_code == 200
    assert "E-mail reminders need an e-mail address" in response.content.decode()
    response = client.post(url(patient), form(patient, phone="555"))
    assert "That is not a phone number we can text" in response.content.decode()
    patient.refresh_from_db()
    assert patient.email and patient.preferred_channel == "sms"
    assert set(Message.objects.values_list("pk", "recipient", "channel")) == before


def test_the_change_is_in_her_history_with_who_made_it(client, logged_in_scheduler, appointment):
    patient = appointment.patient
    client.post(url(patient), form(patient, phone="(202) 555-0199"))
    latest = Patient.history.filter(id=patient.pk).latest("history_date")
    assert (str(latest.phone), latest.history_user, latest.history_change_reason) == (
        NEW_NUMBER,
        logged_in_scheduler,
        "Contact details corrected",
    )


def test_her_page_links_to_the_correction_for_those_who_may_make_it(client, logged_in_scheduler, appointment):
    patient = appointment.patient
    assert url(patient) in client.get(reverse("radiology:patient_detail", args=[patient.pk])).content.decode()
    client.force_login(StaffMemberFactory().user)  # a technologist
    assert url(patient) not in client.get(reverse("radiology:patient_detail", args=[patient.pk])).content.decode()
    assert client.post(url(patient), form(patient, phone="(202) 555-0199")).status_code == 403
    patient.refresh_from_db()
    assert str(patient.phone) != NEW_NUMBER


def test_the_admin_shows_patients_but_cannot_edit_around_the_rules(client, appointment):
    patient = appointment.patient
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    change = reverse("admin:radiology_patient_change", args=[patient.pk])
    assert client.get(change).status_code == 200  # view only
    response = client.post(change, form(patient, email="", preferred_channel="email") | {"mrn": patient.mrn})
    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.preferred_channel == "sms"
