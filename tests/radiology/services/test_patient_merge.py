"""merge_patients and change_identifier (radiology.services.patient_merge): what moves, what
stays, and the merges the service will not do. The HL7 door's tests are in
tests/radiology/interfaces/hl7/test_adt_merge.py."""

import pytest
import time_machine
from django.utils import timezone

from procedures.models import Procedure
from radiology.errors import ServiceRefusal
from radiology.models import Patient, TodoNote
from radiology.selectors.reach import patients_to_reach
from radiology.services.booking import book_appointment
from radiology.services.cancellation import cancel_appointment
from radiology.services.patient_merge import change_identifier, merge_patients, survivor_for_mrn
from tests.factories import OrderFactory, PatientFactory, _next_weekday_at, small_department

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen_now():
    with time_machine.travel(timezone.now(), tick=False):
        yield timezone.now()


def booked(patient, actor, *, days_ahead, reason=""):
    order = OrderFactory(patient=patient, procedure=Procedure.objects.get(slug="galactogram"))
    return book_appointment(
        patient=patient,
        procedure=order.procedure,
        start=_next_weekday_at(10, days_ahead=days_ahead),
        duration_minutes=45,
        actor=actor,
        order=order,
        repeat_booking_reason=reason,
    )


def test_a_merge_moves_her_to_do_notes_and_earlier_merged_records_to_the_survivor(scheduler, frozen_now):
    oldest = PatientFactory(mrn="W1000001")
    old = PatientFactory(mrn="X1000001", no_contact=True)
    survivor = PatientFactory(mrn="Y1000001")
    merge_patients(from_mrn="W1000001", into_mrn="X1000001", actor=None, now=frozen_now)
    TodoNote.objects.create(patient=old, outcome="called", note="Voicemail", by=scheduler, at=frozen_now)

    result = merge_patients(from_mrn="X1000001", into_mrn="Y1000001", actor=None, now=frozen_now)

    assert result.outcome == "merged"
    assert TodoNote.objects.get().patient == survivor
    oldest.refresh_from_db()
    assert oldest.merged_into == survivor  # no chain to follow
    assert survivor_for_mrn("w1000001") == survivor
    assert set(Patient.objects.get(pk=survivor.pk).merged_records.all()) == {oldest, old}


def test_a_merge_conflict_leaves_the_to_do_when_one_of_the_two_is_cancelled(scheduler):
    small_department(rooms=2, radiologists=2, technologists=2)
    old, survivor = PatientFactory(mrn="X1000001"), PatientFactory(mrn="Y1000001")
    first = booked(old, scheduler, days_ahead=7)
    booked(survivor, scheduler, days_ahead=8)

    result = merge_patients(from_mrn="X1000001", into_mrn="Y1000001", actor=None, now=timezone.now())

    assert len(result.conflicts) == 2  # noqa: PLR2004
    assert [i.patient for i in patients_to_reach()] == [survivor]
    cancel_appointment(appointment_id=first.pk, actor=scheduler, reason_code="booked_in_error")
    assert patients_to_reach() == []


def test_a_conflict_and_a_contact_flag_are_one_row_with_both_reasons(scheduler):
    small_department(rooms=2, radiologists=2, technologists=2)
    old, survivor = PatientFactory(mrn="X1000001"), PatientFactory(mrn="Y1000001")
    booked(old, scheduler, days_ahead=7)
    booked(survivor, scheduler, days_ahead=8)
    merge_patients(from_mrn="X1000001", into_mrn="Y1000001", actor=None, now=timezone.now())
    Patient.objects.filter(pk=survivor.pk).update(
        contact_flag="check_contact", contact_as_sent="555-123", contact_flagged_at=timezone.now()
    )

    (item,) = patients_to_reach()

    assert "Check contact" in item.reason and "Merge conflict: 2 galactograms ahead" in item.reason


def test_a_record_merged_into_one_patient_is_not_merged_into_another(frozen_now):
    PatientFactory(mrn="X1000001")
    PatientFactory(mrn="Y1000001")
    PatientFactory(mrn="Z1000001")
    merge_patients(from_mrn="X1000001", into_mrn="Y1000001", actor=None, now=frozen_now)

    with pytest.raises(ServiceRefusal) as refused:
        merge_patients(from_mrn="X1000001", into_mrn="Z1000001", actor=None, now=frozen_now)

    assert refused.value.code == "conflict" and "merged into MRN Y1000001 before" in refused.value.message


def test_nothing_is_merged_into_a_record_that_was_itself_merged_away(frozen_now):
    PatientFactory(mrn="X1000001")
    PatientFactory(mrn="Y1000001")
    PatientFactory(mrn="Z1000001")
    merge_patients(from_mrn="Y1000001", into_mrn="Z1000001", actor=None, now=frozen_now)

    with pytest.raises(ServiceRefusal) as refused:
        merge_patients(from_mrn="X1000001", into_mrn="Y1000001", actor=None, now=frozen_now)

    assert refused.value.code == "conflict" and "merge into that one" in refused.value.message
    assert Patient.objects.get(mrn="X1000001").merged_into is None


def test_a_merge_needs_the_change_patient_permission(technologist, frozen_now):
    PatientFactory(mrn="X1000001")
    PatientFactory(mrn="Y1000001")

    with pytest.raises(ServiceRefusal) as refused:
        merge_patients(from_mrn="X1000001", into_mrn="Y1000001", actor=technologist, now=frozen_now)

    assert refused.value.code == "forbidden"


def test_an_identifier_change_to_a_taken_mrn_names_the_holder_and_changes_nothing(frozen_now):
    PatientFactory(mrn="X1000002")
    holder = PatientFactory(mrn="Y1000002")

    with pytest.raises(ServiceRefusal) as refused:
        change_identifier(old_mrn="X1000002", new_mrn="Y1000002", actor=None, now=frozen_now)

    assert refused.value.code == "conflict" and refused.value.existing_patient_id == holder.pk
    assert Patient.objects.filter(mrn="X1000002").exists()
