"""Pregnancy and breastfeeding at check-in (radiology.services.check_in_questions through
check_in_patient): asked when the order, her age or her sex leave them open; a positive
answer stops the check-in, and the way out is the radiologist's decision."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction

from radiology.errors import ServiceRefusal
from radiology.models import CheckInChecklist
from radiology.services import workflow
from tests.actions import CHECKLIST, take_action
from tests.factories import AppointmentFactory, CheckInChecklistFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db

# The confirmations alone: the questions not answered at the desk.
CONFIRMED = {name: value for name, value in CHECKLIST.items() if name not in ("pregnancy", "breastfeeding")}


def _appointment(*, born=date(1988, 6, 1), order_days_old=1, **order):
    appointment = AppointmentFactory(status="reminded", patient__birth_date=born)
    appointment.order.received_at = appointment.start - timedelta(days=order_days_old)
    for name, value in order.items():
        setattr(appointment.order, name, value)
    appointment.order.save()
    return appointment


def _check_in(appointment, nurse, **answers):
    with time_machine.travel(appointment.start - timedelta(minutes=5), tick=False):
        return workflow.check_in_patient(
            appointment_id=appointment.pk, actor=nurse, checklist=workflow.Checklist(**{**CONFIRMED, **answers})
        )


@pytest.fixture
def nurse():
    return StaffMemberFactory(nurse=True).user


def test_a_young_patient_whose_order_says_nothing_is_asked_both_questions(nurse):
    appointment = _appointment()
    with pytest.raises(ServiceRefusal) as refusal:
        _check_in(appointment, nurse)
    assert refusal.value.fields == {
        "pregnancy": "Ask whether she is or may be pregnant.",
        "breastfeeding": "Ask whether she is breastfeeding.",
    }
    appointment.refresh_from_db()
    assert appointment.status == "reminded" and not CheckInChecklist.objects.exists()


def test_her_answers_at_the_desk_are_recorded_as_asked(nurse):
    appointment = _appointment()
    _check_in(appointment, nurse, pregnancy="not_pregnant", breastfeeding=False)
    checklist = CheckInChecklist.objects.get(appointment=appointment)
    assert (checklist.pregnancy, checklist.pregnancy_settled_by) == ("not_pregnant", "asked")
    assert (checklist.breastfeeding, checklist.breastfeeding_settled_by) == (False, "asked")


def test_from_55_neither_is_asked_and_the_checklist_says_her_age_settled_them(nurse):
    appointment = _appointment(born=date(1960, 1, 1))
    _check_in(appointment, nurse)
    checklist = CheckInChecklist.objects.get(appointment=appointment)
    assert (checklist.pregnancy, checklist.pregnancy_settled_by) == ("not_pregnant", "age")
    assert (checklist.breastfeeding, checklist.breastfeeding_settled_by) == (False, "age")


def test_the_day_before_her_55th_birthday_she_is_still_asked(nurse):
    appointment = _appointment()
    start_day = appointment.local_start.date()
    appointment.patient.birth_date = date(start_day.year - 55, start_day.month, start_day.day) + timedelta(days=1)
    appointment.patient.save()
    with pytest.raises(ServiceRefusal) as refusal:
        _check_in(appointment, nurse)
    assert set(refusal.value.fields) == {"pregnancy", "breastfeeding"}


def test_a_recent_order_that_states_both_settles_them(nurse):
    appointment = _appointment(pregnancy_status="not_pregnant", lactating=False, order_days_old=3)
    _check_in(appointment, nurse)
    checklist = CheckInChecklist.objects.get(appointment=appointment)
    assert (checklist.pregnancy_settled_by, checklist.breastfeeding_settled_by) == ("order", "order")


def test_an_order_older_than_a_week_is_asked_again(nurse):
    appointment = _appointment(pregnancy_status="not_pregnant", lactating=False, order_days_old=8)
    with pytest.raises(ServiceRefusal) as refusal:
        _check_in(appointment, nurse)
    assert set(refusal.value.fields) == {"pregnancy", "breastfeeding"}


def test_a_male_patient_is_not_asked(nurse):
    appointment = _appointment()
    appointment.patient.sex = "male"
    appointment.patient.save()
    _check_in(appointment, nurse)
    assert CheckInChecklist.objects.get(appointment=appointment).pregnancy_settled_by == "sex"


def test_possibly_pregnant_stops_the_check_in_and_points_to_the_radiologist(nurse):
    appointment = _appointment()
    with pytest.raises(ServiceRefusal) as refusal:
        _check_in(appointment, nurse, pregnancy="possible", breastfeeding=False)
    assert set(refusal.value.fields) == {"pregnancy"}
    assert "The radiologist decides" in refusal.value.message
    assert "did not proceed" in refusal.value.message
    appointment.refresh_from_db()
    assert appointment.status == "reminded"


def test_what_she_says_at_the_desk_counts_over_the_order(nurse):
    appointment = _appointment(pregnancy_status="not_pregnant", lactating=False)
    with pytest.raises(ServiceRefusal) as refusal:
        _check_in(appointment, nurse, pregnancy="possible")
    assert set(refusal.value.fields) == {"pregnancy"}


def test_an_order_saying_pregnant_stops_the_check_in_without_asking(nurse):
    appointment = _appointment(pregnancy_status="pregnant", lactating=False)
    with pytest.raises(ServiceRefusal) as refusal:
        _check_in(appointment, nurse)
    assert set(refusal.value.fields) == {"pregnancy"}


def test_breastfeeding_stops_the_check_in_too(nurse):
    appointment = _appointment()
    with pytest.raises(ServiceRefusal) as refusal:
        _check_in(appointment, nurse, pregnancy="not_pregnant", breastfeeding=True)
    assert set(refusal.value.fields) == {"breastfeeding"}
    assert "she is breastfeeding" in refusal.value.message


def test_the_radiologists_decision_to_go_ahead_checks_her_in_and_is_recorded(nurse):
    appointment = _appointment()
    radiologist = StaffMemberFactory(radiologist=True, user__first_name="Ada", user__last_name="Okafor")
    _check_in(
        appointment,
        nurse,
        pregnancy="not_pregnant",
        breastfeeding=True,
        cleared_by=radiologist,
        clearance_reason="Weaned to one feed a day; discharge bloody from one duct",
    )
    appointment.refresh_from_db()
    assert appointment.status == "checked_in"
    checklist = appointment.checklist
    assert checklist.cleared_by == radiologist
    assert checklist.clearance_reason.startswith("Weaned")
    log = appointment.transitions.get(action="check_in")
    assert "breastfeeding: Ada Okafor decided to go ahead" in log.note


def test_going_ahead_needs_the_reason(nurse):
    appointment = _appointment()
    radiologist = StaffMemberFactory(radiologist=True)
    with pytest.raises(ServiceRefusal) as refusal:
        _check_in(appointment, nurse, pregnancy="possible", breastfeeding=False, cleared_by=radiologist)
    assert set(refusal.value.fields) == {"clearance_reason"}


def test_only_a_radiologist_decides_to_go_ahead(nurse):
    appointment = _appointment()
    technologist = StaffMemberFactory(role="technologist")
    with pytest.raises(ServiceRefusal) as refusal:
        _check_in(
            appointment,
            nurse,
            pregnancy="possible",
            breastfeeding=False,
            cleared_by=technologist,
            clearance_reason="Test negative",
        )
    assert "is not a radiologist" in refusal.value.fields["cleared_by"]


def test_a_decision_where_none_was_needed_is_not_recorded(nurse):
    appointment = _appointment()
    radiologist = StaffMemberFactory(radiologist=True)
    _check_in(
        appointment,
        nurse,
        pregnancy="not_pregnant",
        breastfeeding=False,
        cleared_by=radiologist,
        clearance_reason="Just in case",
    )
    checklist = CheckInChecklist.objects.get(appointment=appointment)
    assert (checklist.cleared_by, checklist.clearance_reason) == (None, "")


def test_the_way_out_did_not_proceed_takes_the_pregnancy_reason(nurse):
    appointment = _appointment()
    with time_machine.travel(appointment.start - timedelta(minutes=5), tick=False):
        take_action(appointment.pk, "did_not_proceed", nurse, reason_code="pregnancy")
    appointment.refresh_from_db()
    assert appointment.status == "did_not_proceed"
    assert appointment.abort_reason == "Pregnant or possibly pregnant (radiologist's decision)"


def test_the_database_refuses_a_positive_answer_without_a_radiologists_decision():
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckInChecklistFactory(pregnancy="possible", pregnancy_settled_by="asked")
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckInChecklistFactory(breastfeeding=True, breastfeeding_settled_by="")
    radiologist = StaffMemberFactory(radiologist=True)
    CheckInChecklistFactory(
        breastfeeding=True, breastfeeding_settled_by="asked", cleared_by=radiologist, clearance_reason="Weaning"
    )
