"""Patient administration (HL7 ADT) over real MLLP (a raw-socket client against the listener
thread), in the shapes hospital feeds send it (tests/radiology/interfaces/hl7/adt_messages.py),
checked through the pages, the API, FHIR and the SMS file."""

import json

import pytest
from django.test import Client as DjangoClient
from django.urls import reverse

from notifications import services as outbox
from notifications import tasks
from notifications.models import Message
from procedures.models import Procedure
from radiology.models import Appointment, InterfaceMessage, Patient
from radiology.services.booking import book_appointment
from tests.factories import OrderFactory, StaffMemberFactory, _next_weekday_at, small_department
from tests.radiology.interfaces.api.conftest import client_for
from tests.radiology.interfaces.fhir.conftest import fhir
from tests.radiology.interfaces.hl7.adt_messages import cerner_adt, epic_adt
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


@pytest.fixture
def sms_file(settings, tmp_path):
    settings.SMS_BACKEND = "notifications.channels.sms.FileSMSBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.SMS_QUIET_HOURS_START = settings.SMS_QUIET_HOURS_END = "00:00"
    return tmp_path / "sms"


def ack_of(client, message) -> dict:
    return parse_ack(client.send(message))


def book(patient, sam) -> Appointment:
    small_department()
    return book_appointment(
        patient=patient,
        procedure=Procedure.objects.get(slug="galactogram"),
        start=_next_weekday_at(10, days_ahead=7),
        duration_minutes=45,
        actor=sam.user,
    )


def deliver_due(monkeypatch, sms_file) -> list[dict]:
    """What the dispatcher and the send task put in the SMS file now."""
    claimed = []
    monkeypatch.setattr(outbox, "enqueue_sends", lambda *, message_ids, token: claimed.append((message_ids, token)))
    outbox.dispatch_due()
    for message_ids, token in claimed:
        tasks.send_messages(message_ids, str(token))
    return [json.loads(p.read_text()) for p in sms_file.glob("*.json")] if sms_file.exists() else []


# --- register and update --------------------------------------------------------------------------


def test_an_epic_a04_registers_her_with_her_mobile_and_fhir_and_the_api_show_her(client, sam):
    ack = ack_of(client, epic_adt())

    assert ack["MSA"][1:3] == ["AA", "EPICADT1"], ack["MSA"]
    patient = Patient.objects.get()
    # The MRN is the repetition typed MR, not the SSN beside it; the mobile (CP) is for texts.
    assert (patient.mrn, patient.family_name, patient.given_name) == ("E1234567", "Okafor", "Adaeze")
    assert (str(patient.phone), patient.email) == ("+12175550199", "ada.okafor@example.org")
    assert patient.birth_date.isoformat() == "1979-03-15" and patient.details_flagged_at is None
    stored = InterfaceMessage.objects.get()
    assert (stored.message_type, stored.outcome) == ("ADT^A04", "accepted")
    api = client_for(sam.user).get(reverse("api:patient", args=[patient.pk])).json()
    assert (api["mrn"], api["phone"]) == ("E1234567", "+12175550199")
    read = fhir(client_for(sam.user), "GET", f"Patient/{patient.pk}").body
    assert read["birthDate"] == "1979-03-15" and "deceasedBoolean" not in read and "deceasedDateTime" not in read


@pytest.mark.parametrize("event", ["A01", "A04", "A05"])
def test_a_registration_for_a_known_mrn_updates_her_and_never_duplicates(client, event):
    ack_of(client, epic_adt(control_id="FIRST"))

    ack = ack_of(client, epic_adt(event=event, control_id="AGAIN", name="Okafor-Reed^Adaeze"))

    assert ack["MSA"][1] == "AA", ack["MSA"]
    assert Patient.objects.get().family_name == "Okafor-Reed"
    assert "updated" in ack["MSA"][3]


def test_a_cerner_2_3_a08_with_crlf_updates_her_name_and_a_null_pid_13_deletes_her_phone_and_e_mail(client):
    with_email = "^PRN^CP^^^816^5550101~^NET^Internet^jane@example.org"
    ack_of(client, cerner_adt(event="A04", control_id="C1", pid13=with_email))

    ack = ack_of(client, cerner_adt(control_id="C2", name="Smith-Jones^Jane", pid13="^PRN^CP^^^816^5550102"))
    patient = Patient.objects.get()
    assert ack["MSA"][1] == "AA" and ack["MSH"][11] == "2.3", ack["MSA"]
    assert (patient.mrn, patient.family_name) == ("7654321", "Smith-Jones")
    assert (str(patient.phone), patient.email) == ("+18165550102", "jane@example.org")

    ack_of(client, cerner_adt(control_id="C3", pid13='""'))
    patient.refresh_from_db()
    assert (str(patient.phone), patient.email, patient.contact_flag) == ("", "", "no_contact")


