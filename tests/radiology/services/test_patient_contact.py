"""Contact data read one way (radiology.contact) and the patient as another system knows her
(radiology.services.patients.register_or_update_patient): never refused over contact data,
flagged when she cannot be reached, the flag dated for the to-do, and the doors agreeing."""

from datetime import date

import pytest
import time_machine
from django import forms
from phonenumber_field.formfields import PhoneNumberField

from radiology import contact
from radiology.models import Patient
from radiology.services.booking import book_appointment
from radiology.services.patients import register_or_update_patient
from tests.factories import PatientFactory, ProcedureFactory, StaffMemberFactory, _next_weekday_at, small_department

pytestmark = pytest.mark.django_db

NEW = {"given_name": "Ana", "family_name": "Ruiz", "birth_date": date(1980, 1, 2)}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(202) 555-0123", ("+12025550123", "")),
        ("+31 6 12345678", ("+31612345678", "")),
        ("(046)927-3235", ("", "(046)927-3235")),
        ("555-123-4567", ("", "555-123-4567")),
        ("  ", ("", "")),
    ],
)
def test_a_number_reads_as_e164_or_is_kept_as_the_text_sent(raw, expected):
    assert contact.read_phone(raw) == expected


@pytest.mark.parametrize("raw", ["(202) 555-0123", "+31 6 12345678", "(046)927-3235", "06 1234 5678"])
def test_the_staff_forms_and_the_system_doors_read_a_number_alike(raw):
    class Form(forms.Form):
        phone = PhoneNumberField(region=None)

    form = Form({"phone": raw})
    e164, _ = contact.read_phone(raw)
    # What a page accepts is what a system's message stores; what it refuses is kept as text.
    assert form.is_valid() == bool(e164)
    if e164:
        assert str(form.cleaned_data["phone"]) == e164


def test_an_e_mail_that_is_not_an_address_is_kept_as_text():
    assert contact.read_email("jane at example") == ("", "jane at example")
    assert contact.read_email("jane@example.org") == ("jane@example.org", "")


def test_a_new_patient_with_an_unreadable_number_is_registered_and_flagged_check_contact():
    with time_machine.travel("2026-12-01 09:00Z", tick=False):
        patient = register_or_update_patient(actor=None, mrn="NEW1", phone="(046)927-3235", **NEW)

    patient.refresh_from_db()
    assert (str(patient.phone), patient.contact_as_sent, patient.contact_flag) == ("", "(046)927-3235", "check_contact")
    assert patient.contact_flagged_at.isoformat() == "2026-12-01T09:00:00+00:00"


def test_a_new_patient_without_contact_is_registered_and_flagged_no_contact():
    patient = register_or_update_patient(actor=None, mrn="NEW2", **NEW)

    assert (patient.contact_flag, patient.preferred_channel) == ("no_contact", "sms")


def test_an_unreadable_number_with_a_good_e_mail_switches_her_to_e_mail_and_flags_the_number():
    patient = register_or_update_patient(actor=None, mrn="NEW3", phone="555-123-4567", email="ana@example.org", **NEW)

    assert (patient.preferred_channel, patient.email, patient.contact_flag) == (
        "email",
        "ana@example.org",
        "check_contact",
    )


def test_a_good_number_later_clears_the_flag():
    register_or_update_patient(actor=None, mrn="NEW4", phone="555-123-4567", **NEW)

    patient = register_or_update_patient(actor=None, mrn="NEW4", phone="(202) 555-0123")

    assert (str(patient.phone), patient.contact_flag, patient.contact_as_sent) == ("+12025550123", "", "")
    assert patient.contact_flagged_at is None


def test_an_update_without_contact_data_leaves_her_contact_and_her_flag_as_they_were():
    register_or_update_patient(actor=None, mrn="NEW5", phone="555-123-4567", **NEW)

    patient = register_or_update_patient(actor=None, mrn="NEW5", family_name="Ruiz-Lopez")

    assert (patient.family_name, patient.contact_flag, patient.contact_as_sent) == (
        "Ruiz-Lopez",
        "check_contact",
        "555-123-4567",
    )


def test_a_new_patient_needs_her_name_and_birth_date_and_nothing_is_written_without_them():
    from radiology.errors import ServiceRefusal

    with pytest.raises(ServiceRefusal) as refused:
        register_or_update_patient(actor=None, mrn="NEW6", family_name="Ruiz", phone="+12025550123")

    assert refused.value.code == "required" and set(refused.value.fields) == {"given_name", "birth_date"}
    assert not Patient.objects.filter(mrn="NEW6").exists()


def test_a_patient_filed_without_contact_can_still_be_booked():
    patient = register_or_update_patient(actor=None, mrn="NEW7", **NEW)
    small_department()

    appointment = book_appointment(
        patient=patient,
        procedure=ProcedureFactory(),
        start=_next_weekday_at(10, days_ahead=7),
        duration_minutes=45,
        actor=StaffMemberFactory(scheduler=True).user,
    )

    assert appointment.pk and appointment.patient.contact_flag == "no_contact"


def test_the_database_refuses_an_unreachable_patient_without_a_flag():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        PatientFactory(phone="", email="", preferred_channel="sms")
