"""Messages that could never be answered, or said the wrong thing (issue #23), through the
listener's own entry point: conflicting sides, a line break inside a comment, dates that are
not dates, control characters in a name. Each gets an AE naming the field, and a row."""

import pytest

from radiology.interfaces.hl7.intake import receive
from radiology.models import InterfaceMessage, Order, Patient
from tests.radiology.interfaces.hl7.conftest import order_message, parse_ack

pytestmark = pytest.mark.django_db


def send(message: str) -> dict:
    return parse_ack(receive(message.encode("utf-8"), peer="test").data)


def test_two_side_observations_that_disagree_are_refused_naming_both():
    message = order_message(control_id="S1", side="L", extra_obx=["OBX|3|CWE|SIDE^Laterality^L||R^R^HL70495||||||F"])

    ack = send(message)

    assert ack["MSA"][1] == "AE"
    assert "L then R" in ack["MSA"][3]
    assert ack["ERR"][2].startswith("OBX^1^5") and ack["ERR"][3].startswith("103^")
    assert not Order.objects.exists()
    assert InterfaceMessage.objects.get().outcome == InterfaceMessage.Outcome.ERROR


def test_the_same_side_twice_is_one_side():
    send(order_message(control_id="S2", side="L", extra_obx=["OBX|3|CWE|SIDE^Laterality^L||L^L^HL70495||||||F"]))

    assert Order.objects.get().side == "left"


def test_a_line_feed_inside_a_comment_is_part_of_the_comment_not_a_new_segment():
    message = order_message(control_id="LF1", side="L").replace(
        "NTE|1||Patient prefers mornings", "NTE|1||Pain on the left\nOBX|9|CWE|SIDE^Laterality^L||R^R^HL70495"
    )

    ack = send(message)

    assert ack["MSA"][1] == "AA", ack["MSA"]
    order = Order.objects.get()
    assert order.side == "left"
    assert "Pain on the left\nOBX" in order.note  # NTE-3 ends at the next field separator


def test_a_message_that_uses_line_feeds_throughout_is_read_segment_by_segment():
    ack = send(order_message(control_id="LF2", side="R").replace("\r", "\n"))

    assert ack["MSA"][1] == "AA"
    assert Order.objects.get().side == "right"


@pytest.mark.parametrize("birth_date", ["2026023", "198001", "1980-01-02", "19801302"])
def test_a_birth_date_that_is_not_yyyymmdd_is_refused_naming_pid_7(birth_date):
    ack = send(order_message(control_id=f"D{birth_date}", birth_date=birth_date))

    assert ack["MSA"][1] == "AE"
    assert "PID-7" in ack["MSA"][3] and ack["ERR"][3].startswith("102^")
    assert not Patient.objects.exists()


def test_a_birth_date_with_a_time_is_still_a_date():
    send(order_message(control_id="D2", birth_date="198001020830"))

    assert str(Patient.objects.get().birth_date) == "1980-01-02"


@pytest.mark.parametrize("name", ["Smi\\X0D\\th^Jane", "Smith\x07^Jane", "Smith^Ja\\X07\\ne"])
def test_a_name_with_a_control_character_is_refused_naming_pid_5(name):
    ack = send(order_message(control_id="N1", name=name))

    assert ack["MSA"][1] == "AE"
    assert "control character" in ack["MSA"][3]
    assert ack["ERR"][2].startswith("PID^1^5") and ack["ERR"][3].startswith("102^")
    assert not Patient.objects.exists()


def test_a_message_of_more_segments_than_are_read_is_refused_at_once(settings):
    settings.HL7_MAX_SEGMENTS = 1000
    message = order_message(control_id="BIG1") + "".join(f"NTE|{n}||x\r" for n in range(80_000))

    ack = send(message)

    assert ack["MSA"][1:3] == ["AR", "BIG1"]
    assert "80008 segments" in ack["MSA"][3]
    assert InterfaceMessage.objects.get().outcome == InterfaceMessage.Outcome.REJECTED
