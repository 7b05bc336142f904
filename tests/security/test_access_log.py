"""The read audit: who opened which patient's data, for managers, kept ACCESS_LOG_DAYS."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from security.models import AccessLogEntry
from tests.factories import AppointmentFactory, OrderFactory, PatientFactory, StaffMemberFactory
from tests.radiology.interfaces.api.conftest import client_for

pytestmark = pytest.mark.django_db


def entries(what):
    return list(AccessLogEntry.objects.filter(what=what).values_list("username", "patient_id"))


def test_opening_an_appointment_page_is_logged(client):
    appointment = AppointmentFactory()
    user = StaffMemberFactory().user
    client.force_login(user)
    client.get(f"/appointments/{appointment.pk}/")
    assert entries("appointment_page") == [(user.username, appointment.patient_id)]


def test_opening_an_order_page_is_logged(client):
    order = OrderFactory()
    user = StaffMemberFactory(scheduler=True).user
    client.force_login(user)
    assert client.get(f"/orders/{order.pk}/").status_code == 200
    assert entries("order_page") == [(user.username, order.patient_id)]


def test_patient_search_results_are_logged_per_patient_shown(client):
    a, b = PatientFactory(family_name="Lindqvist"), PatientFactory(family_name="Lindholm")
    PatientFactory(family_name="Other")
    user = StaffMemberFactory(scheduler=True).user
    client.force_login(user)
    client.get("/schedule/patients/", {"q": "Lind"})
    assert sorted(entries("patient_search")) == sorted([(user.username, a.pk), (user.username, b.pk)])


def test_the_csv_export_logs_each_patient_in_it(client):
    appointment = AppointmentFactory()
    client.force_login(StaffMemberFactory(manager=True).user)
    day = appointment.local_start.date()
    client.get(f"/dashboard/export.csv?start={day}&end={day}")
    assert [p for _, p in entries("csv_export")] == [appointment.patient_id]


def test_patient_data_over_the_api_is_logged():
    appointment = AppointmentFactory()
    user = StaffMemberFactory(scheduler=True).user
    api = client_for(user)
    api.get(f"/api/v1/appointments/{appointment.pk}")
    api.get(f"/api/v1/patients/{appointment.patient_id}")
    assert entries("api") == [(user.username, appointment.patient_id)] * 2


def test_managers_see_the_log_filtered_by_patient(client):
    one, other = AppointmentFactory(), AppointmentFactory()
    viewer = StaffMemberFactory().user
    client.force_login(viewer)
    client.get(f"/appointments/{one.pk}/")
    client.get(f"/appointments/{other.pk}/")
    client.force_login(StaffMemberFactory(manager=True).user)
    page = client.get("/security/access-log/", {"mrn": one.patient.mrn}).content.decode()
    assert one.patient.mrn in page and other.patient.mrn not in page
    assert viewer.username in page


def test_other_roles_cannot_read_the_access_log(client):
    client.force_login(StaffMemberFactory(scheduler=True).user)
    assert client.get("/security/access-log/").status_code == 403


def test_the_admin_cannot_change_or_delete_log_entries(client, django_user_model):
    appointment = AppointmentFactory()
    client.force_login(StaffMemberFactory().user)
    client.get(f"/appointments/{appointment.pk}/")
    entry = AccessLogEntry.objects.get()
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.org", "x"))
    assert client.post(f"/admin/security/accesslogentry/{entry.pk}/delete/", {"post": "yes"}).status_code in {
        403,
        404,
    }
    assert AccessLogEntry.objects.filter(pk=entry.pk).exists()


def test_the_purge_deletes_only_entries_older_than_the_retention(settings, client):
    settings.ACCESS_LOG_DAYS = 2190
    appointment = AppointmentFactory()
    client.force_login(StaffMemberFactory().user)
    old_time = timezone.now() - timedelta(days=2191)
    with time_machine.travel(old_time, tick=False):
        client.force_login(StaffMemberFactory().user)
        client.get(f"/appointments/{appointment.pk}/")
    client.force_login(StaffMemberFactory().user)
    client.get(f"/appointments/{appointment.pk}/")
    assert AccessLogEntry.objects.count() == 2
    out = StringIO()
    call_command("purge_access_log", stdout=out)
    assert "Deleted 1" in out.getvalue()
    assert AccessLogEntry.objects.count() == 1