def test_an_empty_field_in_an_a08_leaves_her_value_as_it_is(client):
    ack_of(client, epic_adt(control_id="E1"))

    ack = ack_of(client, epic_adt(event="A08", control_id="E2", birth_date="", pid13="", name="Okafor"))

    assert ack["MSA"][1] == "AA", ack["MSA"]
    patient = Patient.objects.get()
    assert (patient.given_name, patient.birth_date.isoformat()) == ("Adaeze", "1979-03-15")
    assert str(patient.phone) == "+12175550199" and patient.email == "ada.okafor@example.org"


@pytest.mark.parametrize("version", ["2.3", "2.3.1", "2.4", "2.5", "2.5.1"])
def test_adt_versions_2_3_to_2_5_1_are_accepted(client, version):
    ack = ack_of(client, epic_adt(version=version, control_id=f"V{version}"))

    assert ack["MSA"][1] == "AA" and ack["MSH"][11] == version, ack["MSA"]
    assert Patient.objects.exists()


def test_adt_version_2_6_is_rejected_naming_msh_12(client):
    ack = ack_of(client, epic_adt(version="2.6", control_id="V26"))

    assert ack["MSA"][1] == "AR" and ack["ERR"][3].startswith("203^")
    assert not Patient.objects.exists()


def test_an_a08_with_a_new_mobile_re_addresses_her_pending_reminders_down_to_the_sms_file(
    client, sam, sms_file, monkeypatch
):
    ack_of(client, epic_adt(control_id="R1"))
    appointment = book(Patient.objects.get(), sam)
    pending = Message.objects.filter(subject=appointment.holder, audience="patient", status="scheduled")
    assert set(pending.values_list("recipient", flat=True)) == {"+12175550199"}

    ack = ack_of(client, epic_adt(event="A08", control_id="R2", pid13="^PRN^CP^^1^217^5550777"))

    assert ack["MSA"][1] == "AA", ack["MSA"]
    assert set(pending.values_list("recipient", flat=True)) == {"+12175550777"}
    sent = deliver_due(monkeypatch, sms_file)
    assert sent and {s["to"] for s in sent} == {"+12175550777"}


# --- language and interpreter ------------------------------------------------------------------------


def test_pid_15_spanish_sets_her_language_and_her_pending_reminders_follow(client, sam):
    ack_of(client, epic_adt(control_id="L1"))
    appointment = book(Patient.objects.get(), sam)

    ack = ack_of(client, epic_adt(event="A08", control_id="L2", language="SPA^Spanish^ISO639"))

    assert ack["MSA"][1] == "AA", ack["MSA"]
    patient = Patient.objects.get()
    assert (patient.language, patient.interpreter_needed) == ("es", False)
    pending = Message.objects.filter(subject=appointment.holder, audience="patient", status="scheduled")
    assert pending.exists() and set(pending.values_list("language", flat=True)) == {"es"}


def test_a_language_the_product_does_not_speak_flags_an_interpreter_on_the_day_list_and_appointment_page(
    client, sam, pages
):
    ack = ack_of(client, epic_adt(control_id="P1", language="POR^Portuguese^ISO639"))
    patient = Patient.objects.get()
    appointment = book(patient, sam)

    assert ack["MSA"][1] == "AA", ack["MSA"]
    assert (patient.language, patient.interpreter_needed, patient.interpreter_language) == ("en", True, "Portuguese")
    day = appointment.start.date().isoformat()
    day_list = pages.get(reverse("radiology:day_list_for", args=[day])).content.decode()
    row = day_list.split(f'data-appointment="{appointment.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Interpreter (Portuguese)" in row
    page = pages.get(reverse("radiology:appointment_detail", args=[appointment.pk])).content.decode()
    assert "Interpreter needed" in page and "Portuguese" in page


def test_the_configured_interpreter_field_sets_and_clears_the_flag(client, settings):
    settings.HL7_INTERPRETER_FIELD = "ZPI-3"

    ack_of(client, epic_adt(control_id="Z1", language="en^English", zpi="Y"))
    assert Patient.objects.get().interpreter_needed is True

    ack_of(client, epic_adt(event="A08", control_id="Z2", zpi="N"))
    assert Patient.objects.get().interpreter_needed is False


# --- death ---------------------------------------------------------------------------------------------


def test_death_in_an_a08_cancels_her_upcoming_appointment_and_withdraws_her_reminders_with_nothing_sent(
    client, sam, sms_file, monkeypatch
):
    ack_of(client, epic_adt(control_id="D1"))
    patient = Patient.objects.get()
    appointment = book(patient, sam)
    assert Message.objects.filter(subject=appointment.holder, audience="patient", status="scheduled").exists()

    ack = ack_of(client, epic_adt(event="A08", control_id="D2", death_time="202612010715-0500", death="Y"))

    assert ack["MSA"][1] == "AA", ack["MSA"]
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason_code) == ("cancelled", "deceased")
    to_her = Message.objects.filter(subject=appointment.holder, audience="patient")
    assert not to_her.filter(status="scheduled").exists()
    assert not to_her.filter(kind="cancelled").exists()  # no "your appointment is cancelled" text
    assert deliver_due(monkeypatch, sms_file) == []
    read = fhir(client_for(sam.user), "GET", f"Patient/{patient.pk}").body
    assert read["deceasedDateTime"].startswith("2026-12-01T") and read["deceasedDateTime"].endswith("+00:00")
    assert read["deceasedDateTime"] == "2026-12-01T12:15:00+00:00"


