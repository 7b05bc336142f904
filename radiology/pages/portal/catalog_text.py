"""The catalog's patient text on the patient's page, in her language.

The catalog (procedures.catalog, editable in the admin) is written in English. Its lines
are translated like any other text, through locale/<lang>/LC_MESSAGES/django.po, with the
English line as the key. They are listed here, marked, so that `makemessages` keeps them in
the catalog; a test checks that every line the catalog has today is listed and translated.
A line a manager edits in the admin shows in English until its translation is added.
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

CATALOG_LINES = (
    # Mammary ductogram (galactogram): preparation
    _("You can eat and drink as usual; no fasting is needed."),
    _(
        "Do not squeeze the nipple or try to express fluid for 2 days (48 hours) before your appointment. "
        "We need some fluid to be there on the day to find the right duct."
    ),
    _("Tell us before the appointment if you have ever had a reaction to X-ray dye (contrast)."),
    _("You may have a mammogram or ultrasound first to find the duct."),
    _("Wear a two-piece outfit; you will change into a gown from the waist up."),
    # summary
    _(
        "A galactogram (also called a ductogram) is an X-ray test of the milk ducts. A very thin, soft tube is "
        "placed in the opening of one duct at the nipple, a small amount of dye (contrast) is put in, and "
        "mammogram pictures are taken. The dye shows the inside of the duct."
    ),
    # patient experience
    _(
        "Most people feel slight discomfort or pressure when the tube goes in and the dye is put in. Afterwards "
        "the breast can feel a little tender or full for a few hours. A mild pain reliever and a warm compress help."
    ),
)


def translated_lines(lines) -> list[str]:
    """Each non-empty line in the active language (the English line when there is none)."""
    return [gettext(line) for line in lines if line and line.strip()]
