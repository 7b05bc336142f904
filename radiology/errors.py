"""One shape for every refusal a service makes, whatever door asked.

A refusal is a sentence a person can act on (`message`), a `code` that says what kind of
refusal it is, the input `fields` it is about ({field: sentence}), and extra data declared
here, never set ad hoc on the instance (HackSoft's ApplicationError(message, extra), Zulip's
data_fields): every door reads the same attributes. The doors each have one mapper: a form
(radiology.presentation.refusals.show_on_form), a page's 403
(radiology.presentation.refusals.forbidden), the API's JSON error
(radiology.interfaces.api.errors), FHIR's OperationOutcome and HL7's ERR segment.
"""

from django.utils.translation import gettext_lazy

# The codes, and what each means to a door (the API maps them onto HTTP statuses).
CODES = {
    "forbidden": "the user's role does not allow it",
    "not_allowed": "the state or a guard does not allow it now",
    "invalid": "an input is missing or wrong",
    "required": "a new record lacks a field it cannot be made without (a system's message)",
    "conflict": "someone else changed it first, the time was just taken, or the record exists",
    "not_found": "there is no such record",
}

# A booking that lost its time to another one a moment ago. One wording at every door;
# translatable because the patient's pages show it in her language.
JUST_TAKEN = gettext_lazy("That time was just taken. Here are the next free times.")


class ServiceRefusal(Exception):
    """A service said no and changed nothing.

    Extra data, only where it applies:
    suggestions: on a booking conflict, the next free slots to offer instead.
    existing_patient_id: on a registration that duplicates a patient, that patient's id.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "not_allowed",
        fields: dict | None = None,
        suggestions=None,
        existing_patient_id: int | None = None,
    ):
        if code not in CODES:
            raise ValueError(f"Unknown refusal code {code!r}; use one of {', '.join(CODES)}.")
        super().__init__(message)
        self.message = message
        self.code = code
        self.fields = fields or {}
        self.suggestions = list(suggestions or [])
        self.existing_patient_id = existing_patient_id

    @classmethod
    def just_taken(cls, suggestions) -> "ServiceRefusal":
        """Another booking got the time first: say so, and offer these times instead."""
        return cls(str(JUST_TAKEN), code="conflict", suggestions=suggestions)
