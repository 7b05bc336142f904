"""Merge and identifier-change messages as hospital ADT feeds send them: an Epic-style
ADT^A40 in 2.5.1 (structure ADT_A39, EVN with the operator, PID-3 with a second identifier,
PD1, MRG with the prior account, PV1 `N`), a Cerner-style ADT^A34 in 2.3.1 (MRN typed by
authority only, CRLF) and an ADT^A47 (structure ADT_A30)."""

from tests.radiology.interfaces.hl7.ehr_messages import msh, segment


def a40(*, survivor="Y1000001", merged="X1000001", control_id="A400001", name="Okafor^Ada^N", line_end="\r") -> str:
    segments = [
        msh(sender="EPIC|GENHOSP", version="2.5.1", control_id=control_id, message_type="ADT^A40^ADT_A39"),
        segment("EVN", {1: "A40", 2: "20261201093000", 5: "JSMITH^Smith^John^^^^^^EPI"}),
        segment(
            "PID",
            {
                1: "1",
                3: f"{survivor}^^^EPI^MR~999-45-6789^^^SSA^SS",
                5: name,
                7: "19800102",
                8: "F",
                11: "1 Main St^^Springfield^IL^62701^USA",
                13: "^PRN^CP^^1^217^5550199",
            },
        ),
        segment("PD1", {4: "1234567893^House^Gregory^^^^^^NPI"}),
        segment("MRG", {1: f"{merged}^^^EPI^MR", 3: "ACCT77"}),
        segment("PV1", {1: "1", 2: "N"}),
    ]
    return line_end.join(segments) + line_end


def a34(*, survivor="7654321", merged="7650000", control_id="CER-A34-1") -> str:
    """Cerner-style 2.3.1: PID-3 and MRG-1 assigned by the hospital's authority, untyped."""
    segments = [
        msh(sender="CERNER|MAIN", version="2.3.1", control_id=control_id, message_type="ADT^A34"),
        segment("EVN", {1: "A34", 2: "20261201094500"}),
        segment("PID", {1: "1", 2: '""', 3: f"{survivor}^^^HOSPITAL", 5: "Smith^Jane", 7: "19750315", 8: "F"}),
        segment("MRG", {1: f"{merged}^^^HOSPITAL"}),
    ]
    return "\r\n".join(segments) + "\r\n"


def a47(*, new="Y1000002", old="X1000002", control_id="A470001") -> str:
    segments = [
        msh(sender="EPIC|GENHOSP", version="2.5.1", control_id=control_id, message_type="ADT^A47^ADT_A30"),
        segment("EVN", {1: "A47", 2: "20261201100000"}),
        segment("PID", {1: "1", 3: f"{new}^^^EPI^MR", 5: "Okafor^Ada", 7: "19800102", 8: "F"}),
        segment("MRG", {1: f"{old}^^^EPI^MR"}),
    ]
    return "\r".join(segments) + "\r"
