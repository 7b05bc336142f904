"""HL7 v2 orders over real MLLP frames (a raw-socket client): NW creates, XO changes,
CA/OC cancels, a repeat changes nothing twice, a bad message writes nothing but its row."""

import threading
from datetime import date

import pytest
from django.db import DatabaseError

from notifications.models import Message
from radiology.models import InterfaceMessage, Order, Patient
from radiology.services.booking import book_appointment
from tests.factories import StaffMemberFactory, _next_weekday_at, small_department
from tests.radiology.interfaces.hl7.conftest import Client, order_message, parse_ack

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_order_creates_the_patient_and_a_waiting_order_and_is_acknowledged_aa(client):
    ack = parse_ack(client.send(order_message(control_id="MSG0001")))

    assert ack["MSA"][1:3] == ["AA", "MSG0001"]
    assert ack["MSH"][8] == "ACK^O01^ACK" and ack["MSH"][11] == "2.5.1"
    assert "ERR" not in ack
    patient = Patient.objects.get(mrn="MRN12345")
    assert (patient.family_name, patient.given_name, patient.birth_date) == ("Núñez", "José", date(1980, 1, 2))
    assert str(patient.phone) == "+12025550123"
    order = patient.orders.get()
    assert order.status == Order.Status.WAITING
    assert (order.placer_system, order.placer_order_number) == ("EPIC", "ORD9001")
    assert (order.side, order.indication, order.priority) == ("left", "bloody", "routine")
    assert order.referring_physician_pn == "House^Gregory" and order.referring_physician_npi == "1234567893"
    assert order.referring_physician_phone == "+12025559999"
    assert "Discharge since June" in order.note and "Patient prefers mornings" in order.note
    assert len(order.accession_number) <= 16 and order.study_instance_uid.startswith("2.25.")
    assert order.accession_number in ack["MSA"][3]
    stored = InterfaceMessage.objects.get()
    assert (stored.outcome, stored.control_id, stored.order) == ("accepted", "MSG0001", order)
    assert stored.reply.encode() == client.send(order_message(control_id="MSG0001"))  # the repeat, below


def test_an_orders_pid_15_fills_her_language_or_flags_an_interpreter(client):
    ack = parse_ack(client.send(order_message(control_id="LANG1", language="POR^Portuguese^ISO639")))
    assert ack["MSA"][1] == "AA", ack
    patient = Patient.objects.get(mrn="MRN12345")
    assert (patient.language, patient.interpreter_needed, patient.interpreter_language) == ("en", True, "Portuguese")

    ack = parse_ack(client.send(order_message(control_id="LANG2", placer="ORD9002", language="SPA^Spanish^ISO639")))
    assert ack["MSA"][1] == "AA", ack
    patient.refresh_from_db()
    assert (patient.language, patient.interpreter_needed, patient.interpreter_language) == ("es", False, "")


def test_a_version_2_3_1_order_with_ce_fields_is_accepted(client):
    ack = parse_ack(client.send(order_message(version="2.3.1", control_id="OLD1", side="R", priority="S")))

    assert ack["MSA"][1:3] == ["AA", "OLD1"] and ack["MSH"][11] == "2.3.1"
    order = Order.objects.get()
    assert (order.side, order.priority) == ("right", "urgent")


def test_an_omg_o19_order_is_accepted(client):
    ack = parse_ack(client.send(order_message(message_type="OMG^O19^OMG_O19", control_id="OMG1")))

    assert ack["MSA"][1:3] == ["AA", "OMG1"] and ack["MSH"][8] == "ACK^O19^ACK"
    assert Order.objects.filter(placer_order_number="ORD9001").exists()


