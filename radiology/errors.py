class ServiceRefusal(Exception):
    """A user-facing refusal: the message is a sentence a person can act on.

    code: "forbidden" (role), "not_allowed" (state or guard), "invalid" (bad input),
    "conflict" (someone else changed it first, or the time was just taken),
    "not_found".
    """

    def __init__(self, message: str, *, code: str = "not_allowed", fields: dict | None = None, suggestions=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.fields = fields or {}
        # For code="conflict" on booking: the next free slots to offer instead.
        self.suggestions = list(suggestions or [])
