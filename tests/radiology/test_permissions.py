"""Roles: the service refuses a role without the permission; the pages too."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from radiology.errors import ServiceRefusal
from radiology.services.transitions import perform_transition
from tests.actions import CHECKLIST_FORM, take_action
from tests.factories import DEFAULT_PASSWORD, AppointmentFactory, StaffMemberFactory, UserFactory

pytestmark = pytest.mark.django_db

REFUSED = [
    ("scheduler", "check_in", "reminded"),
    ("scheduler", "start", "checked_in"),
    ("radiologist", "check_in", "reminded"),
    ("radiologist", "cancel", "booked"),
    ("technologist", "cancel", "booked"),
    ("nurse", "arrange_follow_up", "completed"),
    ("technologist", "arrange_follow_up", "completed"),
    ("scheduler", "complete", "in_procedure"),
    ("manager", "check_in", "reminded"),
    ("manager", "complete", "in_procedure"),
    ("manager", "no_show", "reminded"),
    ("manager", "arrange_follow_up", "completed"),
]


@pytest.mark.parametrize(("role", "action", "state"), REFUSED)
def test_the_service_refuses_an_action_the_role_does_not_allow(role, action, state):
    appointment = AppointmentFactory(status=state)
    user = StaffMemberFactory(role=role).user
    with time_machine.travel(appointment.start, tick=False), pytest.raises(ServiceRefusal) as error:
        take_action(appointment.pk, action, user)
    assert error.value.code == "forbidden"
    appointment.refresh_from_db()
    assert appointment.status == state


def test_a_staff_user_cannot_perform_a_system_only_action():
    appointment = AppointmentFactory()
    manager = StaffMemberFactory(manager=True).user
    with pytest.raises(ServiceRefusal) as error:
        perform_transition(appointment_id=appointment.pk, action="send_prep", actor=manager)
    assert error.value.code == "forbidden"


CHECKLIST = CHECKLIST_FORM


def test_the_check_in_page_refuses_the_wrong_role_with_403(client):
    appointment = AppointmentFactory(status="reminded")
    client.force_login(StaffMemberFactory(scheduler=True).user)
    with time_machine.travel(appointment.start, tick=False):
        response = client.post(reverse("radiology:check_in", args=[appointment.pk]), CHECKLIST)
    assert response.status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == "reminded"


def test_the_check_in_page_lets_the_right_role_act(client):
    appointment = AppointmentFactory(status="reminded")
    client.force_login(StaffMemberFactory(role="technologist").user)
    with time_machine.travel(appointment.start - timedelta(minutes=5), tick=False):
        response = client.post(reverse("radiology:check_in", args=[appointment.pk]), CHECKLIST, follow=True)
    assert response.status_code == 200
    assert "is checked in and waiting" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "checked_in"


def test_an_illegal_move_from_the_page_is_a_sentence_not_an_error_page(client):
    appointment = AppointmentFactory(status="completed")
    client.force_login(StaffMemberFactory(role="technologist").user)
    response = client.post(reverse("radiology:check_in", args=[appointment.pk]), CHECKLIST)
    assert response.status_code == 200
    assert "Cannot check in: the appointment is completed." in response.content.decode()


@pytest.mark.parametrize("name", ["radiology:appointment_list"])
def test_staff_pages_need_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_appointment_page_needs_login(client):
    appointment = AppointmentFactory()
    response = client.get(appointment.get_absolute_url())
    assert response.status_code == 302


def test_a_user_without_a_role_is_refused_the_appointment_pages(client):
    appointment = AppointmentFactory()
    client.force_login(UserFactory())
    assert client.get(reverse("radiology:appointment_list")).status_code == 403
    assert client.get(appointment.get_absolute_url()).status_code == 403


@pytest.mark.parametrize("role", ["scheduler", "technologist", "nurse", "radiologist", "manager"])
def test_every_role_can_log_in_and_see_appointments_with_their_history(client, role):
    appointment = AppointmentFactory(status="booked")
    perform_transition(appointment_id=appointment.pk, action="send_prep", actor=None, note="sent by SMS")
    staff = StaffMemberFactory(role=role)
    assert client.login(username=staff.user.username, password=DEFAULT_PASSWORD)

    listing = client.get(reverse("radiology:appointment_list"), {"start": appointment.local_start.date()})
    detail = client.get(appointment.get_absolute_url())

    assert appointment.patient.mrn in listing.content.decode()
    assert detail.status_code == 200
    page = detail.content.decode()
    assert "History" in page and "sent by SMS" in page and "Prep instructions sent" in page


def test_only_managers_reach_the_admin(client):
    client.force_login(StaffMemberFactory(role="technologist").user)
    assert client.get("/admin/").status_code == 302
    client.force_login(StaffMemberFactory(manager=True, user__is_staff=True).user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/radiology/appointment/").status_code == 200
