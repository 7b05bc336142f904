"""One refusal shape for every service (radiology.errors): declared codes, declared extra
data, and one wording of "just taken", translated for the patient's pages."""

import pytest
from django.utils import translation

from radiology.errors import JUST_TAKEN, ServiceRefusal


def test_a_refusal_with_an_undeclared_code_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown refusal code"):
        ServiceRefusal("No.", code="nope")


def test_just_taken_has_one_wording_and_the_patient_reads_it_in_her_language():
    refusal = ServiceRefusal.just_taken([])

    assert (refusal.message, refusal.code) == ("That time was just taken. Here are the next free times.", "conflict")
    with translation.override("es"):
        assert str(JUST_TAKEN) == "Esa hora se acaba de ocupar. Estas son las siguientes horas libres."
