"""A name stored before the control-character rule (radiology.rules) reaches the modality
without its control characters: PN allows none (PS3.5 6.2)."""

import pytest

from radiology.interfaces.dicom.items import person_name
from radiology.rules import names_problem


def test_a_stored_name_with_a_carriage_return_and_a_bell_goes_to_the_modality_clean():
    assert person_name("Lo\rpez", "An\x07a") == "Lo pez^An a"


@pytest.mark.parametrize("value", ["Lopez\r", "Lo\npez", "\tAna", "A\x1bna", "An\x7fa", "An\x85a"])
def test_every_control_character_in_a_name_is_refused_by_the_one_rule(value):
    field, sentence = names_problem(family_name=value)
    assert field == "family_name" and "control character" in sentence


def test_a_name_of_letters_accents_apostrophes_and_hyphens_is_fine():
    assert names_problem(family_name="Núñez-O'Brien", given_name="José María") is None
