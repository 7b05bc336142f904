"""The order's status to the EHR (IHE RAD-3): ORM^O01 v2.3.1 or OMG^O19 v2.5.1, ORC-5 from the
told table, sent only when the status changes, in one order with the order's SIU, each message
validated by a real MLLP receiver with hl7apy at STRICT."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from radiology.services import hl7_events
from radiology.services.booking import book_appointment
from radiology.services.cancellation import cancel_appointment, mark_no_show
from radiology.services.rescheduling import reschedule_appointment
from tests.actions import take_action
from tests.factories import OrderFactory, PatientFactory, small_department
from tests.radiology.encoders.hl7_out.support import deliver_all, field, hl7_rows, kind, receiving

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=NY)  # Monday
WEDNESDAY_10 = datetime(2027, 1, 13, 10, 0, tzinfo=NY)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def two_rooms():
    return small_department(rooms=2, radiologists=1, technologists=2)


def book(galactogram, scheduler, two_rooms, *, order=None, start=WEDNESDAY_10):
    patient = order.patient if order else PatientFactory(mrn="MRN-0042", given_name="Ana", family_name="Lopez")
    return book_appointment(
        patient=patient,
        order=order,
        procedure=galactogram,
        start=start,
        duration_minutes=45,
        actor=scheduler,
        room=two_rooms.rooms[0],
        radiologist=two_rooms.radiologists[0],
        technologist=two_rooms.technologists[0],
        side="" if order else "left",
        indication="" if order else "spontaneous_single_duct",
    )


def test_booked_started_performed_are_sc_ip_cm_and_a_move_or_check_in_sends_no_second_sc(
    ehr_receiver, galactogram, scheduler, two_rooms, frozen
):
    order = OrderFactory(placer_system="EPIC", placer_order_number="PO-777", referring_physician_npi="1234567893")
    appointment = book(galactogram, scheduler, two_rooms, order=order)
    reschedule_appointment(appointment_id=appointment.pk, start=WEDNESDAY_10 + timedelta(hours=2), actor=scheduler)
    frozen.move_to(WEDNESDAY_10 + timedelta(hours=1, minutes=50))
    technologist = two_rooms.technologists[0].user
    take_action(appointment.pk, "check_in", technologist)
    take_action(appointment.pk, "start", technologist)
    take_action(appointment.pk, "exam_done", technologist)
    take_action(appointment.pk, "complete", technologist, **{})  # the outcome: CM already told

    deliver_all()

    got = [r for r in ehr_receiver.received if not field(r, "MSH", 9).startswith("DFT")]
    assert [(kind(r), r.error) for r in got] == [
        ("S12", ""),
        ("order SC", ""),
        ("S13", ""),
        ("order IP", ""),
        ("order CM", ""),
    ]
    sc = got[1]
    assert field(sc, "MSH", 9) == "ORM^O01^ORM_O01" and field(sc, "MSH", 12) == "2.3.1"
    assert field(sc, "ORC", 1) == "SC"
    assert field(sc, "ORC", 2) == "PO-777^EPIC"
    assert field(sc, "ORC", 3) == f"{order.accession_number}^GALACTO"
    assert field(sc, "ORC", 16) == ""
    assert field(sc, "OBR", 2) == "PO-777^EPIC"
    assert field(sc, "OBR", 4) == "19030^" + galactogram.name + "^C4"
    assert field(sc, "OBR", 18) == order.accession_number
    assert field(sc, "OBR", 20) == f"SPS{appointment.pk}"
    assert field(sc, "ORC", 12).startswith("1234567893^")
    assert field(sc, "PID", 3) == "MRN-0042^^^HOSPITAL^MR" or field(sc, "PID", 3).endswith("^^^HOSPITAL^MR")
    assert field(got[3], "OBR", 7) == "20270113115000-0500"  # started
    # One order key for all of them, so none overtakes another.
    assert {row.order_key for row in hl7_rows()} == {f"order:{order.pk}"}


def test_omg_o19_in_251_when_the_setting_says_so(settings, galactogram, scheduler, two_rooms):
    with receiving(settings, messages=["orm"], order_status_version="2.5.1") as ehr:
        appointment = book(galactogram, scheduler, two_rooms)
        deliver_all()

    [sc] = ehr.received
    assert sc.error == ""
    assert field(sc, "MSH", 9) == "OMG^O19^OMG_O19" and field(sc, "MSH", 12) == "2.5.1"
    assert field(sc, "TQ1", 7) == "20270113100000-0500"
    assert field(sc, "ORC", 2) == ""  # entered here: the EHR has no placer number for it
    assert field(sc, "OBR", 18) == appointment.order.accession_number


def test_a_cancellation_is_ca_with_the_coded_reason_and_the_rebooking_sc_again_in_order(
    ehr_receiver, galactogram, scheduler, two_rooms
):
    ehr_receiver.answers[:] = ["AR"]  # the first message waits: nothing of its order overtakes it
    appointment = book(galactogram, scheduler, two_rooms)
    cancel_appointment(appointment_id=appointment.pk, actor=scheduler, reason_code="patient_request")
    again = book(galactogram, scheduler, two_rooms, order=appointment.order, start=WEDNESDAY_10 + timedelta(days=1))

    assert deliver_all() == ["retry"]  # the S12 is refused for now; the rest wait behind it
    deliver_all(datetime.now(tz=NY) + timedelta(minutes=1))

    assert [kind(r) for r in ehr_receiver.received] == ["S12", "S12", "order SC", "S15", "order CA", "S12", "order SC"]
    assert all(r.error == "" for r in ehr_receiver.received)
    ca = ehr_receiver.received[4]
    assert field(ca, "ORC", 16) == "patient_request^Patient asked to cancel^99GCR"
    assert field(ehr_receiver.received[6], "OBR", 20) == f"SPS{again.pk}"


def test_a_no_show_is_ca_and_an_abort_dc_each_with_its_reason(ehr_receiver, galactogram, scheduler, two_rooms, frozen):
    missed = book(galactogram, scheduler, two_rooms)
    aborted = book(galactogram, scheduler, two_rooms, order=OrderFactory(), start=WEDNESDAY_10 + timedelta(hours=3))
    frozen.move_to(WEDNESDAY_10 + timedelta(hours=1))
    mark_no_show(appointment_id=missed.pk, actor=scheduler)
    technologist = two_rooms.technologists[0].user
    frozen.move_to(WEDNESDAY_10 + timedelta(hours=2, minutes=50))
    take_action(aborted.pk, "check_in", technologist)
    take_action(aborted.pk, "start", technologist)
    take_action(aborted.pk, "abort", technologist, reason_code="contrast_reaction")

    deliver_all()

    orders = {
        (field(r, "ORC", 3).split("^")[0], field(r, "ORC", 5)): field(r, "ORC", 16)
        for r in ehr_receiver.received
        if field(r, "MSH", 9).startswith("ORM")
    }
    assert orders == {
        (missed.order.accession_number, "SC"): "",
        (missed.order.accession_number, "CA"): "no_show^Patient did not arrive^L",
        (aborted.order.accession_number, "SC"): "",
        (aborted.order.accession_number, "IP"): "",
        (aborted.order.accession_number, "DC"): "contrast_reaction^Contrast reaction^99GAR",
    }
    assert all(r.error == "" for r in ehr_receiver.received)


def test_a_missed_visit_nobody_rebooked_puts_the_order_on_hold_for_the_referrer(
    ehr_receiver, galactogram, scheduler, two_rooms, frozen
):
    # Issue #20 C: after the rebooking loop's last step the order is flagged to the referring
    # physician through its order status: HD (on hold) with the reason, once, after the CA.
    missed = book(galactogram, scheduler, two_rooms)
    frozen.move_to(WEDNESDAY_10 + timedelta(hours=1))
    mark_no_show(appointment_id=missed.pk, actor=scheduler)
    frozen.move_to(WEDNESDAY_10 + timedelta(days=10))
    hl7_events.on_order_flagged_to_referrer(appointment=missed, now=WEDNESDAY_10 + timedelta(days=10))
    hl7_events.on_order_flagged_to_referrer(appointment=missed, now=WEDNESDAY_10 + timedelta(days=10, hours=1))

    deliver_all()

    statuses = [
        (field(r, "ORC", 5), field(r, "ORC", 16)) for r in ehr_receiver.received if field(r, "MSH", 9).startswith("ORM")
    ]
    assert statuses == [
        ("SC", ""),
        ("CA", "no_show^Patient did not arrive^L"),
        ("HD", "not_rebooked^Not rebooked after a missed visit: the patient could not be reached^99GRB"),
    ]
    assert all(r.error == "" for r in ehr_receiver.received)


def test_each_status_is_planned_once_however_often_it_is_planned(ehr_receiver, galactogram, scheduler, two_rooms):
    appointment = book(galactogram, scheduler, two_rooms)
    hl7_events.on_booked(appointment=appointment, actor=scheduler, now=NOW)

    assert [row.kind for row in hl7_rows()] == ["siu_s12", "orm_o01"]


def test_switched_off_kinds_plan_nothing(settings, galactogram, scheduler, two_rooms):
    with receiving(settings, messages=["siu"]):
        book(galactogram, scheduler, two_rooms)
    assert [row.kind for row in hl7_rows()] == ["siu_s12"]

    with receiving(settings, messages=["orm"]):
        book(galactogram, scheduler, two_rooms, order=OrderFactory(), start=WEDNESDAY_10 + timedelta(hours=2))
    assert [row.kind for row in hl7_rows()] == ["siu_s12", "orm_o01"]
