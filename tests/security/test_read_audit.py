"""One decision for every door (issue #23): every URL of the access table that shows a
patient writes her row in the read audit, and the admin's patient and appointment pages and
a DICOM worklist query do too. The URLs come from tests/test_role_matrix.py, so a page added
there is walked here without a list to keep."""

import pytest
from django.test import Client

from security.models import AccessLogEntry
from security.read_audit import what_for
from tests.factories import AppointmentFactory, RoomFactory, StaffMemberFactory, UserFactory
from tests.test_role_matrix import ACCESS, STAFF_URLS, _path

pytestmark = pytest.mark.django_db


def _allowed_role(name):
    allowed = ACCESS[name]
    roles = allowed.get("GET") if isinstance(allowed, dict) else allowed
    return sorted(roles - {"no role"})[0] if roles else None


def _audit_path(route: str, appointment, room) -> str:
    # A patient's and an order's pages take their own ids, which need not equal the
    # appointment's (they do not once other tests have made patients in this process).
    if route.startswith("patients/"):
        route = route.replace("<int:pk>", str(appointment.patient_id))
    elif route.startswith("orders/"):
        route = route.replace("<int:pk>", str(appointment.order_id))
    return _path(route, appointment, room)


def _shows(response, patient) -> bool:
    text = response.content.decode(errors="replace")
    return patient.mrn in text or patient.family_name in text


def test_every_page_that_shows_a_patient_writes_her_row():
    # A family name no faked staff member can share: the pages list staff names too (the day
    # list's filters), and a shared surname made a page look as if it showed her.
    appointment = AppointmentFactory(status="booked", patient__family_name="Quillfeather-Audit")
    room = RoomFactory()
    patient = appointment.patient
    checked, missing = [], []
    for name in sorted(STAFF_URLS):
        role = _allowed_role(name)
        if role is None or name.startswith("security:"):
            continue  # the audit's own pages list the rows this test makes; recording them would loop
        client = Client()
        user = StaffMemberFactory(role=role).user
        client.force_login(user)
        response = client.get(_audit_path(STAFF_URLS[name], appointment, room))
        if response.status_code != 200 or not _shows(response, patient):
            continue
        checked.append(name)
        if not AccessLogEntry.objects.filter(user=user, patient=patient).exists():
            missing.append(name)
    assert not missing, f"shown without an audit row: {missing}"
    # The pages issue #23 named, each now found showing her and recorded.
    for name in (
        "radiology:day_list_for",
        "radiology:appointment_list",
        "radiology:appointment_detail",
        "radiology:patient_detail",
    ):
        assert name in checked


def test_each_row_says_which_kind_of_page_it_was(client):
    appointment = AppointmentFactory(status="booked")
    user = StaffMemberFactory(role="scheduler").user
    client.force_login(user)

    client.get(f"/day/{appointment.local_start.date().isoformat()}/")
    client.get("/appointments/")

    whats = set(AccessLogEntry.objects.filter(patient=appointment.patient).values_list("what", flat=True))
    assert {"day_list", "appointment_list"} <= whats


def test_an_action_form_is_an_action_form():
    assert what_for("radiology:check_in") == "action_form"
    assert what_for("radiology:schedule_booked") == "booked_page"
    assert what_for("admin:radiology_patient_change") == "admin"


def test_an_action_done_and_redirected_writes_no_row(client):
    appointment = AppointmentFactory(status="booked")
    client.force_login(StaffMemberFactory(role="scheduler").user)

    client.post(f"/appointments/{appointment.pk}/cancel/", {"reason_code": "patient_request"})

    assert not AccessLogEntry.objects.filter(what="staff_page").exists()


@pytest.mark.parametrize("page", ["radiology_patient", "radiology_appointment"])
def test_the_admin_patient_and_appointment_pages_write_her_row(client, page):
    appointment = AppointmentFactory(status="booked")
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    obj = appointment.patient.pk if page == "radiology_patient" else appointment.pk
    app, model = page.split("_")

    listing = client.get(f"/admin/{app}/{model}/")
    change = client.get(f"/admin/{app}/{model}/{obj}/change/")

    assert listing.status_code == change.status_code == 200
    rows = AccessLogEntry.objects.filter(user=admin_user, patient=appointment.patient, what="admin")
    assert rows.count() == 2


def test_a_patients_own_link_writes_no_staff_row(client):
    from radiology.services.patient_links import patient_path

    appointment = AppointmentFactory(status="booked")

    assert client.get(patient_path(appointment.pk)).status_code == 200
    assert not AccessLogEntry.objects.exists()
