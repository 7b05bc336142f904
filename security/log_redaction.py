"""Secrets out of the logs. Three kinds of address carry a key to someone's data in their
path: a patient link (/p/<id>/<token>/ opens her page), a calendar feed
(/cal/<kind>/<id>/<token>.ics shows a schedule with patients) and a log-in unlock link
(/accounts/unlock/<token>/). Logs are read by more people than those the keys were given to,
and kept longer, so the token is masked wherever it appears in a line: Django's request log
(404, 429, 403 on a CSRF failure), runserver's and gunicorn's access logs.

Redaction is done at the logger (a logging.Filter on our handlers, gunicorn's logger class),
not at each call site: a log call added tomorrow is covered too. No Django import here, so
that the gunicorn master can use it before Django is set up."""

import logging
import re

MASK = "[token]"
_SECRET_PATHS = [
    re.compile(r"(/p/\d+/)[^/\s\"'?#]+"),
    re.compile(r"(/cal/[a-z]+/\d+/)[^/\s\"'?#]+?(\.ics)"),
    re.compile(r"(/accounts/unlock/)[^/\s\"'?#]+"),
]


def redact(text: str) -> str:
    """The text with the token of every secret address in it masked."""
    for pattern in _SECRET_PATHS:
        text = pattern.sub(lambda m: m.group(1) + MASK + (m.group(2) if m.re.groups > 1 else ""), text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Masks secret addresses in a record's message (its arguments included) before any
    handler formats it. The record is kept, only its text changes."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: leave it for the handler to report
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