def test_death_in_an_a03_discharge_is_applied_and_fhir_says_deceased(client, sam):
    ack_of(client, cerner_adt(event="A04", control_id="X1"))
    appointment = book(Patient.objects.get(), sam)

    ack = ack_of(client, cerner_adt(event="A03", control_id="X2", death="Y"))

    assert ack["MSA"][1] == "AA", ack["MSA"]
    assert InterfaceMessage.objects.get(control_id="X2").outcome == "accepted"
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    patient = Patient.objects.get()
    read = fhir(client_for(sam.user), "GET", f"Patient/{patient.pk}").body
    assert read["deceasedBoolean"] is True and "deceasedDateTime" not in read


# --- what the product does not take: acknowledged and kept ------------------------------------------


def test_an_a31_for_an_unknown_mrn_is_aa_and_stored_without_registering_her(client):
    ack = ack_of(client, epic_adt(event="A31", control_id="U1"))

    assert ack["MSA"][1] == "AA", ack["MSA"]
    assert "HL7_ADT_REGISTERS_UNKNOWN" in ack["MSA"][3]
    assert not Patient.objects.exists()
    assert InterfaceMessage.objects.get().outcome == "ignored"


def test_with_hl7_adt_registers_unknown_an_a08_registers_her(client, settings):
    settings.HL7_ADT_REGISTERS_UNKNOWN = True

    ack = ack_of(client, epic_adt(event="A08", control_id="U2"))

    assert ack["MSA"][1] == "AA", ack["MSA"]
    assert Patient.objects.get().mrn == "E1234567"
    assert InterfaceMessage.objects.get().outcome == "accepted"


@pytest.mark.parametrize("event", ["A02", "A03", "A11", "A13"])
def test_an_event_of_no_use_here_is_aa_and_stored_as_ignored_and_shown_on_the_messages_page(client, event):
    ack_of(client, epic_adt(control_id="K1"))
    manager = StaffMemberFactory(manager=True)
    browser = DjangoClient()
    browser.force_login(manager.user)

    ack = ack_of(client, epic_adt(event=event, control_id="K2", name="Changed^Name"))

    assert ack["MSA"][1] == "AA", ack["MSA"]
    assert Patient.objects.get().family_name == "Okafor"  # nothing changed
    stored = InterfaceMessage.objects.get(control_id="K2")
    assert (stored.message_type, stored.outcome) == (f"ADT^{event}", "ignored")
    page = browser.get(reverse("radiology:interface_messages"), {"outcome": "ignored"}).content.decode()
    assert "Ignored (AA, nothing to do here)" in page and "K2" in page


