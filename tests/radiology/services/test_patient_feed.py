"""The patient as the hospital's register (HL7 ADT) sends her
(radiology.services.patients.record_patient_from_feed and record_death): a known MRN updated,
never duplicated; an incomplete record kept and flagged, the database holding "complete or
flagged"; her language where the product speaks it, else an interpreter; her death ending her
upcoming appointments with nothing sent to her; and a staff cancel for that reason alike."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import IntegrityError

from notifications.models import Message
from procedures.reasons import CancelReason
from radiology.errors import ServiceRefusal
from radiology.models import Patient
from radiology.services.booking import book_appointment
from radiology.services.cancellation import cancel_appointment
from radiology.services.patients import record_patient_from_feed, spoken_language
from tests.factories import PatientFactory, ProcedureFactory, StaffMemberFactory, _next_weekday_at, small_department

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def booked(patient):
    small_department()
    return book_appointment(
        patient=patient,
        procedure=ProcedureFactory(),
        start=_next_weekday_at(10, days_ahead=7),
        duration_minutes=45,
        actor=StaffMemberFactory(scheduler=True).user,
    )


def test_a_known_mrn_is_updated_whatever_its_letter_case_and_never_duplicated():
    patient = PatientFactory(mrn="ab-123", family_name="Ruiz")

    updated = record_patient_from_feed(mrn="AB-123", register=True, family_name="Ruiz-Diaz")

    assert updated.pk == patient.pk and Patient.objects.count() == 1
    assert updated.family_name == "Ruiz-Diaz"


def test_an_unknown_mrn_is_left_alone_when_the_feed_does_not_register():
    assert record_patient_from_feed(mrn="NEW1", register=False, family_name="Ruiz") is None
    assert not Patient.objects.exists()


def test_a_record_without_birth_date_or_given_name_is_kept_and_flagged_at_that_time():
    with time_machine.travel(NOW, tick=False):
        patient = record_patient_from_feed(mrn="NEW2", register=True, family_name="Ruiz")

    assert (patient.birth_date, patient.given_name) == (None, "")
    assert patient.details_flagged_at == NOW
    assert patient.missing_details == ["birth date", "given name"]
    assert patient.contact_flag == "no_contact"  # and nothing reaches her: flagged, not refused


def test_a_new_record_without_a_family_name_is_refused_and_nothing_is_written():
    with pytest.raises(ServiceRefusal) as refused:
        record_patient_from_feed(mrn="NEW3", register=True, given_name="Ana", birth_date=date(1980, 1, 2))

    assert refused.value.code == "required" and set(refused.value.fields) == {"family_name"}
    assert not Patient.objects.exists()


def test_the_database_refuses_an_incomplete_record_without_a_flag():
    with pytest.raises(IntegrityError):
        PatientFactory(birth_date=None)


def test_the_database_refuses_a_death_time_on_a_living_patient():
    with pytest.raises(IntegrityError):
        PatientFactory(deceased=False, deceased_at=NOW)


@pytest.mark.parametrize(
    ("sent", "ours"),
    [("es", "es"), ("SPA", "es"), ("Spanish", "es"), ("es-MX", "es"), ("eng", "en"), ("POR", None), ("vi", None)],
)
def test_a_language_as_sent_is_ours_when_the_product_speaks_it(sent, ours):
    assert spoken_language(sent) == ours


def test_a_language_we_do_not_speak_flags_an_interpreter_and_keeps_her_language():
    patient = PatientFactory(mrn="LANG1", language="es")

    record_patient_from_feed(mrn="LANG1", register=False, language="Vietnamese")

    patient.refresh_from_db()
    assert (patient.language, patient.interpreter_needed, patient.interpreter_language) == ("es", True, "Vietnamese")


def test_a_language_we_speak_clears_the_interpreter_flag():
    PatientFactory(mrn="LANG2", interpreter_needed=True, interpreter_language="Vietnamese")

    patient = record_patient_from_feed(mrn="LANG2", register=False, language="en")

    assert (patient.language, patient.interpreter_needed, patient.interpreter_language) == ("en", False, "")


def test_death_cancels_her_upcoming_appointment_with_the_coded_reason_and_withdraws_every_message_to_her():
    patient = PatientFactory(mrn="DIED1")
    appointment = booked(patient)
    assert Message.objects.filter(subject=appointment.holder, audience="patient", status="scheduled").exists()

    record_patient_from_feed(mrn="DIED1", register=False, deceased=True, deceased_at=NOW)

    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason_code) == ("cancelled", "deceased")
    to_her = Message.objects.filter(subject=appointment.holder, audience="patient")
    assert not to_her.filter(status="scheduled").exists()
    assert not to_her.filter(kind="cancelled").exists()
    patient.refresh_from_db()
    assert (patient.deceased, patient.deceased_at) == (True, NOW)


def test_a_staff_cancel_for_a_deceased_patient_plans_no_cancellation_message_to_her():
    appointment = booked(PatientFactory())

    cancel_appointment(
        appointment_id=appointment.pk, actor=StaffMemberFactory(scheduler=True).user, reason_code=CancelReason.DECEASED
    )

    assert not Message.objects.filter(subject=appointment.holder, audience="patient", kind="cancelled").exists()


def test_any_other_cancel_still_tells_her():
    appointment = booked(PatientFactory())

    cancel_appointment(
        appointment_id=appointment.pk,
        actor=StaffMemberFactory(scheduler=True).user,
        reason_code=CancelReason.PATIENT_REQUEST,
    )

    assert Message.objects.filter(subject=appointment.holder, audience="patient", kind="cancelled").exists()
