"""The admin cannot break the no-overlap guarantee: reservations and appointments are read-only there."""

import pytest
from django.contrib.auth import get_user_model

from notifications.models import Message
from radiology.models import Appointment
from scheduling.models import Reservation
from tests.factories import AppointmentFactory, MessageFactory, PatientFactory, ReservationFactory, RoomFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    client.force_login(user)
    return client


def test_a_reservation_cannot_be_deleted_in_the_admin(admin_client):
    reservation = ReservationFactory()
    response = admin_client.post(f"/admin/scheduling/reservation/{reservation.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Reservation.objects.filter(pk=reservation.pk, active=True).exists()


def test_a_reservation_cannot_be_released_by_bulk_delete_in_the_admin(admin_client):
    reservation = ReservationFactory()
    admin_client.post(
        "/admin/scheduling/reservation/",
        {"action": "delete_selected", "_selected_action": [reservation.pk], "post": "yes"},
    )
    assert Reservation.objects.filter(pk=reservation.pk, active=True).exists()


def test_a_reservation_cannot_be_edited_in_the_admin(admin_client):
    reservation = ReservationFactory()
    response = admin_client.post(f"/admin/scheduling/reservation/{reservation.pk}/change/", {"active": ""})
    assert response.status_code == 403
    reservation.refresh_from_db()
    assert reservation.active


def test_an_appointment_cannot_be_deleted_in_the_admin(admin_client):
    appointment = AppointmentFactory()
    response = admin_client.post(f"/admin/radiology/appointment/{appointment.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    admin_client.post(
        "/admin/radiology/appointment/",
        {"action": "delete_selected", "_selected_action": [appointment.pk], "post": "yes"},
    )
    assert Appointment.objects.filter(pk=appointment.pk).exists()


def test_the_appointment_admin_page_points_to_the_staff_page_to_cancel(admin_client):
    appointment = AppointmentFactory()
    response = admin_client.get(f"/admin/radiology/appointment/{appointment.pk}/change/")
    assert response.status_code == 200
    assert f"/appointments/{appointment.pk}/" in response.content.decode()


def test_patients_are_not_added_or_deleted_in_the_admin(admin_client):
    patient = PatientFactory()
    assert admin_client.get("/admin/radiology/patient/add/").status_code == 403
    assert admin_client.post(f"/admin/radiology/patient/{patient.pk}/delete/", {"post": "yes"}).status_code == 403


def test_a_room_cannot_be_moved_to_another_calendar_resource_in_the_admin(admin_client):
    room = RoomFactory()
    original = room.resource_id
    admin_client.post(
        f"/admin/radiology/room/{room.pk}/change/",
        {"name": room.name, "location": "Elsewhere", "resource": ReservationFactory().resource_id},
    )
    room.refresh_from_db()
    assert room.resource_id == original


def test_outbox_messages_cannot_be_deleted_in_the_admin(admin_client):
    message = MessageFactory()
    response = admin_client.post(f"/admin/notifications/message/{message.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Message.objects.filter(pk=message.pk).exists()