def test_a_repeated_control_id_gets_the_byte_identical_reply_for_an_accepted_and_an_ignored_message(client):
    first, ignored = client.send(epic_adt(control_id="B1")), client.send(epic_adt(event="A02", control_id="B2"))

    assert client.send(epic_adt(control_id="B1")) == first
    assert client.send(epic_adt(event="A02", control_id="B2")) == ignored
    outcomes = list(InterfaceMessage.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["accepted", "ignored", "duplicate", "duplicate"]
    assert Patient.objects.count() == 1


# --- incomplete records: kept and flagged ------------------------------------------------------------


def test_an_a04_without_a_birth_date_is_kept_and_flagged_on_the_to_do(client, pages):
    ack = ack_of(client, cerner_adt(event="A04", control_id="N1", birth_date=""))
    patient = Patient.objects.get()
    OrderFactory(patient=patient)

    assert ack["MSA"][1] == "AA" and "birth date missing" in ack["MSA"][3], ack["MSA"]
    assert patient.birth_date is None and patient.details_flagged_at is not None
    todo = pages.get(reverse("radiology:scheduler_todo")).content.decode()
    row = todo.split(f'data-patient="{patient.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Birth date missing" in row and "Smith, Jane" in row


def test_a_later_a08_with_her_birth_date_and_given_name_clears_the_flag(client, pages):
    ack_of(client, cerner_adt(event="A04", control_id="N2", birth_date="", name="Smith"))
    assert Patient.objects.get().missing_details == ["birth date", "given name"]

    ack = ack_of(client, cerner_adt(control_id="N3"))

    assert ack["MSA"][1] == "AA", ack["MSA"]
    patient = Patient.objects.get()
    assert (patient.given_name, patient.details_flagged_at, patient.missing_details) == ("Jane", None, [])


def test_the_day_list_says_birth_date_missing_where_her_age_would_be(client, sam, pages):
    ack_of(client, cerner_adt(event="A04", control_id="N6", birth_date=""))
    appointment = book(Patient.objects.get(), sam)

    day_list = pages.get(reverse("radiology:day_list_for", args=[appointment.start.date().isoformat()]))

    row = day_list.content.decode().split(f'data-appointment="{appointment.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "birth date missing" in row


def test_an_order_for_a_record_without_a_birth_date_is_filed(client):
    ack_of(client, cerner_adt(event="A04", control_id="N4", birth_date="", mrn="MRN12345"))

    ack = ack_of(client, order_message(control_id="N5", birth_date=""))

    assert ack["MSA"][1] == "AA", ack["MSA"]
    assert Patient.objects.get().orders.count() == 1


# --- refusals: AE with a table-0357 code, nothing written, processed again when resent --------------


def test_a_new_patient_without_a_family_name_is_ae_naming_pid_5_and_processed_again_when_resent(client):
    refused = ack_of(client, epic_adt(control_id="F1", name='""^Adaeze'))

    assert refused["MSA"][1] == "AE" and "family name" in refused["MSA"][3]
    assert refused["ERR"][2] == "PID^1^5" and refused["ERR"][3].startswith("101^")
    assert not Patient.objects.exists()
    assert ack_of(client, epic_adt(control_id="F1"))["MSA"][1] == "AA"
    assert Patient.objects.count() == 1


def test_a_future_birth_date_is_ae_naming_pid_7_and_her_new_phone_is_not_written(client):
    ack_of(client, epic_adt(control_id="G1"))

    ack = ack_of(client, epic_adt(event="A08", control_id="G2", birth_date="20991231", pid13="^PRN^CP^^1^217^5550777"))

    assert ack["MSA"][1] == "AE" and ack["ERR"][2] == "PID^1^7", ack
    assert str(Patient.objects.get().phone) == "+12175550199"


def test_a_death_time_that_is_not_one_is_ae_naming_pid_29_and_nothing_changes(client, sam):
    ack_of(client, epic_adt(control_id="T1"))
    appointment = book(Patient.objects.get(), sam)

    ack = ack_of(client, epic_adt(event="A08", control_id="T2", death_time="last night", death="Y"))

    assert ack["MSA"][1] == "AE" and ack["ERR"][2] == "PID^1^29" and ack["ERR"][3].startswith("102^"), ack
    appointment.refresh_from_db()
    assert appointment.status != "cancelled" and not Patient.objects.get().deceased


def test_an_adt_without_a_trigger_event_is_rejected_ar_201(client):
    ack = ack_of(client, epic_adt(control_id="T3").replace("ADT^A04^ADT_A01", "ADT", 1))

    assert ack["MSA"][1] == "AR" and ack["ERR"][3].startswith("201^"), ack
    assert not Patient.objects.exists()


def test_pid_3_without_an_mr_or_the_hospitals_authority_is_ae_naming_the_setting(client, settings):
    settings.HL7_MRN_AUTHORITY = "GENHOSP"
    message = epic_adt(control_id="M1").replace("E1234567^^^EPI^MR~999-45-6789^^^SSA^SS", "999-45-6789^^^SSA^SS")

    ack = ack_of(client, message)

    assert ack["MSA"][1] == "AE" and "HL7_MRN_AUTHORITY" in ack["MSA"][3]
    assert ack["ERR"][2] == "PID^1^3" and ack["ERR"][3].startswith("101^")
    assert not Patient.objects.exists()


def test_the_hospitals_assigning_authority_names_the_mrn_without_an_mr_type(client, settings):
    settings.HL7_MRN_AUTHORITY = "HOSPITAL"

    ack_of(client, cerner_adt(event="A04", control_id="M2"))

    assert Patient.objects.get().mrn == "7654321"  # PID-3 by authority, not PID-2's enterprise id
