"""The to-do's patients to reach: "check contact" shows what was sent, "no contact" says so;
both are worked like the other items (a call noted, a resolution with a note) and leave when
a scheduler corrects her contact on her page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from radiology.models import TodoNote
from radiology.services.patients import correct_contact
from radiology.services.todo import record_todo_note
from tests.factories import OrderFactory, PatientFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sam(client):
    member = StaffMemberFactory(scheduler=True, user__first_name="Sam", user__last_name="Ortiz")
    client.force_login(member.user)
    return member


def reach_row(client, patient) -> str:
    page = client.get(reverse("radiology:scheduler_todo")).content.decode()
    marker = f'data-patient="{patient.pk}"'
    if marker not in page:
        return ""
    return page.split(marker, 1)[1].split("</tr>", 1)[0]


def test_a_patient_whose_number_could_not_be_read_is_listed_with_the_text_sent(client, sam):
    order = OrderFactory(patient=PatientFactory(check_contact=True))

    row = reach_row(client, order.patient)

    assert "Check contact" in row and "(046)927-3235" in row
    assert reverse("radiology:patient_contact", args=[order.patient.pk]) in row


def test_a_patient_without_any_contact_is_listed_as_no_contact(client, sam):
    order = OrderFactory(patient=PatientFactory(no_contact=True))

    assert "No contact" in reach_row(client, order.patient)


def test_a_flagged_patient_without_an_open_order_is_not_listed(client, sam):
    order = OrderFactory(patient=PatientFactory(no_contact=True), status="cancelled", cancel_reason="Duplicate")

    assert reach_row(client, order.patient) == ""


def test_a_call_is_noted_and_the_patient_stays_listed(client, sam):
    patient = OrderFactory(patient=PatientFactory(no_contact=True)).patient

    url = reverse("radiology:scheduler_todo_patient_note", args=[patient.pk])
    client.post(url, {"outcome": "called", "note": "Voicemail"})

    row = reach_row(client, patient)
    assert "Called by Sam Ortiz" in row and "Voicemail" in row
    assert TodoNote.objects.get().patient == patient


def test_a_resolution_with_a_note_takes_her_off_until_her_contact_changes_again(client, sam):
    patient = OrderFactory(patient=PatientFactory(no_contact=True)).patient
    url = reverse("radiology:scheduler_todo_patient_note", args=[patient.pk])

    client.post(url, {"outcome": "resolved", "note": "No phone; she calls us"})
    assert reach_row(client, patient) == ""

    patient.contact_flag, patient.contact_as_sent = "check_contact", "06 1234 5678"
    patient.contact_flagged_at = timezone.now()
    patient.save()
    assert "06 1234 5678" in reach_row(client, patient)


def test_correcting_her_contact_on_her_page_clears_the_flag_and_the_item(client, sam):
    patient = OrderFactory(patient=PatientFactory(check_contact=True)).patient

    correct_contact(
        actor=sam.user,
        patient_id=patient.pk,
        phone="+12025550177",
        email="",
        preferred_channel="sms",
        language="en",
    )

    patient.refresh_from_db()
    assert (patient.contact_flag, patient.contact_as_sent, patient.contact_flagged_at) == ("", "", None)
    assert reach_row(client, patient) == ""


def test_the_contact_page_form_resolves_the_item(client, sam):
    patient = OrderFactory(patient=PatientFactory(no_contact=True)).patient

    client.post(
        reverse("radiology:patient_contact", args=[patient.pk]),
        {"phone": "(202) 555-0177", "email": "", "preferred_channel": "sms", "language": "en"},
    )

    patient.refresh_from_db()
    assert str(patient.phone) == "+12025550177" and patient.contact_flag == ""
    assert reach_row(client, patient) == ""


def test_the_list_of_patients_to_reach_runs_a_fixed_number_of_queries(client, sam, django_assert_max_num_queries):
    for _ in range(10):
        patient = OrderFactory(patient=PatientFactory(no_contact=True)).patient
        record_todo_note(patient_id=patient.pk, actor=sam.user, outcome="called", note="x")
    # The appointments' list (8), the patients to reach with their notes (2), the overdue
    # result letters (1, here empty; the loops' calls ride in the to-do's own queries).
    with django_assert_max_num_queries(16):  # invitations (1), the read audit's insert (1), offers (3)
        response = client.get(reverse("radiology:scheduler_todo"))
    assert response.content.decode().count("Called by Sam Ortiz") == 10


def test_a_note_is_about_an_appointment_or_a_patient_not_both(sam):
    with pytest.raises(TypeError):
        record_todo_note(actor=sam.user, outcome="called")
