"""Orders through the services: every booking has one, its identifiers never change, its
status follows its appointment, cancelling it cancels the appointment; readiness flags and
the work queue; the invariants the database keeps."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction

from notifications.models import Message
from radiology.errors import ServiceRefusal
from radiology.models import Order
from radiology.services import orders
from radiology.services.booking import book_appointment
from radiology.services.cancellation import cancel_appointment
from radiology.services.rescheduling import reschedule_appointment
from radiology.services.workflow import Checklist, check_in_patient
from tests.actions import take_action
from tests.factories import (
    AppointmentFactory,
    CheckInChecklistFactory,
    OrderFactory,
    PatientFactory,
    RoomFactory,
    StaffMemberFactory,
)

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=NY)  # Monday
WEDNESDAY_10 = datetime(2027, 1, 13, 10, 0, tzinfo=NY)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def book(scheduler, galactogram, *, start=WEDNESDAY_10, patient=None, **kwargs):
    return book_appointment(
        patient=patient or PatientFactory(),
        procedure=galactogram,
        start=start,
        duration_minutes=45,
        actor=scheduler,
        **kwargs,
    )


def test_a_booking_without_an_order_creates_one_from_what_the_scheduler_entered(dept, scheduler, galactogram):
    appointment = book(scheduler, galactogram, side="right", indication="suspected_ectasia")

    order = appointment.order
    assert (order.side, order.indication, order.status) == ("right", "suspected_ectasia", "scheduled")
    assert order.patient == appointment.patient and order.created_by == scheduler
    assert order.accession_number == "GA2027010400001"
    assert order.study_instance_uid.startswith("2.25.") and len(order.study_instance_uid) <= 64


def test_accession_numbers_count_up_per_clinic_day_and_fit_dicom_sh(dept, scheduler, galactogram):
    first = book(scheduler, galactogram).order.accession_number
    second = book(scheduler, galactogram, start=WEDNESDAY_10 + timedelta(hours=1)).order.accession_number
    with time_machine.travel(datetime(2027, 1, 5, 0, 30, tzinfo=NY), tick=False):  # 05:30 UTC: next local day
        third = orders.create_order(actor=scheduler, patient=PatientFactory(), procedure=galactogram).accession_number

    assert (first, second, third) == ("GA2027010400001", "GA2027010400002", "GA2027010500001")
    assert all(len(n) <= 16 and n.isalnum() for n in (first, second, third))


def test_a_booking_from_a_waiting_order_links_it_and_marks_it_scheduled(dept, scheduler, galactogram):
    order = orders.create_order(actor=scheduler, patient=PatientFactory(), procedure=galactogram, side="left")

    appointment = book(scheduler, galactogram, patient=order.patient, order=order)

    order.refresh_from_db()
    assert appointment.order == order and order.status == "scheduled"


def test_an_order_of_another_patient_or_already_booked_cannot_be_booked(dept, scheduler, galactogram):
    order = orders.create_order(actor=scheduler, patient=PatientFactory(), procedure=galactogram)
    with pytest.raises(ServiceRefusal, match="another patient"):
        book(scheduler, galactogram, order=order)

    book(scheduler, galactogram, patient=order.patient, order=order)
    with pytest.raises(ServiceRefusal, match="Already booked: "):
        book(scheduler, galactogram, patient=order.patient, order=order, start=WEDNESDAY_10 + timedelta(days=1))


def test_reschedule_keeps_the_accession_number_and_study_uid(dept, scheduler, galactogram):
    appointment = book(scheduler, galactogram)
    before = (appointment.order.accession_number, appointment.order.study_instance_uid)

    moved = reschedule_appointment(
        appointment_id=appointment.pk, start=WEDNESDAY_10 + timedelta(days=1), actor=scheduler
    )

    assert moved.order_id == appointment.order_id
    assert (moved.order.accession_number, moved.order.study_instance_uid) == before


def test_a_cancelled_appointment_returns_its_order_to_the_queue_with_the_same_identifiers(dept, scheduler, galactogram):
    appointment = book(scheduler, galactogram)
    cancel_appointment(appointment_id=appointment.pk, actor=scheduler, reason_code="patient_unwell")

    order = Order.objects.get(pk=appointment.order_id)
    assert order.status == "waiting"
    again = book(scheduler, galactogram, patient=order.patient, order=order, start=WEDNESDAY_10 + timedelta(days=2))
    assert again.order.accession_number == order.accession_number


def test_a_completed_appointment_completes_its_order(galactogram):
    appointment = AppointmentFactory(status="in_procedure")

    take_action(appointment.pk, "complete", appointment.radiologist.user)

    assert Order.objects.get(pk=appointment.order_id).status == "completed"


def test_cancelling_an_order_cancels_its_booked_appointment_and_withdraws_reminders(dept, scheduler, galactogram):
    appointment = book(scheduler, galactogram)

    order = orders.cancel_order(order_id=appointment.order_id, reason="Referral withdrawn", actor=scheduler)

    appointment.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", "Referral withdrawn")
    assert (
        appointment.status == "cancelled"
        and appointment.cancel_reason == "Referring physician cancelled the order: Referral withdrawn"
    )
    subject = f"appointment:{appointment.pk}"
    assert not Message.objects.filter(subject=subject, status="scheduled").exclude(kind="cancelled").exists()


def test_an_order_whose_exam_is_under_way_cannot_be_cancelled(dept, scheduler):
    appointment = AppointmentFactory(status="in_procedure")

    with pytest.raises(ServiceRefusal, match="under way"):
        orders.cancel_order(order_id=appointment.order_id, reason="Changed mind", actor=scheduler)
    assert Order.objects.get(pk=appointment.order_id).status == "scheduled"


def test_a_technologist_cannot_cancel_an_order():
    order = OrderFactory()

    with pytest.raises(ServiceRefusal) as refused:
        orders.cancel_order(order_id=order.pk, reason="x", actor=StaffMemberFactory().user)
    assert refused.value.code == "forbidden"


def test_an_order_update_changes_its_facts_but_never_its_identifiers(dept, scheduler):
    order = OrderFactory(side="left")

    changed = orders.update_order(order_id=order.pk, actor=scheduler, side="right", lactating=True)

    assert (changed.side, changed.lactating) == ("right", True)
    assert (changed.accession_number, changed.study_instance_uid) == (order.accession_number, order.study_instance_uid)


def test_other_indication_needs_its_text_at_the_service_and_in_the_database(dept, scheduler, galactogram):
    with pytest.raises(ServiceRefusal, match="Describe the indication"):
        orders.create_order(actor=scheduler, patient=PatientFactory(), procedure=galactogram, indication="other")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderFactory(indication="other", indication_other="")


def test_a_placer_order_number_is_unique_per_placer_only(dept, scheduler, galactogram):
    patient = PatientFactory()
    orders.create_order(
        actor=None, patient=patient, procedure=galactogram, placer_system="EPIC", placer_order_number="A1"
    )
    orders.create_order(
        actor=None, patient=patient, procedure=galactogram, placer_system="LAB", placer_order_number="A1"
    )
    with pytest.raises(ServiceRefusal, match="already exists"):
        orders.create_order(
            actor=None, patient=patient, procedure=galactogram, placer_system="EPIC", placer_order_number="A1"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderFactory(placer_system="EPIC", placer_order_number="A1")
    OrderFactory(placer_order_number="")
    OrderFactory(placer_order_number="")  # orders entered here have none


def test_one_order_has_at_most_one_live_appointment_in_the_database():
    appointment = AppointmentFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(order=appointment.order, patient=appointment.patient)
    AppointmentFactory(order=appointment.order, patient=appointment.patient, status="cancelled", cancel_reason="x")


def test_a_room_ae_title_is_unique_when_given():
    RoomFactory(ae_title="")
    RoomFactory(ae_title="")
    RoomFactory(ae_title="MAMMO1")
    with pytest.raises(IntegrityError), transaction.atomic():
        RoomFactory(ae_title="MAMMO1")


def test_check_in_needs_the_side_confirmed_at_the_service_and_in_the_database():
    appointment = AppointmentFactory(start=NOW + timedelta(hours=2))
    tech = StaffMemberFactory().user
    checklist = Checklist(True, True, False, True, True, True, side_confirmed=False)

    with pytest.raises(ServiceRefusal, match="which breast"):
        check_in_patient(appointment_id=appointment.pk, actor=tech, checklist=checklist)
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckInChecklistFactory(side_confirmed=False)


@pytest.mark.parametrize(
    ("facts", "codes"),
    [
        ({"prior_imaging_kind": "none"}, ["no_prior_imaging"]),
        ({"prior_imaging_kind": "mammogram", "prior_imaging_date": date(2026, 10, 6)}, []),  # 90 days
        ({"prior_imaging_kind": "ultrasound", "prior_imaging_date": date(2026, 10, 5)}, ["prior_imaging_old"]),
        ({"prior_imaging_kind": "ultrasound", "prior_imaging_date": None}, ["prior_imaging_undated"]),
        (
            {"prior_imaging_kind": "mammogram", "prior_imaging_date": date(2026, 12, 1), "lactating": True},
            ["lactating"],
        ),
        (
            {"prior_imaging_kind": "none", "priority": "urgent", "side": ""},
            ["urgent", "no_prior_imaging", "side_missing"],
        ),
        ({"prior_imaging_kind": "none", "pregnancy_status": "possible"}, ["no_prior_imaging", "pregnancy"]),
    ],
)
def test_readiness_flags_name_what_the_department_should_know(facts, codes):
    order = OrderFactory(**facts)

    assert [f.code for f in orders.order_readiness(order, on=date(2027, 1, 4))] == codes


def test_the_work_queue_lists_waiting_orders_urgent_first_then_the_longest_waiting():
    old = OrderFactory(received_at=NOW - timedelta(days=10), patient__birth_date=date(1980, 1, 5))
    new_urgent = OrderFactory(received_at=NOW - timedelta(days=1), priority="urgent")
    newer = OrderFactory(received_at=NOW - timedelta(days=2))
    OrderFactory(status="scheduled")
    OrderFactory(status="cancelled", cancel_reason="x")

    rows = orders.orders_to_schedule()

    assert [r.order for r in rows] == [new_urgent, old, newer]
    assert (rows[1].waiting_days, rows[1].patient_age) == (10, 46)


def test_an_order_cannot_change_while_its_patient_is_checked_in(dept, scheduler):
    appointment = AppointmentFactory(status="checked_in", order__side="left")

    with pytest.raises(ServiceRefusal, match="checked in"):
        orders.update_order(order_id=appointment.order_id, actor=scheduler, side="right")
    assert Order.objects.get(pk=appointment.order_id).side == "left"
