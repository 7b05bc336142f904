"""The letter's wording is the catalog's, reviewed like the prep text: a sentence for every
assessment and recommendation a report can have, each one translated into Spanish."""

from django.utils import translation

from procedures import letter_text
from radiology.models import Assessment, Recommendation


def test_every_assessment_and_recommendation_has_its_sentence():
    assert set(letter_text.FOUND) == set(Assessment.values)
    assert set(letter_text.NEXT) == set(Recommendation.values)


def test_every_line_of_the_letter_is_translated_into_spanish():
    with translation.override("es"):
        untranslated = [line for line in letter_text.lines() if translation.gettext(line) == line]

    assert untranslated == []


def test_the_spanish_lines_keep_their_placeholders():
    with translation.override("es"):
        for line in letter_text.lines():
            for name in ("name", "date", "weeks", "clinic", "phone"):
                assert (f"%({name})s" in line) == (f"%({name})s" in translation.gettext(line)), line