def test_a_change_updates_the_order_and_keeps_its_identifiers(client):
    client.send(order_message(control_id="MSG1"))
    order = Order.objects.get()

    ack = parse_ack(
        client.send(order_message(control="XO", control_id="MSG2", side="R", indication="suspected_papilloma"))
    )

    assert ack["MSA"][1:3] == ["AA", "MSG2"]
    changed = Order.objects.get()
    assert (changed.side, changed.indication) == ("right", "suspected_papilloma")
    assert (changed.accession_number, changed.study_instance_uid) == (order.accession_number, order.study_instance_uid)
    assert changed.history.count() == 2  # the change is audited


def test_a_cancel_cancels_the_order_and_its_booked_appointment_withdrawing_reminders(client):
    client.send(order_message(control_id="MSG1"))
    order = Order.objects.get()
    small_department()
    appointment = book_appointment(
        patient=order.patient,
        procedure=order.procedure,
        start=_next_weekday_at(10, days_ahead=7),
        duration_minutes=45,
        actor=StaffMemberFactory(scheduler=True).user,
        order=order,
    )
    assert Message.objects.filter(subject=f"appointment:{appointment.pk}", status="scheduled").exists()

    ack = parse_ack(client.send(order_message(control="CA", control_id="MSG2", reason="DUP^Duplicate order")))

    assert ack["MSA"][1:3] == ["AA", "MSG2"]
    order.refresh_from_db()
    appointment.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", "Duplicate order")
    assert appointment.status == "cancelled" and "Duplicate order" in appointment.cancel_reason
    pending = Message.objects.filter(subject=f"appointment:{appointment.pk}", status="scheduled")
    assert list(pending.values_list("kind", flat=True)) == ["cancelled"]  # only the patient's notice


def test_a_repeated_control_id_is_answered_identically_and_changes_nothing_twice(client):
    first = client.send(order_message(control_id="SAME"))
    second = client.send(order_message(control_id="SAME"))
    # Even a repeat whose content differs is the same message to HL7: answered as before.
    third = client.send(order_message(control_id="SAME", placer="OTHER"))

    assert first == second == third
    assert Order.objects.count() == 1 and Patient.objects.count() == 1
    rows = InterfaceMessage.objects.order_by("pk")
    assert list(rows.values_list("outcome", flat=True)) == ["accepted", "duplicate", "duplicate"]
    assert rows[1].duplicate_of == rows[0]


def test_a_message_that_fails_halfway_writes_nothing_but_its_row(client):
    # A new patient and an unknown procedure: the patient must not be registered either.
    ack = parse_ack(client.send(order_message(procedure="99999^Knee MRI^C4", control_id="BAD1")))

    assert ack["MSA"][1:3] == ["AE", "BAD1"]
    assert "99999" in ack["MSA"][3]
    assert ack["ERR"][2] == "OBR^1^4" and ack["ERR"][3].startswith("103^")
    assert not Patient.objects.exists() and not Order.objects.exists()
    assert InterfaceMessage.objects.get().outcome == "error"


@pytest.fixture
def storing_accepted_messages_fails(monkeypatch):
    """The database refuses the row of an accepted message (disk full, a dropped connection):
    the failure comes after the order was applied, inside the same transaction."""
    manager = InterfaceMessage.objects
    create = manager.create

    def refuse_accepted(**fields):
        if fields.get("outcome") == InterfaceMessage.Outcome.ACCEPTED:
            raise DatabaseError("could not write to the interface message table")
        return create(**fields)

    monkeypatch.setattr(manager, "create", refuse_accepted)
    return monkeypatch


def test_a_message_whose_row_cannot_be_stored_is_answered_ae_and_applies_nothing(
    client, storing_accepted_messages_fails
):
    ack = parse_ack(client.send(order_message(control_id="LOST1")))

    # AA would tell the engine the order arrived; it would never resend it.
    assert ack["MSA"][1:3] == ["AE", "LOST1"]
    assert "resend" in ack["MSA"][3]
    assert ack["ERR"][3].startswith("207^")
    assert not Patient.objects.exists() and not Order.objects.exists()
    assert InterfaceMessage.objects.get().outcome == "failed"


