"""Orders as real EHRs send them, over real MLLP (a raw-socket client against the listener
thread), checked through the pages and the API: each defect of issue #18's first list gets
a test that failed before the fix. The messages: tests/radiology/interfaces/hl7/ehr_messages.py."""

import json

import pytest
from django.test import Client as DjangoClient
from django.urls import reverse

from notifications import services as outbox
from notifications import tasks
from notifications.models import Message
from radiology.models import InterfaceMessage, Order, Patient
from radiology.services.booking import book_appointment
from tests.factories import PatientFactory, StaffMemberFactory, _next_weekday_at, small_department
from tests.radiology.interfaces.api.conftest import client_for
from tests.radiology.interfaces.hl7 import ehr_messages
from tests.radiology.interfaces.hl7.conftest import order_message, parse_ack

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sam():
    return StaffMemberFactory(scheduler=True, user__first_name="Sam", user__last_name="Ortiz")


@pytest.fixture
def pages(sam):
    """Sam the scheduler's browser session (`client` here is the MLLP client)."""
    browser = DjangoClient()
    browser.force_login(sam.user)
    return browser


def ack_of(client, message) -> dict:
    return parse_ack(client.send(message))


def todo_page(pages) -> str:
    return pages.get(reverse("radiology:scheduler_todo")).content.decode()


# --- the shapes ---------------------------------------------------------------------------------


def test_an_epic_order_is_filed_with_the_cpt_from_the_alternate_code_the_icd10_reason_and_her_mobile(client, pages):
    ack = ack_of(client, ehr_messages.epic())

    assert ack["MSA"][1:3] == ["AA", "EPIC0001"], ack["MSA"]
    patient = Patient.objects.get()
    # The MRN is the repetition typed MR, not the social security number before or after it.
    assert patient.mrn == "E1234567"
    # A mobile (CP) is preferred for texts over the landline listed first.
    assert str(patient.phone) == "+12175550199" and patient.email == "ada.okafor@example.org"
    assert patient.contact_flag == ""
    order = Order.objects.get()
    assert order.procedure.slug == "galactogram"  # OBR-4.1 is the EHR's own code; CE-4 the CPT
    assert (order.indication, order.indication_other) == ("other", "Nipple discharge (I10 N64.52)")
    assert order.side == "left"
    page = pages.get(reverse("radiology:order_detail", args=[order.pk])).content.decode()
    assert "Nipple discharge (I10 N64.52)" in page


