"""Merges as the hospital sends them (ADT^A40 in 2.5.1, A34 from a 2.3.1 sender, A47), over
real MLLP (a raw-socket client against the listener thread), checked through the pages, the
outbox and the SMS file: everything of the merged-away record moves to the survivor in one
go, the old record points to her, resends change nothing. Messages: merge_messages.py."""

import json

import pytest
from django.test import Client as DjangoClient
from django.urls import reverse

from notifications import services as outbox
from notifications import tasks
from notifications.models import Message
from procedures.models import Procedure
from radiology.models import InterfaceMessage, Order, Patient
from radiology.services.booking import book_appointment
from radiology.services.patients import find_patients
from radiology.services.todo import record_todo_note
from tests.factories import OrderFactory, PatientFactory, StaffMemberFactory, _next_weekday_at, small_department
from tests.radiology.interfaces.hl7 import merge_messages
from tests.radiology.interfaces.hl7.adt_messages import epic_adt
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
def team(db):
    return small_department(rooms=2, radiologists=2, technologists=2)


def ack_of(client, message) -> dict:
    return parse_ack(client.send(message))


def booked(patient, sam, *, days_ahead=7, hour=10):
    order = OrderFactory(patient=patient, procedure=Procedure.objects.get(slug="galactogram"))
    return book_appointment(
        patient=patient,
        procedure=order.procedure,
        start=_next_weekday_at(hour, days_ahead=days_ahead),
        duration_minutes=45,
        actor=sam.user,
        order=order,
        repeat_booking_reason="",
    )


def send_due_sms(monkeypatch) -> None:
    claimed = []
    monkeypatch.setattr(outbox, "enqueue_sends", lambda *, message_ids, token: claimed.append((message_ids, token)))
    outbox.dispatch_due()
    for message_ids, token in claimed:
        tasks.send_messages(message_ids, str(token))


def test_an_a40_moves_her_upcoming_appointment_and_pending_reminders_to_the_survivor_down_to_the_sms_file(
    client, pages, sam, team, settings, tmp_path, monkeypatch
):
    settings.SMS_BACKEND = "notifications.channels.sms.FileSMSBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.SMS_QUIET_HOURS_START = settings.SMS_QUIET_HOURS_END = "00:00"
    old = PatientFactory(mrn="X1000001", phone="+12025550101")
    survivor = PatientFactory(mrn="Y1000001", phone="+12175550199", email="")
    appointment = booked(old, sam)
    pending = Message.objects.filter(subject=appointment.holder, audience="patient", status="scheduled")
    assert set(pending.values_list("recipient", flat=True)) == {"+12025550101"}

    ack = ack_of(client, merge_messages.a40())

    assert ack["MSA"][1:3] == ["AA", "A400001"], ack
    assert "1 appointment(s) and 1 order(s) moved" in ack["MSA"][3]
    appointment.refresh_from_db()
    old.refresh_from_db()
    assert appointment.patient == survivor and appointment.status == "booked"
    assert Order.objects.get().patient == survivor
    assert old.merged_into == survivor and old.merged_at is not None
    # Still planned, now hers as Y and addressed to Y's contact.
    assert pending.count() >= 1
    assert set(pending.values_list("recipient", flat=True)) == {"+12175550199"}
    send_due_sms(monkeypatch)
    sent = [json.loads(p.read_text()) for p in (tmp_path / "sms").glob("*.json")]
    assert sent and {s["to"] for s in sent} == {"+12175550199"}
    # The survivor's page lists the appointment; the old record's page says where she is now.
    survivor_page = pages.get(reverse("radiology:patient_detail", args=[survivor.pk])).content.decode()
    assert f'data-appointment="{appointment.pk}"' in survivor_page and "MRN X1000001" in survivor_page
    old_page = pages.get(reverse("radiology:patient_detail", args=[old.pk])).content.decode()
    assert "Merged into" in old_page and reverse("radiology:patient_detail", args=[survivor.pk]) in old_page
    assert InterfaceMessage.objects.get(control_id="A400001").outcome == "accepted"


def test_an_a34_from_a_2_3_1_sender_merges_as_an_a40_does(client):
    old = PatientFactory(mrn="7650000")
    survivor = PatientFactory(mrn="7654321")
    order = OrderFactory(patient=old)

    ack = ack_of(client, merge_messages.a34())

    assert ack["MSA"][1] == "AA", ack
    order.refresh_from_db()
    old.refresh_from_db()
    assert order.patient == survivor and old.merged_into == survivor


def test_a_resent_merge_is_aa_and_changes_nothing(client):
    old = PatientFactory(mrn="X1000001")
    survivor = PatientFactory(mrn="Y1000001")
    ack_of(client, merge_messages.a40())
    merged_at = Patient.objects.get(pk=old.pk).merged_at

    again = ack_of(client, merge_messages.a40(control_id="A400002"))
    same_id = client.send(merge_messages.a40())

    assert again["MSA"][1] == "AA" and "before; nothing changed" in again["MSA"][3]
    assert parse_ack(same_id)["MSA"][1] == "AA"
    old.refresh_from_db()
    assert (old.merged_into, old.merged_at) == (survivor, merged_at)
    assert InterfaceMessage.objects.filter(outcome="duplicate").count() == 1


