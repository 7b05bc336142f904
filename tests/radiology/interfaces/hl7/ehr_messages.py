"""Order messages in the shapes real EHRs and interface engines send them, for the tests:
Epic-style 2.5.1 (CPT in OBR-4's alternate identifier, ICD-10 in OBR-31, a mobile and an
e-mail in PID-13, PD1/NK1/PV1/PV2/IN1/GT1/AL1/DG1/NTE and a Z-segment), Cerner-style 2.3.1
(HL7 null `""` in PID-13/14, MRN typed by authority only, DG1), and a European KIS 2.4 in
8859/1 with CRLF line ends (national numbers, the MRN by its assigning authority).

Segments are built by field position (`segment("OBR", {4: ..., 31: ...})`) so that a field's
number in a test is the number in the standard."""


def segment(name: str, fields: dict[int, str]) -> str:
    last = max(fields)
    return "|".join([name, *(fields.get(n, "") for n in range(1, last + 1))])


def msh(*, sender: str, version: str, control_id: str, message_type="ORM^O01", charset="", when="20261201083000"):
    fields = f"MSH|^~\\&|{sender}|GALACTO|RADIOLOGY|{when}||{message_type}|{control_id}|P|{version}"
    return fields + (f"|||AL|NE||{charset}" if charset else "")


def epic(
    *,
    control_id="EPIC0001",
    control="NW",
    placer="E98765",
    pid3="E1234567^^^EPI^MR~999-45-6789^^^SSA^SS",
    pid13="^PRN^PH^^1^217^5550142~^PRN^CP^^1^217^5550199~^NET^Internet^ada.okafor@example.org",
    service="IMG5521^MAMMO DUCTOGRAM SINGLE DUCT^EAP^77053^Ductogram single duct^CPT",
    reason="N64.52^Nipple discharge^I10",
    version="2.5.1",
    charset="UNICODE UTF-8",
    line_end="\r",
) -> str:
    segments = [
        msh(
            sender="EPIC|GENHOSP",
            version=version,
            control_id=control_id,
            charset=charset,
            message_type="ORM^O01^ORM_O01" if version != "2.3" else "ORM^O01",
        ),
        segment(
            "PID",
            {
                1: "1",
                3: pid3,
                5: "Okafor^Adaeze^N",
                7: "19790315",
                8: "F",
                10: "2054-5^Black or African American^CDCREC",
                11: "12 Elm St^^Springfield^IL^62701^USA^P",
                13: pid13,
                16: "S",
                18: "4400012345",
            },
        ),
        "PD1|||GENHOSP^^1001",
        segment("NK1", {1: "1", 2: "Okafor^Chidi", 3: "SPO^Spouse^HL70063", 5: "^PRN^PH^^1^217^5550143"}),
        segment(
            "PV1",
            {1: "1", 2: "O", 3: "RAD^^^GENHOSP", 8: "1234567893^House^Gregory^^^^MD^^NPI", 19: "V000123^^^EPI^VN"},
        ),
        segment("PV2", {3: "N64.52^Nipple discharge^I10"}),
        segment("IN1", {1: "1", 2: "BCBS01^Blue Cross PPO", 3: "6012", 4: "BLUE CROSS", 8: "GRP123"}),
        segment("GT1", {1: "1", 3: "Okafor^Adaeze", 5: "12 Elm St^^Springfield^IL^62701"}),
        segment("AL1", {1: "1", 2: "DA", 3: "1588^Iodinated contrast media^RXNORM", 4: "MO", 5: "Hives"}),
        segment(
            "ORC",
            {
                1: control,
                2: f"{placer}^EPIC",
                5: "SC",
                7: "^^^^^R",
                9: "20261201082500",
                12: "1234567893^House^Gregory^^^^^^NPI^^^^NPI",
                14: "^WPN^PH^^1^217^5550100",
            },
        ),
        segment(
            "OBR",
            {
                1: "1",
                2: f"{placer}^EPIC",
                4: service,
                13: "Left nipple discharge since October",
                16: "1234567893^House^Gregory",
                27: "^^^^^R",
                31: reason,
            },
        ),
        segment("DG1", {1: "1", 2: "I10", 3: "N64.52^Nipple discharge^I10", 6: "W"}),
        segment("OBX", {1: "1", 2: "CWE", 3: "SIDE^Laterality^L", 5: "L^Left^HL70495", 11: "F"}),
        "NTE|1|L|Single duct, left, 3 o'clock",
        "ZPI|1|EPIC-SPECIFIC|X",
    ]
    return line_end.join(segments) + line_end