def test_a_cerner_order_with_null_contacts_and_an_mrn_typed_by_authority_only_is_filed_as_no_contact(client, pages):
    ack = ack_of(client, ehr_messages.cerner())

    assert ack["MSA"][1] == "AA", ack["MSA"]
    patient = Patient.objects.get()
    assert patient.mrn == "7654321"  # PID-3 assigned by HL7_MRN_AUTHORITY (HOSPITAL), not PID-2
    assert (str(patient.phone), patient.email, patient.contact_flag) == ("", "", "no_contact")
    order = Order.objects.get()
    assert (order.procedure.slug, order.side, order.indication_other) == ("galactogram", "right", "Bloody discharge")
    row = todo_page(pages).split(f'data-patient="{patient.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "No contact" in row and "Smith, Jane" in row


def test_a_european_kis_order_in_8859_1_with_crlf_reads_the_national_number_in_the_default_region(client, settings):
    settings.PHONENUMBER_DEFAULT_REGION = "DE"
    settings.HL7_MRN_AUTHORITY = "KLINIKUM"

    reply = client.send(ehr_messages.kis())

    ack = parse_ack(reply.decode("latin-1").encode())
    assert ack["MSA"][1] == "AA", ack["MSA"]
    patient = Patient.objects.get()
    assert (patient.mrn, patient.family_name) == ("0004711", "Müller")
    assert str(patient.phone) == "+4922147110815"  # +49 from the region, nothing invented
    order = Order.objects.get()
    assert (order.side, order.indication) == ("left", "bloody")
    assert "Sekretion links, blutig" in order.note


def test_a_version_2_3_order_is_accepted(client):
    ack = ack_of(client, ehr_messages.epic(version="2.3", control_id="V23", charset=""))

    assert ack["MSA"][1:3] == ["AA", "V23"] and ack["MSH"][11] == "2.3"


def test_crlf_line_ends_read_as_segment_ends(client):
    ack = ack_of(client, ehr_messages.epic(line_end="\r\n", control_id="CRLF1"))

    assert ack["MSA"][1] == "AA", ack["MSA"]
    assert Order.objects.get().side == "left"


# --- contact data: read one way, never a reason to refuse --------------------------------------


@pytest.mark.parametrize("number", ["(046)927-3235", "06 1234 5678", "555-123-4567"])
def test_a_number_that_does_not_parse_is_kept_as_text_and_flagged_and_later_orders_are_accepted(client, pages, number):
    first = ack_of(client, order_message(control_id="P1", phone=number))
    second = ack_of(client, order_message(control="XO", control_id="P2", phone=number, side="R"))
    third = ack_of(client, order_message(control_id="P3", placer="ORD9002", phone=number))

    assert [a["MSA"][1] for a in (first, second, third)] == ["AA", "AA", "AA"]
    patient = Patient.objects.get()
    assert str(patient.phone) == ""  # never stored as if it were E.164
    assert (patient.contact_flag, patient.contact_as_sent) == ("check_contact", number)
    assert Order.objects.count() == 2 and Order.objects.get(placer_order_number="ORD9001").side == "right"
    assert f"Check contact: sent as “{number}”" in todo_page(pages)
    api = client_for(StaffMemberFactory(scheduler=True).user)
    assert api.get(f"/api/v1/patients/{patient.pk}").json()["phone"] == ""


def test_an_order_without_a_phone_or_e_mail_is_filed_with_a_no_contact_flag(client, pages):
    ack = ack_of(client, order_message(control_id="N1", phone=""))

    assert ack["MSA"][1] == "AA", ack["MSA"]
    patient = Patient.objects.get()
    assert patient.contact_flag == "no_contact" and Order.objects.get().status == "waiting"
    assert "No contact: no phone or e-mail" in todo_page(pages)


def test_an_e_mail_in_xtn_4_without_net_or_internet_is_an_e_mail(client):
    ack_of(client, order_message(control_id="M1", phone="^PRN^^jane.doe@example.org"))

    patient = Patient.objects.get()
    assert (patient.email, str(patient.phone), patient.preferred_channel) == ("jane.doe@example.org", "", "email")
    assert patient.contact_flag == ""


def test_no_country_code_is_invented_for_a_number_without_one(client):
    # A Dutch mobile sent without its country code: in the US region it is no US number.
    ack = ack_of(client, order_message(control_id="C1", phone="^PRN^CP^^^06^12345678"))

    assert ack["MSA"][1] == "AA"
    patient = Patient.objects.get()
    assert str(patient.phone) == "" and patient.contact_as_sent == "06 12345678"  # not +10612345678


def test_a_mobile_is_preferred_over_a_landline_for_texts(client):
    phones = "^PRN^PH^^1^202^5550100~^ORN^CP^^1^202^5550199"

    ack_of(client, order_message(control_id="CP1", phone=phones))

    assert str(Patient.objects.get().phone) == "+12025550199"


def test_a_null_pid_13_deletes_her_contact_and_an_empty_one_leaves_it(client, settings):
    PatientFactory(mrn="7654321", phone="+12025550100", email="jane@example.org", family_name="Smith")

    ack_of(client, ehr_messages.cerner(control_id="E1", pid13="", pid14=""))
    kept = Patient.objects.get()
    assert (str(kept.phone), kept.email, kept.contact_flag) == ("+12025550100", "jane@example.org", "")

    ack = ack_of(client, ehr_messages.cerner(control="XO", control_id="E2"))
    assert ack["MSA"][1] == "AA", ack["MSA"]
    deleted = Patient.objects.get()
    assert (str(deleted.phone), deleted.email, deleted.contact_flag) == ("", "", "no_contact")


def test_a_new_phone_in_an_order_re_addresses_her_pending_reminders_down_to_the_sms_file(
    client, settings, tmp_path, monkeypatch
):
    settings.SMS_BACKEND = "notifications.channels.sms.FileSMSBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.SMS_QUIET_HOURS_START = settings.SMS_QUIET_HOURS_END = "00:00"
    ack_of(client, order_message(control_id="R1", phone="^PRN^CP^^1^202^5550123"))
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
    pending = Message.objects.filter(subject=appointment.holder, audience="patient", status="scheduled")
    assert set(pending.values_list("recipient", flat=True)) == {"+12025550123"}

    ack = ack_of(client, order_message(control="XO", control_id="R2", phone="^PRN^CP^^1^202^5550177"))

    assert ack["MSA"][1] == "AA"
    assert set(pending.values_list("recipient", flat=True)) == {"+12025550177"}
    claimed = []
    monkeypatch.setattr(outbox, "enqueue_sends", lambda *, message_ids, token: claimed.append((message_ids, token)))
    outbox.dispatch_due()
    for message_ids, token in claimed:
        tasks.send_messages(message_ids, str(token))
    sent = [json.loads(p.read_text()) for p in (tmp_path / "sms").glob("*.json")]
    assert sent and {s["to"] for s in sent} == {"+12025550177"}


# --- the order itself ----------------------------------------------------------------------------


def test_an_unknown_obr_31_is_kept_as_the_indications_text_with_its_code(client):
    ack = ack_of(client, order_message(control_id="I1", indication="", reason_for_study="N64.52^Nipple discharge^I10"))

    assert ack["MSA"][1] == "AA", ack["MSA"]
    order = Order.objects.get()
    assert (order.indication, order.indication_other) == ("other", "Nipple discharge (I10 N64.52)")


def test_dc_discontinues_the_order_and_cancels_its_booked_appointment(client):
    ack_of(client, order_message(control_id="D1"))
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

    ack = ack_of(client, order_message(control="DC", control_id="D2"))

    assert ack["MSA"][1] == "AA", ack["MSA"]
    order.refresh_from_db()
    appointment.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", "Cancelled by EPIC (DC)")
    assert appointment.status == "cancelled"


def test_the_alternate_identifier_of_obr_4_names_the_procedure(client):
    ack = ack_of(client, order_message(control_id="A1", procedure="RAD123^Ductogram^LOCAL^77054^Ductogram^C4"))

    assert ack["MSA"][1] == "AA", ack["MSA"]
    assert Order.objects.get().procedure.slug == "galactogram"


def test_an_order_neither_of_whose_codes_is_known_is_refused_naming_both(client):
    ack = ack_of(client, order_message(control_id="A2", procedure="RAD123^Knee MRI^LOCAL^73721^MRI knee^C4"))

    assert ack["MSA"][1] == "AE" and '"RAD123" or "73721"' in ack["MSA"][3]
    assert ack["ERR"][2] == "OBR^1^4" and ack["ERR"][3].startswith("103^")
    assert not Patient.objects.exists()


# --- identifiers, character sets, replies ---------------------------------------------------------


def test_without_an_mr_repetition_the_hospitals_assigning_authority_names_the_mrn(client, settings):
    settings.HL7_MRN_AUTHORITY = "GENHOSP"

    ack_of(client, order_message(control_id="ID1", pid3="999-45-6789^^^SSA^SS~H4455^^^GENHOSP^PI"))

    assert Patient.objects.get().mrn == "H4455"


def test_without_an_mr_repetition_or_our_authority_the_order_is_refused_naming_the_setting(client, settings):
    settings.HL7_MRN_AUTHORITY = "GENHOSP"

    ack = ack_of(client, order_message(control_id="ID2", pid3="999-45-6789^^^SSA^SS~77^^^OTHER^PI"))

    assert ack["MSA"][1] == "AE" and "HL7_MRN_AUTHORITY" in ack["MSA"][3]
    assert ack["ERR"][2] == "PID^1^3" and ack["ERR"][3].startswith("101^")
    assert not Patient.objects.exists() and not Order.objects.exists()


@pytest.mark.parametrize("charset", ["UNICODE", "UNICODE UTF-8", "ASCII", "8859/1", "ISO IR192", "8859/1~ISO IR87"])
def test_msh_18_values_of_table_0211_are_accepted(client, charset):
    message = order_message(control_id="CS1", name="Smith^Jane").replace("|2.5.1\r", f"|2.5.1||||||{charset}\r", 1)

    ack = ack_of(client, message)

    assert ack["MSA"][1] == "AA", ack["MSA"]


def test_an_unknown_msh_18_on_plain_ascii_is_read_as_the_default(client):
    message = order_message(control_id="CS2", name="Smith^Jane").replace("|2.5.1\r", "|2.5.1||||||WINDOWS-1252X\r", 1)

    ack = ack_of(client, message)

    assert ack["MSA"][1] == "AA" and "unknown-charset" not in ack["MSA"][3]


def test_an_unknown_msh_18_on_other_bytes_is_rejected_naming_msh_18(client):
    message = order_message(control_id="CS3").replace("|2.5.1\r", "|2.5.1||||||KLINGON\r", 1)

    reply = client.send(message.encode("utf-8"))

    ack = parse_ack(reply)
    assert ack["MSA"][1] == "AR" and 'MSH-18 "KLINGON"' in ack["MSA"][3]
    assert ack["ERR"][3].startswith("103^") and not Patient.objects.exists()


@pytest.mark.parametrize("charset", ["8859/1", "ASCII"])
def test_ack_texts_are_plain_ascii_in_any_reply_encoding(client, charset):
    message = order_message(control_id="Q1", name="Smith^Jane", procedure="99999^Knee MRI^C4").replace(
        "|2.5.1\r", f"|2.5.1||||||{charset}\r", 1
    )

    reply = client.send(message.encode("latin-1"))

    assert reply.isascii() and b"?" not in reply.split(b"MSA|", 1)[1]
    assert '"99999"' in parse_ack(reply)["MSA"][3]


def test_a_refused_message_is_processed_again_when_resent_with_the_same_control_id(client, settings):
    settings.HL7_MRN_AUTHORITY = "GENHOSP"
    refused = ack_of(client, order_message(control_id="AGAIN", procedure="99999^Knee MRI^C4"))

    accepted = client.send(order_message(control_id="AGAIN"))
    repeated = client.send(order_message(control_id="AGAIN"))

    assert refused["MSA"][1] == "AE" and parse_ack(accepted)["MSA"][1] == "AA"
    assert repeated == accepted  # only an accepted message's reply is given back, byte for byte
    assert Order.objects.count() == 1
    outcomes = list(InterfaceMessage.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["error", "accepted", "duplicate"]


def test_a_new_patient_without_a_birth_date_is_refused_naming_pid_7_and_nothing_is_written(client):
    ack = ack_of(client, order_message(control_id="B1", birth_date=""))

    assert ack["MSA"][1] == "AE" and "date of birth" in ack["MSA"][3]
    assert ack["ERR"][2] == "PID^1^7" and ack["ERR"][3].startswith("101^")
    assert not Patient.objects.exists() and not Order.objects.exists()


def test_a_known_patient_keeps_her_birth_date_when_pid_7_is_empty_or_null(client):
    ack_of(client, order_message(control_id="B2"))

    for n, value in enumerate(["", '""']):
        ack = ack_of(client, order_message(control="XO", control_id=f"B3{n}", birth_date=value))
        assert ack["MSA"][1] == "AA", ack["MSA"]
    assert Patient.objects.get().birth_date.isoformat() == "1980-01-02"


def test_a_null_obx_value_in_a_change_clears_that_fact_and_an_empty_one_keeps_it(client):
    ack_of(client, order_message(control_id="O1", side="L"))

    ack_of(client, order_message(control="XO", control_id="O2", side="", indication=""))
    assert Order.objects.get().side == "left"
    null_side = 'OBX|3|CWE|SIDE^Laterality^L||""||||||F'
    ack = ack_of(client, order_message(control="XO", control_id="O3", side="", extra_obx=[null_side]))

    assert ack["MSA"][1] == "AA", ack["MSA"]
    assert Order.objects.get().side == ""


def test_a_change_refused_for_its_order_leaves_her_new_phone_unwritten(client):
    ack_of(client, order_message(control_id="W1"))

    ack = ack_of(client, order_message(control="XO", control_id="W2", phone="^PRN^CP^^1^202^5550177", side="B"))

    assert ack["MSA"][1] == "AE"
    assert str(Patient.objects.get().phone) == "+12025550123"
