"""The report (ORU^R01 v2.5.1: P, F, and C for an addendum) and the charges (DFT^P03 v2.5.1:
CG when the outcome is recorded, CD and CG when a correction changes the codes) to a real MLLP
receiver that parses them with hl7apy at STRICT; each exactly once."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from radiology.errors import ServiceRefusal
from radiology.services import hl7_events
from radiology.services.booking import book_appointment
from radiology.services.workflow import correct_outcome
from tests.actions import take_action
from tests.factories import PatientFactory, ReportAddendumFactory, ReportFactory, small_department
from tests.radiology.encoders.hl7_out.support import deliver_all, field, hl7_rows, kind, receiving, segments

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=NY)  # Monday of the week before
AT_10 = datetime(2027, 1, 13, 10, 0, tzinfo=NY)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def one_room():
    return small_department(rooms=1, radiologists=1, technologists=1)


def completed(galactogram, scheduler, one_room, frozen, *, ducts="single"):
    """An exam booked, performed at 10:00 and its outcome recorded (one duct: 19030 + 77053)."""
    appointment = book_appointment(
        patient=PatientFactory(mrn="MRN-0042"),
        procedure=galactogram,
        start=AT_10,
        duration_minutes=45,
        actor=scheduler,
        room=one_room.rooms[0],
        radiologist=one_room.radiologists[0],
        technologist=one_room.technologists[0],
        side="left",
        indication="spontaneous_single_duct",
    )
    technologist = one_room.technologists[0].user
    frozen.move_to(AT_10 - timedelta(minutes=10))
    take_action(appointment.pk, "check_in", technologist)
    frozen.move_to(AT_10)
    take_action(appointment.pk, "start", technologist)
    frozen.move_to(AT_10 + timedelta(minutes=30))
    take_action(appointment.pk, "exam_done", technologist)
    outcome = {"ducts": ducts, "contrast_volume_ml": Decimal("1.5"), "complications": ["none"]}
    take_action(appointment.pk, "complete", technologist, outcome=outcome)
    appointment.refresh_from_db()
    return appointment


def of(receiver, prefix):
    return [r for r in receiver.received if field(r, "MSH", 9).startswith(prefix)]


def test_preliminary_final_and_addendum_are_p_f_c_once_each_with_the_text_line_by_line(
    ehr_receiver, galactogram, scheduler, one_room, frozen
):
    appointment = completed(galactogram, scheduler, one_room, frozen)
    radiologist = one_room.radiologists[0]
    radiologist.user.first_name, radiologist.user.last_name = "Rita", "Ray"
    radiologist.user.save()
    report = ReportFactory(
        appointment=appointment,
        findings="Single duct opacified.\n\nA filling defect | 4 mm ^ from the nipple.",
        impression="Likely papilloma.",
        assessment="4",
        recommendation="biopsy",
    )
    hl7_events.on_report(report=report, actor=radiologist.user, now=NOW)
    hl7_events.on_report(report=report, actor=radiologist.user, now=NOW)  # the same version: once
    report.status, report.version = "final", 2
    report.signed_by, report.signed_at = radiologist, AT_10 + timedelta(hours=2)
    report.save()
    hl7_events.on_report(report=report, actor=radiologist.user, now=NOW)
    addendum = ReportAddendumFactory(report=report, number=1, text="Compared with the outside ultrasound: it matches.")
    hl7_events.on_report(report=report, addendum=addendum, actor=radiologist.user, now=NOW)
    hl7_events.on_report(report=report, addendum=addendum, actor=radiologist.user, now=NOW)

    deliver_all()

    reports = of(ehr_receiver, "ORU")
    assert [(kind(r), r.error) for r in reports] == [("report P", ""), ("report F", ""), ("report C", "")]
    assert [row.idempotency_key for row in hl7_rows(kind="oru_r01")] == [
        f"oru:{report.pk}:v1",
        f"oru:{report.pk}:v2",
        f"oru:{report.pk}:a1",
    ]
    preliminary, final, corrected = reports
    assert field(final, "MSH", 9) == "ORU^R01^ORU_R01" and field(final, "MSH", 12) == "2.5.1"
    assert field(final, "OBR", 3) == f"{appointment.order.accession_number}^GALACTO"
    assert field(final, "OBR", 18) == appointment.order.accession_number
    assert field(final, "OBR", 32) == f"{radiologist.pk}&Ray&Rita"
    assert field(final, "OBR", 22) == "20270113120000-0500"
    text = [(obx[4], obx[5]) for obx in segments(final, "OBX") if obx[2] == "TX"]
    assert text == [
        ("1", "Single duct opacified."),
        ("1", ""),
        ("1", "A filling defect \\F\\ 4 mm \\S\\ from the nipple."),
        ("2", "Likely papilloma."),
    ]
    coded = {obx[3].split("^")[0]: obx[5] for obx in segments(final, "OBX") if obx[2] == "CWE"}
    assert coded["111005"].startswith("397144001^") and coded["111005"].endswith("^SCT^4^BI-RADS 4: suspicious^99GBR")
    assert coded["121075"] == "biopsy^Biopsy^99GRC"
    assert {obx[11] for obx in segments(preliminary, "OBX")} == {"P"}
    assert {obx[11] for obx in segments(corrected, "OBX")} == {"C"}
    # The corrected result carries the original text and the addendum after it.
    assert [obx[5] for obx in segments(corrected, "OBX") if obx[2] == "TX"][-1] == (
        "Compared with the outside ultrasound: it matches."
    )
    assert "Likely papilloma." in corrected.er7


def test_the_outcome_is_charged_once_with_19030_and_77053(ehr_receiver, galactogram, scheduler, one_room, frozen):
    appointment = completed(galactogram, scheduler, one_room, frozen)

    deliver_all()

    [charge] = of(ehr_receiver, "DFT")
    assert (kind(charge), charge.error) == ("charge CG:19030,CG:77053", "")
    ft1 = segments(charge, "FT1")
    assert [row[10] for row in ft1] == ["1", "1"]
    assert {row[4] for row in ft1} == {"20270113103000-0500"}  # performed at 10:30
    assert {row[20] for row in ft1} == {
        f"{one_room.radiologists[0].pk}^{one_room.radiologists[0].user.last_name}^"
        f"{one_room.radiologists[0].user.first_name}"
    }
    assert {row[23] for row in ft1} == {f"{appointment.order.accession_number}^GALACTO"}
    assert field(charge, "EVN", 1) == "P03"


def test_a_correction_of_the_ducts_credits_the_old_codes_and_charges_the_new(
    ehr_receiver, galactogram, scheduler, one_room, frozen
):
    appointment = completed(galactogram, scheduler, one_room, frozen)
    radiologist = one_room.radiologists[0].user

    correct_outcome(
        appointment_id=appointment.pk,
        actor=radiologist,
        ducts="multiple",
        contrast_volume_ml=Decimal("1.5"),
        complications=["none"],
        reason="Second duct seen on review",
    )
    deliver_all()

    assert [kind(r) for r in of(ehr_receiver, "DFT")] == [
        "charge CG:19030,CG:77053",
        "charge CD:19030,CD:77053",
        "charge CG:19030,CG:77054",
    ]
    assert all(r.error == "" for r in ehr_receiver.received)
    appointment.outcome.refresh_from_db()
    assert (appointment.outcome.ducts, appointment.outcome.imaging_cpt) == ("multiple", "77054")
    logged = appointment.transitions.get(action="correct_outcome")
    assert logged.note == "Second duct seen on review (ducts: single → multiple)"


def test_a_correction_that_keeps_the_codes_sends_no_charge_and_one_that_changes_nothing_is_refused(
    ehr_receiver, galactogram, scheduler, one_room, frozen
):
    appointment = completed(galactogram, scheduler, one_room, frozen)
    radiologist = one_room.radiologists[0].user
    correct_outcome(
        appointment_id=appointment.pk,
        actor=radiologist,
        ducts="single",
        contrast_volume_ml=Decimal("2.0"),
        complications=["none"],
        reason="Volume misread",
    )
    with pytest.raises(ServiceRefusal, match="changes nothing"):
        correct_outcome(
            appointment_id=appointment.pk,
            actor=radiologist,
            ducts="single",
            contrast_volume_ml=Decimal("2.0"),
            complications=["none"],
            reason="Again",
        )
    with pytest.raises(ServiceRefusal, match="Say why"):
        correct_outcome(
            appointment_id=appointment.pk,
            actor=radiologist,
            ducts="multiple",
            contrast_volume_ml=Decimal("2.0"),
            complications=["none"],
            reason=" ",
        )

    assert [row.meta["type"] for row in hl7_rows(kind="dft_p03")] == ["CG"]
    assert appointment.transitions.filter(action="correct_outcome").count() == 1


def test_no_outcome_yet_is_refused(galactogram, scheduler, one_room, frozen, technologist):
    appointment = book_appointment(
        patient=PatientFactory(),
        procedure=galactogram,
        start=AT_10,
        duration_minutes=45,
        actor=scheduler,
        side="left",
        indication="spontaneous_single_duct",
    )
    with pytest.raises(ServiceRefusal, match="No outcome is recorded"):
        correct_outcome(
            appointment_id=appointment.pk,
            actor=technologist,
            ducts="multiple",
            contrast_volume_ml=Decimal("2.0"),
            complications=["none"],
            reason="Review",
        )


def test_switched_off_reports_and_charges_plan_nothing(settings, galactogram, scheduler, one_room, frozen):
    with receiving(settings, messages=["siu", "orm"]):
        appointment = completed(galactogram, scheduler, one_room, frozen)
        report = ReportFactory(appointment=appointment)
        hl7_events.on_report(report=report, actor=scheduler, now=NOW)

    assert not hl7_rows(kind="oru_r01") and not hl7_rows(kind="dft_p03")
    assert {row.kind for row in hl7_rows()} == {"siu_s12", "orm_o01"}
