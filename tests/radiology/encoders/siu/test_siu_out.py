"""SIU out over MLLP: each booking change becomes one HL7 v2.5.1 message, validated by a real
receiver with hl7apy (STRICT, groups found), delivered by the outbox, in order, once."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from notifications import services as outbox
from notifications.models import Message
from radiology.services.booking import book_appointment
from radiology.services.cancellation import cancel_appointment, mark_no_show
from radiology.services.rescheduling import reschedule_appointment
from tests.actions import take_action
from tests.factories import OrderFactory, PatientFactory, small_department
from tests.radiology.encoders.siu.receiver import MLLPReceiver

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=NY)  # Monday
WEDNESDAY_10 = datetime(2027, 1, 13, 10, 0, tzinfo=NY)
S = Message.Status


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def two_room_dept():
    """Two rooms and two technologists, so a move or a re-staffing has somewhere to go."""
    return small_department(rooms=2, radiologists=1, technologists=2)


def book(galactogram, scheduler, two_room_dept, **kwargs):
    if "patient" not in kwargs:
        kwargs["patient"] = PatientFactory(mrn="MRN-0042", given_name="Ana", family_name="Lopez")
    return book_appointment(
        procedure=galactogram,
        start=WEDNESDAY_10,
        duration_minutes=45,
        actor=scheduler,
        room=two_room_dept.rooms[0],
        radiologist=two_room_dept.radiologists[0],
        technologist=two_room_dept.technologists[0],
        side="left",
        indication="spontaneous_single_duct",
        **kwargs,
    )


def deliver_due(now=None):
    """One dispatcher round: claim what is due, run the send task's service on it. Returns
    the HL7 rows' outcomes (the patient's reminders go out too, to the file SMS backend)."""
    now = now or datetime.now(tz=NY)
    ids, token = outbox.claim_due(now=now, limit=100)
    outcomes = outbox.deliver_messages(message_ids=ids, token=token, now=now) if ids else {}
    hl7 = set(Message.objects.filter(pk__in=ids, channel="hl7").values_list("pk", flat=True))
    return {pk: outcome for pk, outcome in outcomes.items() if pk in hl7}


def siu_rows(appointment):
    return list(Message.objects.filter(subject=f"siu:{appointment.pk}").order_by("pk"))


def field(received, segment, number):
    line = next(s for s in received.er7.split("\r") if s.startswith(segment))
    return line.split("|")[number - (segment == "MSH")]


def test_a_booking_sends_an_s12_that_the_receiver_validates_strictly_and_accepts(
    receiver, galactogram, two_room_dept, scheduler
):
    scheduler.first_name, scheduler.last_name = "Sam", "Clerk"
    scheduler.save()
    appointment = book(galactogram, scheduler, two_room_dept)

    outcomes = deliver_due()

    [row] = siu_rows(appointment)
    [got] = receiver.received
    assert got.error == ""
    assert outcomes == {row.pk: "sent"}
    assert (got.event, got.answer) == ("S12", "AA")
    assert got.control_id == row.context["control_id"]
    row.refresh_from_db()
    assert (row.status, row.channel, row.provider_id) == (S.SENT, "hl7", got.ack_id)
    assert field(got, "MSH", 9) == "SIU^S12^SIU_S12"
    assert (field(got, "MSH", 15), field(got, "MSH", 16)) == ("AL", "NE")
    assert field(got, "SCH", 2) == f"{appointment.pk}^GALACTO"
    assert field(got, "SCH", 11) == "^^M45^20270113100000-0500^20270113104500-0500"
    assert field(got, "SCH", 20) == f"{scheduler.username}^Clerk^Sam"
    assert field(got, "SCH", 25) == "Booked^Booked^HL70278"
    assert field(got, "SCH", 27) == f"{appointment.order.accession_number}^GALACTO"
    assert field(got, "PID", 3) == "MRN-0042^^^HOSPITAL^MR"
    assert field(got, "AIS", 3).startswith("19030^")
    assert field(got, "AIG", 3) == f"{two_room_dept.technologists[0].pk}^{two_room_dept.technologists[0].name}"
    assert field(got, "AIL", 3) == f"^{two_room_dept.rooms[0].name}^^RADIOLOGY"
    assert field(got, "AIP", 3).startswith(f"{two_room_dept.radiologists[0].pk}^")


def test_the_message_carries_no_clinical_detail(receiver, galactogram, two_room_dept, scheduler):
    appointment = book(galactogram, scheduler, two_room_dept)
    appointment.order.indication_other = "bloody discharge"  # not in the order's coded field

    deliver_due()

    er7 = receiver.received[0].er7
    for clinical in ("discharge", "Spontaneous", "left", "House"):
        assert clinical not in er7


def test_an_ehr_placed_order_fills_sch_26_with_its_placer_number(receiver, galactogram, two_room_dept, scheduler):
    patient = PatientFactory()
    order = OrderFactory(patient=patient, placer_system="EPIC", placer_order_number="PO-777")

    book(galactogram, scheduler, two_room_dept, patient=patient, order=order)
    deliver_due()

    assert field(receiver.received[0], "SCH", 26) == "PO-777^EPIC"


def test_a_move_to_another_time_is_s13_and_a_change_of_room_alone_is_s14(
    receiver, galactogram, two_room_dept, scheduler
):
    appointment = book(galactogram, scheduler, two_room_dept)
    reschedule_appointment(appointment_id=appointment.pk, start=WEDNESDAY_10 + timedelta(hours=2), actor=scheduler)
    reschedule_appointment(
        appointment_id=appointment.pk,
        start=WEDNESDAY_10 + timedelta(hours=2),
        room=two_room_dept.rooms[1],
        radiologist=two_room_dept.radiologists[0],
        technologist=two_room_dept.technologists[1],
        actor=scheduler,
    )

    for _ in range(3):
        deliver_due()

    assert [r.event for r in receiver.received] == ["S12", "S13", "S14"]
    assert all(r.error == "" for r in receiver.received)
    assert field(receiver.received[1], "SCH", 11) == "^^M45^20270113120000-0500^20270113124500-0500"
    assert field(receiver.received[2], "AIL", 3) == f"^{two_room_dept.rooms[1].name}^^RADIOLOGY"
    assert [r.subject_version for r in siu_rows(appointment)] == [1, 2, 3]


def test_another_technologist_at_the_same_time_right_after_booking_is_s14(
    receiver, galactogram, two_room_dept, scheduler
):
    appointment = book(galactogram, scheduler, two_room_dept)
    reschedule_appointment(
        appointment_id=appointment.pk,
        start=WEDNESDAY_10.astimezone(ZoneInfo("UTC")),  # the same instant, written in another zone
        technologist=two_room_dept.technologists[1],
        actor=scheduler,
    )

    deliver_due()
    deliver_due()

    assert [r.event for r in receiver.received] == ["S12", "S14"]
    assert (
        field(receiver.received[1], "AIG", 3)
        == f"{two_room_dept.technologists[1].pk}^{two_room_dept.technologists[1].name}"
    )


def test_a_reschedule_that_changes_nothing_sends_nothing(receiver, galactogram, two_room_dept, scheduler):
    appointment = book(galactogram, scheduler, two_room_dept)
    reschedule_appointment(
        appointment_id=appointment.pk,
        start=WEDNESDAY_10,
        room=two_room_dept.rooms[0],
        radiologist=two_room_dept.radiologists[0],
        technologist=two_room_dept.technologists[0],
        actor=scheduler,
    )

    assert [r.kind for r in siu_rows(appointment)] == ["siu_s12"]


def test_a_cancellation_is_s15_and_a_no_show_is_s26(receiver, galactogram, two_room_dept, scheduler, frozen):
    cancelled = book(galactogram, scheduler, two_room_dept)
    cancel_appointment(appointment_id=cancelled.pk, actor=scheduler, reason_code="patient_request")
    missed = book(galactogram, scheduler, two_room_dept, patient=PatientFactory())
    frozen.move_to(WEDNESDAY_10 + timedelta(hours=1))
    mark_no_show(appointment_id=missed.pk, actor=scheduler)

    deliver_due()
    deliver_due()

    events = {(r.control_id, r.event) for r in receiver.received}
    rows = {r.context["control_id"]: r for r in Message.objects.filter(channel="hl7")}
    assert {(rows[c].subject, e) for c, e in events} == {
        (f"siu:{cancelled.pk}", "S12"),
        (f"siu:{cancelled.pk}", "S15"),
        (f"siu:{missed.pk}", "S12"),
        (f"siu:{missed.pk}", "S26"),
    }
    s15 = next(r for r in receiver.received if r.event == "S15")
    s26 = next(r for r in receiver.received if r.event == "S26")
    assert field(s15, "SCH", 25) == "Cancelled^Cancelled^HL70278"
    assert field(s15, "SCH", 6) == "patient_request^Patient asked to cancel^99GCR"  # the coded reason
    assert field(s26, "SCH", 25) == "Noshow^Noshow^HL70278"
    assert field(s26, "SCH", 6) == "S26^Patient did not arrive^L"
    assert all(r.error == "" for r in receiver.received)


def test_an_abort_is_an_s14_discontinued_with_the_abort_reason(receiver, galactogram, two_room_dept, scheduler, frozen):
    appointment = book(galactogram, scheduler, two_room_dept)
    technologist = two_room_dept.technologists[0].user
    frozen.move_to(WEDNESDAY_10 - timedelta(hours=1))
    take_action(appointment.pk, "check_in", technologist)
    take_action(appointment.pk, "start", technologist)
    take_action(appointment.pk, "abort", technologist, reason_code="contrast_reaction")

    deliver_due()
    deliver_due()

    assert [(r.event, r.error) for r in receiver.received] == [("S12", ""), ("S14", "")]
    aborted = receiver.received[1]
    assert field(aborted, "SCH", 6) == "contrast_reaction^Contrast reaction^99GAR"
    assert field(aborted, "SCH", 25) == "Dc^Dc^HL70278"
    assert field(aborted, "AIS", 10) == "Dc^Dc^HL70278"


def test_an_ar_is_retried_later_with_the_same_control_id(
    receiver, galactogram, two_room_dept, scheduler, frozen, settings
):
    receiver.answers[:] = ["AR"]
    appointment = book(galactogram, scheduler, two_room_dept)

    first = deliver_due()
    [row] = siu_rows(appointment)
    assert first == {row.pk: "retry"}
    assert deliver_due(NOW + timedelta(seconds=59)) == {}  # backoff: 60 s × 2^0
    second = deliver_due(NOW + timedelta(seconds=60))

    row.refresh_from_db()
    assert second == {row.pk: "sent"}
    assert [r.answer for r in receiver.received] == ["AR", "AA"]
    assert receiver.received[0].control_id == receiver.received[1].control_id == row.context["control_id"]
    assert (row.status, row.attempts) == (S.SENT, 2)


def test_no_ack_in_time_is_retried(receiver, galactogram, two_room_dept, scheduler):
    receiver.answers[:] = ["timeout"]
    appointment = book(galactogram, scheduler, two_room_dept)

    assert deliver_due() == {siu_rows(appointment)[0].pk: "retry"}
    [row] = siu_rows(appointment)
    assert row.status == S.SCHEDULED and "No ACK" in row.last_error
    assert deliver_due(NOW + timedelta(minutes=1)) == {row.pk: "sent"}


def test_an_ack_for_another_control_id_is_not_taken_as_delivery(receiver, galactogram, two_room_dept, scheduler):
    receiver.answers[:] = ["wrong-id"]
    appointment = book(galactogram, scheduler, two_room_dept)

    deliver_due()

    [row] = siu_rows(appointment)
    assert row.status == S.SCHEDULED
    assert "SOMEONE-ELSES-ID" in row.last_error


def test_an_ae_fails_the_message_and_staff_see_it_among_the_problems(
    receiver, galactogram, two_room_dept, scheduler, client
):
    receiver.answers[:] = ["AE"]
    appointment = book(galactogram, scheduler, two_room_dept)

    deliver_due()

    [row] = siu_rows(appointment)
    assert (row.status, row.attempts) == (S.FAILED, 1)
    assert row.last_error.startswith("HL7 AE")
    client.force_login(scheduler)
    page = client.get("/messages/problems/").content.decode()
    assert "HL7 AE" in page
    assert f'href="/appointments/{appointment.pk}/"' in page


def test_a_later_event_waits_until_the_earlier_one_is_sent(receiver, galactogram, two_room_dept, scheduler):
    receiver.answers[:] = ["AR", "AR"]
    appointment = book(galactogram, scheduler, two_room_dept)
    deliver_due()  # S12: AR, due again in 60 s
    cancel_appointment(appointment_id=appointment.pk, actor=scheduler, reason_code="patient_request")

    assert deliver_due() == {}  # the S15 is due but waits behind the S12
    deliver_due(NOW + timedelta(minutes=1))  # S12: AR again, due in 120 s
    assert deliver_due(NOW + timedelta(minutes=2)) == {}
    deliver_due(NOW + timedelta(minutes=3))  # S12 accepted
    deliver_due(NOW + timedelta(minutes=3))  # now the S15

    sent = [(r.event, r.answer) for r in receiver.received]
    assert sent == [("S12", "AR"), ("S12", "AR"), ("S12", "AA"), ("S15", "AA")]
    assert [r.status for r in siu_rows(appointment)] == [S.SENT, S.SENT]


def test_a_failed_event_lets_the_next_one_go(receiver, galactogram, two_room_dept, scheduler):
    receiver.answers[:] = ["AE"]
    appointment = book(galactogram, scheduler, two_room_dept)
    cancel_appointment(appointment_id=appointment.pk, actor=scheduler, reason_code="patient_request")

    deliver_due()
    deliver_due()

    assert [(r.event, r.answer) for r in receiver.received] == [("S12", "AE"), ("S15", "AA")]


def test_one_event_of_one_version_is_planned_once(receiver, galactogram, two_room_dept, scheduler):
    from radiology.services import hl7_events

    appointment = book(galactogram, scheduler, two_room_dept)
    hl7_events.on_booked(appointment=appointment, actor=scheduler, now=NOW)

    assert len(siu_rows(appointment)) == 1


def test_nothing_is_planned_while_no_endpoint_is_configured(galactogram, two_room_dept, scheduler, settings):
    settings.HL7_OUT_HOST = ""
    appointment = book(galactogram, scheduler, two_room_dept)
    cancel_appointment(appointment_id=appointment.pk, actor=scheduler, reason_code="patient_request")

    assert not Message.objects.filter(channel="hl7").exists()


def test_a_rolled_back_booking_plans_no_message(receiver, galactogram, two_room_dept, scheduler):
    from radiology.errors import ServiceRefusal

    book(galactogram, scheduler, two_room_dept)
    with pytest.raises(ServiceRefusal):
        book(galactogram, scheduler, two_room_dept, patient=PatientFactory())  # the same room and time

    assert Message.objects.filter(channel="hl7").count() == 1


def test_the_receiver_flags_a_message_that_is_not_valid_siu(receiver):
    """The receiver's validation can fail: a message without SCH-16 or RGS is refused (AE)."""
    from notifications.channels import Outgoing, PermanentError
    from notifications.channels.mllp import MLLPBackend

    bad = "MSH|^~\\&|G|B|EHR|H|20261201090000-0500||SIU^S12^SIU_S12|BAD1|P|2.5.1|||AL|NE\rSCH|1^G|1^G\r"
    receiver.answers[:] = ["AE"]

    with pytest.raises(PermanentError):
        MLLPBackend().send(Outgoing(recipient="ehr", text=bad, idempotency_key="k"))

    assert "Missing required child SCH.SCH_" in receiver.received[0].error


