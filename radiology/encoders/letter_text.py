"""A result letter's words, in the patient's language: one reading for her page and the PDF.

The wording is the catalog's (procedures.letter_text), chosen by the report's assessment and
recommendation and translated like the prep text; the department's name, address and phone
come from the settings (CLINIC_NAME, CLINIC_ADDRESS, CLINIC_PHONE)."""

from dataclasses import dataclass

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext, pgettext

from procedures import letter_text as text
from scheduling.clinic_time import clinic_zone

# A recommendation with something for her to book (the rest need nothing of her).
TO_BOOK = {"surgical_consultation", "ultrasound", "mri", "biopsy", "repeat_ductogram"}


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: list[str]


@dataclass(frozen=True)
class LetterContent:
    language: str
    title: str
    date: str
    greeting: str
    sections: list[Section]
    sign_off: str
    clinic_name: str
    clinic_address: str
    clinic_phone: str

    @property
    def text(self) -> str:
        """The whole letter as plain text (tests, the page's description)."""
        parts = [self.title, self.date, self.greeting]
        for section in self.sections:
            parts += [section.heading, *section.paragraphs]
        return "\n".join([*parts, self.sign_off, self.clinic_name])


def _day(moment) -> str:
    return formats.date_format(moment.astimezone(clinic_zone()), pgettext("patient page: day", "l j F Y"))


def letter_content(letter, *, now) -> LetterContent:
    """The letter of `letter` (a ResultLetter with report, appointment and patient loaded)."""
    report, patient = letter.report, letter.patient
    appointment = report.appointment
    language = patient.language
    with translation.override(language):
        values = {
            "name": patient.full_name,
            "date": _day(appointment.performed_at or appointment.start),
            "weeks": report.follow_up_interval_weeks,
            "clinic": settings.CLINIC_NAME,
            "phone": settings.CLINIC_PHONE,
        }
        following = [gettext(text.NEXT[report.recommendation])]
        if report.follow_up_interval_weeks and report.recommendation in TO_BOOK:
            following.append(gettext(text.INTERVAL) % values)
        if report.recommendation in TO_BOOK:
            following.append(gettext(text.BOOKING))
        return LetterContent(
            language=language,
            title=gettext(text.TITLE),
            date=_day(letter.sent_at or now),
            greeting=gettext(text.GREETING) % values if patient.given_name else gettext(text.GREETING_NO_NAME),
            sections=[
                Section(gettext(text.WHAT_WAS_DONE_HEADING), [gettext(text.WHAT_WAS_DONE) % values]),
                Section(gettext(text.FOUND_HEADING), [gettext(text.FOUND[report.assessment])]),
                Section(gettext(text.NEXT_HEADING), following),
                Section(gettext(text.CALL_HEADING), [gettext(text.CALL) % values]),
            ],
            sign_off=gettext(text.SIGN_OFF),
            clinic_name=settings.CLINIC_NAME,
            clinic_address=settings.CLINIC_ADDRESS,
            clinic_phone=settings.CLINIC_PHONE,
        )
