"""Her interpreter and access needs (radiology.services.patient_needs): recorded by those who
book her or check her in; an interpreter is booked only when one is needed."""

import pytest
from django.db import IntegrityError, transaction

from radiology.errors import ServiceRefusal
from radiology.services.patient_needs import record_needs
from radiology.services.patients import record_patient_from_feed
from tests.factories import PatientFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


def test_a_nurse_records_her_needs_and_the_history_says_so():
    patient = PatientFactory()
    nurse = StaffMemberFactory(nurse=True).user
    record_needs(
        actor=nurse,
        patient_id=patient.pk,
        interpreter_needed=True,
        interpreter_language=" Portuguese ",
        interpreter_booked=True,
        wheelchair=True,
        access_note="Needs a hoist to the table",
    )
    patient.refresh_from_db()
    assert patient.needs == [
        ("Interpreter (Portuguese)", "Interpreter needed (Portuguese): booked"),
        ("Wheelchair", "Uses a wheelchair"),
        ("Other need", "Needs a hoist to the table"),
    ]
    assert patient.history.first().history_change_reason == "Needs recorded"


def test_an_interpreter_cannot_be_booked_when_none_is_needed():
    patient = PatientFactory()
    with pytest.raises(ServiceRefusal) as refusal:
        record_needs(
            actor=StaffMemberFactory(scheduler=True).user,
            patient_id=patient.pk,
            interpreter_needed=False,
            interpreter_booked=True,
        )
    assert set(refusal.value.fields) == {"interpreter_booked"}
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory(interpreter_needed=False, interpreter_booked=True)


def test_a_radiologist_does_not_record_needs():
    patient = PatientFactory()
    with pytest.raises(ServiceRefusal) as refusal:
        record_needs(actor=StaffMemberFactory(radiologist=True).user, patient_id=patient.pk, interpreter_needed=True)
    assert refusal.value.code == "forbidden"
    patient.refresh_from_db()
    assert not patient.interpreter_needed


def test_the_hospital_saying_she_speaks_english_after_all_unbooks_the_interpreter():
    patient = PatientFactory(interpreter_needed=True, interpreter_language="Portuguese", interpreter_booked=True)
    record_patient_from_feed(mrn=patient.mrn, register=False, language="en")
    patient.refresh_from_db()
    assert (patient.interpreter_needed, patient.interpreter_booked, patient.language) == (False, False, "en")
