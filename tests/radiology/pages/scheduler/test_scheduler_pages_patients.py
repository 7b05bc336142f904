import pytest

from radiology.models import Patient
from tests.factories import PatientFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db

NEW = {
    "mrn": "H-2001",
    "given_name": "Rosa",
    "family_name": "Diaz",
    "birth_date": "1979-06-14",
    "sex": "female",
    "phone": "(202) 555-0188",
    "email": "",
    "preferred_channel": "sms",
    "language": "en",
    "contrast_allergy_note": "",
}


def field_errors(response, name) -> list[str]:
    return list(response.context["form"].errors.get(name, []))


def test_registering_a_patient_stores_the_phone_in_e164_and_returns_to_the_booking(scheduler_client):
    response = scheduler_client.post("/schedule/patients/new/?slot=procedure%3Dgalactogram%26duration%3D45", NEW)

    patient = Patient.objects.get(mrn="H-2001")
    assert str(patient.phone) == "+12025550188"
    assert response.status_code == 302
    assert response.url == f"/schedule/book/?procedure=galactogram&duration=45&patient={patient.pk}"


def test_an_invalid_phone_number_is_shown_next_to_the_phone_field(scheduler_client):
    response = scheduler_client.post("/schedule/patients/new/", {**NEW, "phone": "12345"})

    assert response.status_code == 400
    assert "include the area code" in field_errors(response, "phone")[0]
    assert not Patient.objects.exists()


def test_text_reminders_without_a_phone_is_a_phone_field_error_not_a_server_error(scheduler_client):
    response = scheduler_client.post("/schedule/patients/new/", {**NEW, "phone": "", "email": "rosa@example.org"})

    assert response.status_code == 400
    assert field_errors(response, "phone") == ["Text reminders need a mobile number; add one or choose e-mail."]


def test_email_reminders_without_an_email_is_an_email_field_error(scheduler_client):
    response = scheduler_client.post("/schedule/patients/new/", {**NEW, "preferred_channel": "email"})

    assert response.status_code == 400
    assert "need an e-mail address" in field_errors(response, "email")[0]


def test_a_registered_mrn_is_refused_with_the_name_of_its_patient(scheduler_client):
    PatientFactory(mrn="H-2001", given_name="Olga", family_name="Novak")

    response = scheduler_client.post("/schedule/patients/new/", {**NEW, "mrn": "h-2001"})

    assert response.status_code == 400
    assert "already registered to Olga Novak" in field_errors(response, "mrn")[0]


def test_a_date_of_birth_in_the_future_is_refused(scheduler_client):
    response = scheduler_client.post("/schedule/patients/new/", {**NEW, "birth_date": "2999-01-01"})

    assert field_errors(response, "birth_date") == ["The date of birth is in the future."]


def test_the_patient_search_finds_by_name_and_links_to_the_booking(scheduler_client):
    patient = PatientFactory(given_name="Hana", family_name="Ito")
    PatientFactory(given_name="Maria", family_name="Lopez")

    response = scheduler_client.get("/schedule/patients/", {"q": "ito", "slot": "procedure=galactogram"})

    assert response.status_code == 200
    assert "Ito, Hana" in response.text
    assert "Lopez" not in response.text
    assert f"/schedule/book/?procedure=galactogram&amp;patient={patient.pk}" in response.text


def test_the_patient_search_says_when_nobody_matches(scheduler_client):
    response = scheduler_client.get("/schedule/patients/", {"q": "zz-nobody"})

    assert "No patient matches" in response.text


def test_a_technologist_cannot_register_patients(client):
    client.force_login(StaffMemberFactory().user)

    assert client.post("/schedule/patients/new/", NEW).status_code == 403


def test_a_scheduler_starts_on_the_slot_search(scheduler_client):
    response = scheduler_client.get("/")

    assert response.status_code == 302
    assert response.url == "/schedule/"


def test_after_registering_without_a_slot_the_search_opens_for_that_patient_without_errors(scheduler_client):
    patient = PatientFactory(given_name="Iris", family_name="Khan")

    response = scheduler_client.get("/schedule/", {"patient": patient.pk})

    assert response.status_code == 200
    assert "Booking for <strong>Iris Khan</strong>" in response.text
    assert not response.context["form"].is_bound


def test_an_empty_form_asks_for_each_missing_detail_in_plain_words(scheduler_client):
    response = scheduler_client.post("/schedule/patients/new/", {"preferred_channel": "sms", "sex": "female"})

    errors = response.context["form"].errors
    assert errors["mrn"] == ["Enter the MRN from the hospital record."]
    assert errors["given_name"] == ["Enter the patient's first name."]
    assert errors["birth_date"] == ["Enter the date of birth: it is checked with the patient at check-in."]