def test_a_merge_that_leaves_two_galactograms_ahead_is_applied_and_both_are_a_conflict_on_the_todo(
    client, pages, sam, team
):
    old = PatientFactory(mrn="X1000001")
    survivor = PatientFactory(mrn="Y1000001")
    first = booked(old, sam, days_ahead=7, hour=10)
    second = booked(survivor, sam, days_ahead=8, hour=11)

    ack = ack_of(client, merge_messages.a40())

    assert ack["MSA"][1] == "AA" and "2 galactograms ahead" in ack["MSA"][3]
    first.refresh_from_db()
    assert first.patient == survivor
    page = pages.get(reverse("radiology:scheduler_todo")).content.decode()
    row = page.split(f'data-patient="{survivor.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Merge conflict" in row and f"#{first.pk}" in row and f"#{second.pk}" in row

    # Worked as the other items: a resolution with a note takes it off.
    record_todo_note(patient_id=survivor.pk, actor=sam.user, outcome="resolved", note="Both wanted: one per side")
    page = pages.get(reverse("radiology:scheduler_todo")).content.decode()
    assert f'data-patient="{survivor.pk}"' not in page


def test_a_merge_into_an_mrn_never_seen_here_renames_the_record(client):
    old = PatientFactory(mrn="X1000001")
    order = OrderFactory(patient=old)

    ack = ack_of(client, merge_messages.a40(survivor="Y9999999"))

    assert ack["MSA"][1] == "AA" and "is now MRN Y9999999" in ack["MSA"][3]
    old.refresh_from_db()
    assert (old.mrn, old.merged_into) == ("Y9999999", None)
    order.refresh_from_db()
    assert order.patient == old


def test_a_merge_of_an_mrn_never_seen_here_is_aa_and_changes_nothing(client):
    survivor = PatientFactory(mrn="Y1000001")

    ack = ack_of(client, merge_messages.a40())

    assert ack["MSA"][1] == "AA" and "not known here" in ack["MSA"][3]
    assert list(Patient.objects.values_list("mrn", flat=True)) == [survivor.mrn]


def test_an_a47_to_an_identifier_another_patient_has_is_ae_205_and_changes_nothing(client):
    PatientFactory(mrn="X1000002")
    PatientFactory(mrn="Y1000002")

    ack = ack_of(client, merge_messages.a47())

    assert ack["MSA"][1] == "AE", ack
    assert ack["ERR"][3].startswith("205^"), ack["ERR"]
    assert "MRN Y1000002 already belongs to another patient" in ack["MSA"][3]
    assert set(Patient.objects.values_list("mrn", flat=True)) == {"X1000002", "Y1000002"}
    assert InterfaceMessage.objects.get().outcome == "error"


def test_an_a47_changes_her_identifier_and_keeps_her_record(client):
    patient = PatientFactory(mrn="X1000002")

    ack = ack_of(client, merge_messages.a47())

    assert ack["MSA"][1] == "AA", ack
    patient.refresh_from_db()
    assert patient.mrn == "Y1000002"


def test_an_order_for_a_merged_away_mrn_is_filed_on_the_survivor_with_the_old_mrn_in_its_note(client):
    PatientFactory(mrn="X1000001")
    survivor = PatientFactory(mrn="Y1000001")
    ack_of(client, merge_messages.a40())

    ack = ack_of(client, order_message(control_id="OX1", mrn="X1000001"))

    assert ack["MSA"][1] == "AA", ack
    order = Order.objects.get()
    assert order.patient == survivor
    assert "Ordered under MRN X1000001, merged into MRN Y1000001." in order.note
    assert "Patient prefers mornings" in order.note
    # A change sent under the old MRN finds the order on the survivor.
    change = ack_of(client, order_message(control="XO", control_id="OX2", mrn="X1000001", side="R"))
    assert change["MSA"][1] == "AA", change
    order.refresh_from_db()
    assert order.side == "right"


def test_a_merged_away_record_is_never_found_by_patient_search(client, pages):
    PatientFactory(mrn="X1000001", family_name="Okafor")
    survivor = PatientFactory(mrn="Y1000001", family_name="Okafor")
    ack_of(client, merge_messages.a40())

    page = pages.get(reverse("radiology:patient_search"), {"q": "okafor", "go": "list"}).content.decode()

    assert "Y1000001" in page and "X1000001" not in page
    assert list(find_patients(mrn="X1000001")) == []
    assert list(find_patients(query="okafor")) == [survivor]


def test_an_update_for_a_merged_away_mrn_updates_the_survivor(client):
    old = PatientFactory(mrn="X1000001", family_name="Okafor")
    survivor = PatientFactory(mrn="Y1000001", family_name="Okafor")
    ack_of(client, merge_messages.a40())

    ack = ack_of(client, epic_adt(event="A08", control_id="UPD1", mrn="X1000001", name="Okafor-Mensah^Ada"))

    assert ack["MSA"][1] == "AA", ack
    survivor.refresh_from_db()
    old.refresh_from_db()
    assert (survivor.family_name, old.family_name) == ("Okafor-Mensah", "Okafor")