@pytest.fixture
def tls_receiver(settings, pki):
    """The EHR's receiver over TLS with a certificate the hospital's CA signed; it asks for ours."""
    from config import tls

    server = MLLPReceiver(
        ssl_context=tls.server_context(cert=pki.server.cert, key=pki.server.key, ca=pki.ca, prefix="T")
    )
    settings.HL7_OUT_HOST, settings.HL7_OUT_PORT, settings.HL7_OUT_TIMEOUT = "127.0.0.1", server.port, 2.0
    settings.HL7_OUT_MESSAGES = ["siu"]
    settings.HL7_OUT_TLS_CA = pki.ca
    settings.HL7_OUT_TLS_CERT, settings.HL7_OUT_TLS_KEY = pki.client.cert, pki.client.key
    yield server
    server.stop()


def test_over_tls_the_booking_reaches_the_receiver_that_checked_our_certificate(
    tls_receiver, galactogram, two_room_dept, scheduler
):
    appointment = book(galactogram, scheduler, two_room_dept)
    assert set(deliver_due().values()) == {"sent"}
    assert [r.event for r in tls_receiver.received] == ["S12"]
    assert tls_receiver.refused == []
    assert siu_rows(appointment)[0].status == S.SENT


def test_a_receiver_whose_certificate_our_ca_did_not_sign_gets_nothing(
    tls_receiver, galactogram, two_room_dept, scheduler, settings, pki
):
    from config import tls

    tls_receiver.ssl_context = tls.server_context(cert=pki.stranger.cert, key=pki.stranger.key, prefix="T")
    appointment = book(galactogram, scheduler, two_room_dept)
    assert set(deliver_due().values()) == {"retry"}
    assert tls_receiver.received == []
    row = siu_rows(appointment)[0]
    assert row.status == S.SCHEDULED and "SSLCertVerificationError" in row.last_error


def test_without_our_certificate_the_receiver_refuses_the_connection(
    tls_receiver, galactogram, two_room_dept, scheduler, settings
):
    settings.HL7_OUT_TLS_CERT = settings.HL7_OUT_TLS_KEY = ""
    book(galactogram, scheduler, two_room_dept)
    assert set(deliver_due().values()) == {"retry"}
    assert tls_receiver.received == [] and tls_receiver.refused


def test_booking_her_without_naming_her_waiting_ehr_order_still_sends_its_placer_number(
    receiver, galactogram, two_room_dept, scheduler
):
    patient = PatientFactory()
    order = OrderFactory(patient=patient, placer_system="EPIC", placer_order_number="PO-778")

    appointment = book(galactogram, scheduler, two_room_dept, patient=patient)
    deliver_due()

    assert appointment.order == order
    assert field(receiver.received[0], "SCH", 26) == "PO-778^EPIC"
    assert field(receiver.received[0], "SCH", 27) == f"{order.accession_number}^GALACTO"
