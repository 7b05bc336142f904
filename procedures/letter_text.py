"""The patient's result letter in plain language: part of the catalog, reviewed like the prep text.

One sentence block per BI-RADS assessment (what was found) and per recommendation (what
happens next), plus the letter's frame. Written in English, in words a patient understands
(no category numbers, no Latin); translated like the catalog's prep text, through
locale/<lang>/LC_MESSAGES/django.po with the English line as the key. A test checks that
every line here is translated. The keys are the report's stored values (radiology's
`Assessment` and `Recommendation`); this module knows nothing else of radiology.

Placeholders are Python's named ones: %(name)s, %(date)s, %(weeks)s, %(clinic)s, %(phone)s.
"""

from django.utils.translation import gettext_noop as _

TITLE = _("Your test results")
GREETING = _("Dear %(name)s,")
GREETING_NO_NAME = _("Dear patient,")
WHAT_WAS_DONE_HEADING = _("What was done")
WHAT_WAS_DONE = _(
    "On %(date)s you had a galactogram (also called a ductogram) in our department. This is an X-ray test of "
    "the milk ducts: a small amount of dye is put into one duct and mammogram pictures are taken."
)
FOUND_HEADING = _("What we found")
NEXT_HEADING = _("What happens next")
CALL_HEADING = _("Questions")
CALL = _(
    "If you have any questions about this letter, please call the %(clinic)s at %(phone)s. The doctor who sent "
    "you for this test receives the full report as well."
)
SIGN_OFF = _("With kind regards,")
INTERVAL = _("We suggest this in about %(weeks)s weeks.")

# What was found, by BI-RADS assessment (0–6).
FOUND = {
    "0": _(
        "The pictures did not give us the full answer yet. We need some more pictures or another test to "
        "finish the examination. This does not mean that something is wrong."
    ),
    "1": _("We found nothing of concern. Your milk ducts look normal."),
    "2": _("We found a change that is not cancer (it is benign). It does not need any treatment or extra tests."),
    "3": _(
        "We found a change that is almost certainly not cancer (probably benign). To be sure, we would like to "
        "look at it again after a short time."
    ),
    "4": _(
        "We found a change that needs a closer look. Most changes like this are not cancer, but the only way to "
        "know for sure is to take a small sample of tissue (a biopsy)."
    ),
    "5": _(
        "We found a change that needs to be checked soon. A small sample of tissue (a biopsy) will tell us "
        "exactly what it is."
    ),
    "6": _("The pictures show the area that is already known from your earlier biopsy."),
}

# What happens next, by recommendation.
NEXT = {
    "none": _("You do not need any further test because of this examination."),
    "routine": _("Please keep to your usual breast screening."),
    "surgical_consultation": _(
        "We recommend that you see a breast surgeon to talk about the result and the next steps."
    ),
    "ultrasound": _("We recommend a breast ultrasound (a scan with sound waves) to look at the area more closely."),
    "mri": _("We recommend a breast MRI (a scan with a magnet, without X-rays) to look at the area more closely."),
    "biopsy": _(
        "We recommend a biopsy: a doctor takes a small sample of tissue with a needle, using numbing medicine."
    ),
    "repeat_ductogram": _("We recommend that you have this test (the galactogram) again."),
}
# What we do about it, when she has something to book.
BOOKING = _("We will contact you to arrange this. You can also call us to book it.")


def lines() -> list[str]:
    """Every line of the letter's wording (for the translation test)."""
    frame = [
        TITLE,
        GREETING,
        GREETING_NO_NAME,
        WHAT_WAS_DONE_HEADING,
        WHAT_WAS_DONE,
        FOUND_HEADING,
        NEXT_HEADING,
        CALL_HEADING,
        CALL,
        SIGN_OFF,
        INTERVAL,
        BOOKING,
    ]
    return [*frame, *FOUND.values(), *NEXT.values()]
