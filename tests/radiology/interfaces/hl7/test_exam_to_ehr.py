"""End to end, issue #19's loop: an HL7 order comes in, is booked, checked in, started and
performed at the modality (MPPS), its outcome recorded, then a preliminary report, the final
one and an addendum, written through the report service. The EHR's real MLLP receiver gets,
in order and once each, all valid at hl7apy STRICT: the SIU booking, the order statuses SC, IP,
CM, the charge (19030 and 77053) and the reports P, F, C; and FHIR says the same facts."""

import base64
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from radiology.interfaces.hl7.intake import receive
from radiology.models import Order
from radiology.services import reports
from radiology.services.booking import book_appointment
from radiology.services.performed_steps import StepReport, record_step_created, record_step_updated
from tests.actions import take_action
from tests.factories import small_department
from tests.radiology.encoders.hl7_out.support import deliver_all, field, hl7_rows, kind, receiving
from tests.radiology.interfaces.api.conftest import client_for
from tests.radiology.interfaces.fhir.conftest import fhir
from tests.radiology.interfaces.hl7.conftest import order_message

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=NY)
AT_10 = datetime(2027, 1, 13, 10, 0, tzinfo=NY)


def step(order, appointment, status, **values):
    return StepReport(
        status=status,
        attributes={},
        study_instance_uid=order.study_instance_uid,
        scheduled_step_id=f"SPS{appointment.pk}",
        accession_number=order.accession_number,
        started_at=AT_10,
        **values,
    )


def test_an_hl7_order_booked_performed_reported_and_charged_reaches_the_ehr_in_order_once_each(
    settings, galactogram, scheduler
):
    team = small_department()
    with time_machine.travel(NOW, tick=False) as clock, receiving(settings) as ehr:
        assert receive(order_message(control_id="IN1", placer="ORD9001").encode()).message.outcome == "accepted"
        order = Order.objects.get(placer_order_number="ORD9001")
        appointment = book_appointment(
            patient=order.patient,
            order=order,
            procedure=galactogram,
            start=AT_10,
            duration_minutes=45,
            actor=scheduler,
            room=team.rooms[0],
            radiologist=team.radiologists[0],
            technologist=team.technologists[0],
        )
        clock.move_to(AT_10 - timedelta(minutes=10))
        technologist = team.technologists[0].user
        take_action(appointment.pk, "check_in", technologist)
        clock.move_to(AT_10)
        record_step_created(sop_instance_uid="1.2.3.1", report=step(order, appointment, "IN PROGRESS"))
        clock.move_to(AT_10 + timedelta(minutes=30))
        record_step_updated(
            sop_instance_uid="1.2.3.1",
            report_for=lambda _stored: step(
                order,
                appointment,
                "COMPLETED",
                ended_at=AT_10 + timedelta(minutes=30),
                procedure_codes=["77053"],
                contrast_volume_ml=Decimal("1.5"),
            ),  # no complications line: performed, the outcome still to record
        )
        appointment.refresh_from_db()
        assert appointment.status == "performed"
        take_action(
            appointment.pk,
            "complete",
            technologist,
            outcome={"ducts": "single", "contrast_volume_ml": Decimal("1.5"), "complications": ["none"]},
        )

        radiologist = team.radiologists[0].user
        radiologist.set_password("sign-here")
        radiologist.save()
        words = {"findings": "Single duct opacified.", "impression": "Filling defect.", "recommendation": "biopsy"}
        clock.move_to(AT_10 + timedelta(hours=1))
        reports.save_report(appointment_id=appointment.pk, actor=radiologist, assessment="4", **words)
        clock.move_to(AT_10 + timedelta(hours=2))
        reports.save_report(
            appointment_id=appointment.pk,
            actor=radiologist,
            assessment="4",
            final=True,
            password="sign-here",
            **words,
        )
        clock.move_to(AT_10 + timedelta(days=1))
        reports.add_addendum(
            appointment_id=appointment.pk,
            actor=radiologist,
            text="Compared with the outside ultrasound: it matches.",
            password="sign-here",
        )

        outcomes = deliver_all()

    assert set(outcomes) == {"sent"}
    assert [(kind(r), r.error) for r in ehr.received] == [
        ("S12", ""),
        ("order SC", ""),
        ("order IP", ""),
        ("order CM", ""),
        ("charge CG:19030,CG:77053", ""),
        ("report P", ""),
        ("report F", ""),
        ("report C", ""),
    ]
    assert len({r.control_id for r in ehr.received}) == 8  # once each
    assert {row.order_key for row in hl7_rows()} == {f"order:{order.pk}"}
    for received in ehr.received[1:]:
        message_type = field(received, "MSH", 9)
        if message_type.startswith(("ORM", "ORU")):
            assert field(received, "ORC", 2) == "ORD9001^EPIC"  # the EHR's own order number
            assert field(received, "OBR", 18) == order.accession_number
        else:
            assert field(received, "FT1", 23) == f"{order.accession_number}^GALACTO"

    # FHIR says the same facts, each resource valid R4 (fhir.resources R4B).
    fhir_client = client_for(scheduler)
    request = fhir(fhir_client, "GET", "ServiceRequest", identifier=order.accession_number).body["entry"]
    assert [e["resource"]["status"] for e in request] == ["completed"]
    based_on = f"ServiceRequest/{request[0]['resource']['id']}"
    [report] = [
        e["resource"] for e in fhir(fhir_client, "GET", "DiagnosticReport", **{"based-on": based_on}).body["entry"]
    ]
    assert report["status"] == "appended"  # final, then an addendum; the original unchanged
    assert "Compared with the outside ultrasound" in base64.b64decode(report["presentedForm"][0]["data"]).decode()
    [study] = [e["resource"] for e in fhir(fhir_client, "GET", "ImagingStudy", **{"based-on": based_on}).body["entry"]]
    assert study["status"] == "available"
    assert fhir(fhir_client, "GET", f"Appointment/{appointment.pk}").body["status"] == "fulfilled"