def test_the_engines_resend_after_a_failed_store_is_processed_as_new(client, storing_accepted_messages_fails):
    client.send(order_message(control_id="LOST1"))
    storing_accepted_messages_fails.undo()

    ack = parse_ack(client.send(order_message(control_id="LOST1")))

    assert ack["MSA"][1:3] == ["AA", "LOST1"]
    assert Order.objects.filter(placer_order_number="ORD9001").count() == 1
    assert sorted(InterfaceMessage.objects.values_list("outcome", flat=True)) == ["accepted", "failed"]


def test_a_malformed_message_is_rejected_with_a_readable_reason(client):
    no_pid = "\r".join(line for line in order_message(control_id="BAD2").split("\r") if not line.startswith("PID"))

    ack = parse_ack(client.send(no_pid))

    assert ack["MSA"][1:3] == ["AR", "BAD2"]
    assert "no PID segment" in ack["MSA"][3]
    assert not Order.objects.exists()


def test_an_unknown_message_type_is_rejected_ar(client):
    # ADT is taken since issue #18 (hl7.adt); a master-file message is still not ours.
    mfn = order_message(message_type="MFN^M02^MFN_M02", control_id="MFN1")

    ack = parse_ack(client.send(mfn))

    assert ack["MSA"][1:3] == ["AR", "MFN1"]
    assert ack["ERR"][3].startswith("200^") and "MFN^M02" in ack["MSA"][3]
    assert not Order.objects.exists()


def test_several_messages_share_one_connection_in_order(client):
    for n in range(3):
        ack = parse_ack(client.send(order_message(control_id=f"K{n}", placer=f"P{n}")))
        assert ack["MSA"][1:3] == ["AA", f"K{n}"]
    assert Order.objects.count() == 3


def test_the_same_message_on_two_connections_at_once_is_applied_once_and_answered_alike(listener):
    clients = [Client(listener), Client(listener)]
    barrier = threading.Barrier(2)
    replies = [None, None]

    def send(n):
        barrier.wait()
        replies[n] = clients[n].send(order_message(control_id="RACE1"))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    for c in clients:
        c.close()

    assert replies[0] == replies[1] and parse_ack(replies[0])["MSA"][1] == "AA"
    assert Order.objects.count() == 1 and Patient.objects.count() == 1
    assert sorted(InterfaceMessage.objects.values_list("outcome", flat=True)) == ["accepted", "duplicate"]


def test_a_nul_byte_gets_an_ar_naming_where_it_is_and_a_row_on_interface_messages(client):
    # Issue #23: a raw NUL got no reply and no row (the sender resent for ever, nobody saw why).
    message = order_message(control_id="NUL1").replace("Discharge since June", "Discharge\x00 since June")
    ack = parse_ack(client.send(message))

    assert ack["MSA"][1:3] == ["AR", "NUL1"]
    assert ack["ERR"][3].startswith("102") and ack["ERR"][2].startswith("OBR^1^13")
    assert "NUL byte" in ack["MSA"][3] or "NUL byte" in ack["ERR"][8]
    stored = InterfaceMessage.objects.get()
    assert stored.outcome == "rejected" and "Discharge\u2400 since June" in stored.raw
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("field", "overrides", "location"),
    [
        ("name", {"name": "N" * 101 + "^José"}, "PID^1^5^1^1"),
        ("mrn", {"mrn": "M" * 21}, "PID^1^3"),
    ],
)
def test_a_value_too_long_for_the_record_gets_an_ae_naming_the_field_not_please_resend(
    client, field, overrides, location
):
    ack = parse_ack(client.send(order_message(control_id=f"LONG-{field}", **overrides)))

    assert ack["MSA"][1:3] == ["AE", f"LONG-{field}"]
    assert ack["ERR"][3].startswith("102") and ack["ERR"][2].startswith(location)
    assert "please resend" not in "|".join(ack["MSA"] + ack["ERR"]).lower()
    assert InterfaceMessage.objects.get().outcome == "error" and not Patient.objects.exists()