def cerner(
    *,
    control_id="HNAM0001",
    control="NW",
    placer="CR555001",
    pid13='""',
    pid14='""',
    service="77054^DUCTOGRAM MULTIPLE DUCTS^CPT4",
) -> str:
    segments = [
        msh(sender="HNAM|CERNERHOSP", version="2.3.1", control_id=control_id),
        # PID-2 the enterprise id, PID-3 the hospital's MRN typed only by its authority.
        segment(
            "PID",
            {
                1: "1",
                2: "1234567^^^CERNER^CMRN",
                3: "7654321^^^HOSPITAL^MRN",
                5: "Smith^Jane^Q",
                7: "19850704",
                8: "F",
                11: "4 Oak Ave^^Kansas City^MO^64105",
                13: pid13,
                14: pid14,
            },
        ),
        segment("PV1", {1: "1", 2: "O", 3: "RADIOLOGY"}),
        segment("ORC", {1: control, 2: f"{placer}^HNAM", 12: "1234567893^Wilson^James"}),
        segment(
            "OBR", {1: "1", 2: f"{placer}^HNAM", 4: service, 16: "1234567893^Wilson^James", 31: "^Bloody discharge"}
        ),
        segment("DG1", {1: "1", 2: "I10", 3: "N64.52^Nipple discharge^I10"}),
        segment("OBX", {1: "1", 2: "CE", 3: "SIDE^Laterality^L", 5: "R^Right^HL70495", 11: "F"}),
        "ZDS|1.2.3^Cerner^Application^DICOM",
    ]
    return "\r".join(segments) + "\r"


def kis(*, control_id="KIS0001", phone="0221 47110815", charset="8859/1") -> bytes:
    """A German hospital's KIS: 2.4, 8859/1, CRLF, the MRN by assigning authority (PI), a
    national phone number in XTN-1 without country code."""
    segments = [
        msh(sender="ORBIS|KLINIKUM", version="2.4", control_id=control_id, charset=charset),
        segment(
            "PID",
            {
                1: "1",
                3: "0004711^^^KLINIKUM^PI~A123456789^^^AOK^NII",
                5: "Müller^Grete",
                7: "19720211",
                8: "F",
                11: "Domstraße 1^^Köln^^50667^D",
                13: phone,
            },
        ),
        segment("PV1", {1: "1", 2: "O", 3: "RAD"}),
        segment("ORC", {1: "NW", 2: "K778899^ORBIS", 12: "^Schäfer^Anna"}),
        segment("OBR", {1: "1", 2: "K778899^ORBIS", 4: "19030^Galaktographie^C4", 13: "Sekretion links, blutig"}),
        segment("OBX", {1: "1", 2: "CE", 3: "SIDE^Seite^L", 5: "L^links^HL70495", 11: "F"}),
        segment("OBX", {1: "2", 2: "CE", 3: "INDICATION^Indikation^L", 5: "bloody^blutig^L", 11: "F"}),
        "NTE|1||Patientin spricht Deutsch",
        "ZBE|1|KLINIKUM|20261201|A",
    ]
    return ("\r\n".join(segments) + "\r\n").encode("latin-1" if charset == "8859/1" else "utf-8")
