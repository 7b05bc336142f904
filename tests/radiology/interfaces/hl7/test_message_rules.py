"""The message rules, through the listener's own entry point (radiology.interfaces.hl7.intake.receive,
what the MLLP server calls for each frame) without a socket: the OBX codes, refusals and
their ERR, character sets, patients by MRN."""

from datetime import date, timedelta

import pytest

from radiology.interfaces.hl7.intake import receive
from radiology.models import InterfaceMessage, Order, Patient
from tests.factories import PatientFactory
from tests.radiology.interfaces.hl7.conftest import order_message, parse_ack

pytestmark = pytest.mark.django_db


class Direct:
    """The same bytes the MLLP server would hand over, answered in this test's transaction."""

    def send(self, message: str | bytes) -> bytes:
        return receive(message.encode("utf-8") if isinstance(message, str) else message, peer="test").data


@pytest.fixture
def direct():
    """Not the folder's socket `client`: answered in the test's own transaction, no listener thread."""
    return Direct()


def test_the_documented_obx_codes_fill_the_clinical_facts(direct):
    extra = [
        "OBX|3|CWE|DISCHARGE_COLOUR^Discharge colour^L||bloody^Bloody^L||||||F",
        "OBX|4|CWE|DISCHARGE_DUCTS^Ducts^L||single^Single duct^L||||||F",
        "OBX|5|CWE|PRIOR_IMAGING^Prior imaging^L||mammogram^Mammogram^L||||||F",
        "OBX|6|DT|PRIOR_IMAGING_DATE^Prior imaging date^L||20260801||||||F",
        "OBX|7|ST|PRIOR_IMAGING_WHERE^Where^L||City Breast Centre||||||F",
        "OBX|8|CWE|LACTATING^Lactating^L||N^No^HL70136||||||F",
        "OBX|9|CWE|PREGNANCY^Pregnancy^L||N^No^HL70136||||||F",
    ]
    direct.send(order_message(extra_obx=extra))

    order = Order.objects.get()
    assert (order.discharge_colour, order.discharge_ducts) == ("bloody", "single")
    assert (order.prior_imaging_kind, order.prior_imaging_date) == ("mammogram", date(2026, 8, 1))
    assert order.prior_imaging_where == "City Breast Centre"
    assert (order.lactating, order.pregnancy_status) == (False, "not_pregnant")


def test_an_order_cancelled_oc_without_a_reason_names_the_sender(direct):
    direct.send(order_message(control_id="MSG1"))

    ack = parse_ack(direct.send(order_message(control="OC", control_id="MSG2")))

    assert ack["MSA"][1] == "AA"
    assert Order.objects.get().cancel_reason == "Cancelled by EPIC (OC)"


def test_bytes_that_are_not_hl7_are_rejected(direct):
    ack = parse_ack(direct.send(b"hello, is this the lab?"))

    assert ack["MSA"][1] == "AR" and "does not start with MSH" in ack["MSA"][3]
    assert InterfaceMessage.objects.get().outcome == "rejected"


def test_an_unsupported_version_is_rejected_ar(direct):
    ack = parse_ack(direct.send(order_message(version="2.8", control_id="V28")))

    assert ack["MSA"][1:3] == ["AR", "V28"] and ack["ERR"][3].startswith("203^")


def test_a_change_to_an_order_never_received_is_an_error_naming_it(direct):
    ack = parse_ack(direct.send(order_message(control="XO", control_id="X1", placer="NOPE")))

    assert ack["MSA"][1] == "AE" and "NOPE" in ack["MSA"][3]
    assert ack["ERR"][3].startswith("204^")


def test_a_new_order_with_a_placer_number_already_received_is_an_error(direct):
    direct.send(order_message(control_id="A1"))

    ack = parse_ack(direct.send(order_message(control_id="A2")))

    assert ack["MSA"][1] == "AE" and "already exists" in ack["MSA"][3]
    assert Order.objects.count() == 1


def test_a_bilateral_side_is_refused_as_a_galactogram_is_one_breast(direct):
    ack = parse_ack(direct.send(order_message(side="B", control_id="S1")))

    assert ack["MSA"][1] == "AE" and "L or R" in ack["MSA"][3]
    assert not Order.objects.exists()


def test_pid_updates_the_patient_known_by_mrn(direct):
    patient = PatientFactory(mrn="MRN12345", family_name="Nunez", phone="+12025550100")

    direct.send(order_message(control_id="U1"))

    patient.refresh_from_db()
    assert (patient.family_name, str(patient.phone)) == ("Núñez", "+12025550123")
    assert Patient.objects.count() == 1


def test_a_version_2_3_1_error_carries_err_1(direct):
    ack = parse_ack(direct.send(order_message(version="2.3.1", control_id="E1", procedure="1^x^L")))

    assert ack["MSA"][1] == "AE"
    assert ack["ERR"][1].startswith("OBR^1^4^103&")


def test_a_latin_1_message_is_read_as_its_msh_18_says(direct):
    text = order_message(control_id="L1").replace("|2.5.1\r", "|2.5.1||||||8859/1\r", 1)

    ack = parse_ack(direct.send(text.encode("latin-1")).decode("latin-1").encode())

    assert ack["MSA"][1] == "AA"
    assert Patient.objects.get().family_name == "Núñez"


def test_received_at_is_the_moment_of_receipt(direct):
    direct.send(order_message(control_id="T1"))

    order = Order.objects.get()
    assert abs(order.received_at - InterfaceMessage.objects.get().received_at) < timedelta(seconds=1)


def test_a_line_that_is_not_a_segment_makes_the_message_unparseable_ar(direct):
    garbled = order_message(control_id="G1").replace("PV1|1|O", "this is not a segment")

    ack = parse_ack(direct.send(garbled))

    assert ack["MSA"][1:3] == ["AR", "G1"] and "cannot be parsed" in ack["MSA"][3]
    assert ack["ERR"][3].startswith("102^")
    assert not Patient.objects.exists()


def test_a_message_without_a_control_id_is_rejected_and_not_kept_as_processed(direct):
    no_id = order_message(control_id="")

    first, second = parse_ack(direct.send(no_id)), parse_ack(direct.send(no_id))

    assert first["MSA"][1] == second["MSA"][1] == "AR" and "MSH-10" in first["MSA"][3]
    assert InterfaceMessage.objects.filter(outcome="rejected").count() == 2


def test_a_change_without_a_sex_leaves_the_patients_as_it_was(direct):
    PatientFactory(mrn="MRN12345", sex="female")
    direct.send(order_message(control_id="S0"))
    no_sex = order_message(control="XO", control_id="S1").replace("||19800102|F|", "||19800102||")

    assert parse_ack(direct.send(no_sex))["MSA"][1] == "AA"
    assert Patient.objects.get().sex == "female"
