"""ADT messages in the shapes hospital feeds send them, for the tests: Epic-style 2.5.1
(EVN, PID with an SSN beside the MRN, a mobile and an e-mail in PID-13, PID-15 as a coded
language, PD1/NK1/PV1/PV2/IN1/GT1/AL1/DG1/OBX and a Z-segment) and Cerner-style 2.3 (the
MRN typed by authority only, HL7 null `""`, CRLF line ends). Fields by number, as in
ehr_messages."""

from tests.radiology.interfaces.hl7.ehr_messages import msh, segment


def epic_adt(
    *,
    event="A04",
    control_id="EPICADT1",
    version="2.5.1",
    mrn="E1234567",
    name="Okafor^Adaeze^N",
    birth_date="19790315",
    pid13="^PRN^PH^^1^217^5550142~^PRN^CP^^1^217^5550199~^NET^Internet^ada.okafor@example.org",
    language="",
    death_time="",
    death="",
    zpi="",
    line_end="\r",
) -> str:
    structure = {"A01": "ADT_A01", "A04": "ADT_A01", "A05": "ADT_A05", "A08": "ADT_A01", "A31": "ADT_A05"}
    message_type = f"ADT^{event}^{structure.get(event, 'ADT_A01')}" if version >= "2.4" else f"ADT^{event}"
    pid = {
        1: "1",
        3: f"{mrn}^^^EPI^MR~999-45-6789^^^SSA^SS",
        5: name,
        7: birth_date,
        8: "F",
        10: "2054-5^Black or African American^CDCREC",
        11: "12 Elm St^^Springfield^IL^62701^USA^P",
        13: pid13,
        16: "S",
        18: "4400012345",
    }
    if language:
        pid[15] = language
    if death_time:
        pid[29] = death_time
    if death:
        pid[30] = death
    segments = [
        msh(sender="EPIC|GENHOSP", version=version, control_id=control_id, message_type=message_type),
        segment("EVN", {1: event, 2: "20261201083000", 5: "1234^Clerk^Carla"}),
        segment("PID", pid),
        "PD1|||GENHOSP^^1001",
        segment("NK1", {1: "1", 2: "Okafor^Chidi", 3: "SPO^Spouse^HL70063", 5: "^PRN^PH^^1^217^5550143"}),
        segment("PV1", {1: "1", 2: "O", 3: "RAD^^^GENHOSP", 19: "V000123^^^EPI^VN"}),
        segment("PV2", {3: "N64.52^Nipple discharge^I10"}),
        segment("IN1", {1: "1", 2: "BCBS01^Blue Cross PPO", 3: "6012", 4: "BLUE CROSS", 8: "GRP123"}),
        segment("GT1", {1: "1", 3: "Okafor^Adaeze", 5: "12 Elm St^^Springfield^IL^62701"}),
        segment("AL1", {1: "1", 2: "DA", 3: "1588^Iodinated contrast media^RXNORM", 4: "MO", 5: "Hives"}),
        segment("DG1", {1: "1", 2: "I10", 3: "N64.52^Nipple discharge^I10", 6: "W"}),
        segment("OBX", {1: "1", 2: "NM", 3: "8302-2^Body height^LN", 5: "165", 6: "cm", 11: "F"}),
        "ZPI|1|EPIC-SPECIFIC|" + zpi,
    ]
    return line_end.join(segments) + line_end


def cerner_adt(
    *,
    event="A08",
    control_id="HNAMADT1",
    version="2.3",
    mrn="7654321",
    name="Smith^Jane^Q",
    birth_date="19850704",
    pid13="^PRN^CP^^^816^5550101",
    pid14="",
    language="",
    death_time="",
    death="",
    line_end="\r\n",
) -> str:
    pid = {
        1: "1",
        2: "1234567^^^CERNER^CMRN",
        3: f"{mrn}^^^HOSPITAL^MRN",
        5: name,
        7: birth_date,
        8: "F",
        11: "4 Oak Ave^^Kansas City^MO^64105",
        13: pid13,
        14: pid14,
        15: language,
        29: death_time,
        30: death,
    }
    segments = [
        msh(sender="HNAM|CERNERHOSP", version=version, control_id=control_id, message_type=f"ADT^{event}"),
        segment("EVN", {1: event, 2: "20261201090000"}),
        segment("PID", pid),
        segment("NK1", {1: "1", 2: "Smith^John", 3: "SPO"}),
        segment("PV1", {1: "1", 2: "O", 3: "RADIOLOGY", 19: "FIN778899"}),
        segment("PV2", {3: "N64.52^Nipple discharge^I10"}),
        segment("IN1", {1: "1", 2: "AETNA^Aetna", 4: "AETNA"}),
        segment("GT1", {1: "1", 3: "Smith^Jane"}),
        segment("AL1", {1: "1", 2: "DA", 3: "^Penicillin"}),
        segment("DG1", {1: "1", 2: "I10", 3: "N64.52^Nipple discharge^I10"}),
        "ZDS|1.2.3^Cerner^Application^DICOM",
    ]
    return line_end.join(segments) + line_end
