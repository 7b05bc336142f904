"""Working the schedulers' to-do list: calls and resolutions recorded with who and when,
numbers ready to dial, "not sure" about contrast flagged; delivery problems in words."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from radiology.errors import ServiceRefusal
from radiology.models import TodoNote
from radiology.services.todo import record_todo_note
from tests.factories import AppointmentFactory, MessageFactory, ReadinessResponseFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sam(client):
    """A scheduler the list names ("Called by Sam Ortiz"), logged in on `client`."""
    member = StaffMemberFactory(scheduler=True, user__first_name="Sam", user__last_name="Ortiz")
    client.force_login(member.user)
    return member


def soon(**kwargs):
    return AppointmentFactory(start=timezone.now() + timedelta(days=2), **kwargs)


def todo_row(client, appointment) -> str:
    page = client.get(reverse("radiology:scheduler_todo")).content.decode()
    marker = f'data-appointment="{appointment.pk}"'
    if marker not in page:
        return ""
    return page[page.index(marker) : page.index("</tr>", page.index(marker))]


def test_a_not_sure_answer_about_contrast_allergy_is_flagged_for_a_call(client, sam):
    appointment = soon(patient_confirmed_at=timezone.now())
    ReadinessResponseFactory(appointment=appointment, contrast_allergy=None)
    assert "Not sure about contrast allergy" in todo_row(client, appointment)


def test_the_row_offers_the_number_to_dial_formatted_with_a_tel_link(client, sam):
    appointment = soon(patient__phone="+12025550143")
    row = todo_row(client, appointment)
    assert 'href="tel:+12025550143"' in row and "(202) 555-0143" in row


def test_a_call_is_noted_with_who_made_it_and_the_item_stays(client, sam):
    appointment = soon()
    response = client.post(
        reverse("radiology:scheduler_todo_note", args=[appointment.pk]), {"outcome": "called", "note": "No answer"}
    )
    assert response.status_code == 302
    row = todo_row(client, appointment)
    assert "Called by Sam Ortiz" in row and "No answer" in row


def test_resolving_with_a_note_takes_the_item_off_until_a_new_answer_arrives(client, sam):
    appointment = soon(patient_confirmed_at=timezone.now() - timedelta(hours=1))
    ReadinessResponseFactory(appointment=appointment, expressed_last_48h=True, answered_at=timezone.now())
    client.post(
        reverse("radiology:scheduler_todo_note", args=[appointment.pk]),
        {"outcome": "resolved", "note": "She will not express; fine to come"},
    )
    assert todo_row(client, appointment) == ""
    ReadinessResponseFactory(
        appointment=appointment, expressed_last_48h=True, answered_at=timezone.now() + timedelta(minutes=5)
    )
    assert "Expressed in the last 48 h" in todo_row(client, appointment)


def test_resolving_without_a_note_is_refused_and_the_item_stays(client, sam):
    appointment = soon()
    response = client.post(
        reverse("radiology:scheduler_todo_note", args=[appointment.pk]), {"outcome": "resolved"}, follow=True
    )
    assert "Say how it was resolved." in response.content.decode()
    assert not TodoNote.objects.exists() and todo_row(client, appointment)


def test_the_database_refuses_a_resolution_without_a_note(sam):
    appointment = soon()
    with pytest.raises(IntegrityError), transaction.atomic():
        TodoNote.objects.create(appointment=appointment, outcome="resolved", by=sam.user, at=timezone.now())


def test_only_schedulers_may_work_the_list(client):
    appointment = soon()
    nurse = StaffMemberFactory(role="nurse")
    with pytest.raises(ServiceRefusal):
        record_todo_note(appointment_id=appointment.pk, actor=nurse.user, outcome="called")
    client.force_login(nurse.user)
    url = reverse("radiology:scheduler_todo_note", args=[appointment.pk])
    assert client.post(url, {"outcome": "called"}).status_code == 403
    assert client.get(url).status_code == 403
    assert not TodoNote.objects.exists()


def test_the_list_runs_a_fixed_number_of_queries_with_notes(client, sam, django_assert_max_num_queries):
    for _ in range(10):
        appointment = soon()
        record_todo_note(appointment_id=appointment.pk, actor=sam.user, outcome="called", note="x")
    # 8 for the appointments' list, 1 for the (here empty) list of patients to reach, 1 for
    # the (here empty) overdue result letters, 1 for the follow-up and missed-visit calls.
    with django_assert_max_num_queries(16):  # invitations (1), the read audit's insert (1), offers (3)
        response = client.get(reverse("radiology:scheduler_todo"))
    assert response.content.decode().count("Called by Sam Ortiz") == 10


def test_delivery_problems_name_the_patient_and_the_appointment_time(client, sam):
    appointment = AppointmentFactory(patient__family_name="Hernández", patient__given_name="Ana")
    MessageFactory(status="failed", subject=appointment.holder)
    page = client.get(reverse("notifications:problems")).content.decode()
    local = appointment.local_start
    assert f"Hernández, Ana — {local:%a} {local.day} {local:%b %H:%M}" in page
    assert appointment.holder not in page


def test_the_menu_and_the_page_use_one_name_for_delivery_problems(client, sam):
    page = client.get(reverse("notifications:problems")).content.decode()
    assert '<h1 class="h3">Delivery problems</h1>' in page and ">Delivery problems</a>" in page
