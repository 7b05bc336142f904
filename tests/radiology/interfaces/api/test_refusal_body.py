"""The API's one mapper from a service's refusal to its JSON error: the sentence, the fields,
the declared extra data (the existing patient of a duplicate registration, suggestions), and
the HTTP status of the refusal's code."""

import pytest

from radiology.errors import ServiceRefusal
from radiology.interfaces.api.errors import STATUS_FOR_CODE, json_exception_handler, refusal_body
from radiology.services.patients import register_patient
from tests.factories import PatientFactory, StaffMemberFactory


@pytest.mark.django_db
def test_a_duplicate_registration_declares_the_existing_patient_and_the_api_names_it():
    existing = PatientFactory(mrn="DUP-1")
    scheduler = StaffMemberFactory(scheduler=True).user

    with pytest.raises(ServiceRefusal) as refused:
        register_patient(
            actor=scheduler,
            mrn="dup-1",
            given_name="Ana",
            family_name="Lopez",
            birth_date=existing.birth_date,
            email="ana@example.org",
        )

    assert refused.value.existing_patient_id == existing.pk and refused.value.code == "conflict"
    body = refusal_body(refused.value)
    assert body["patient"] == existing.pk
    assert body["fields"] == {"mrn": "MRN DUP-1 is already registered."}
    assert json_exception_handler(refused.value, {}).status_code == 409


def test_the_api_body_carries_the_sentence_and_nothing_undeclared():
    assert refusal_body(ServiceRefusal("Not now.")) == {"error": "Not now."}


@pytest.mark.parametrize(("code", "status"), list(STATUS_FOR_CODE.items()))
def test_each_refusal_code_has_its_http_status(code, status):
    assert json_exception_handler(ServiceRefusal("No.", code=code), {}).status_code == status
