"""Channels behind one small interface.

A backend has `send(outgoing) -> provider_id` and `lookup(idempotency_key) -> provider_id | None`.
`send` raises TransientError (try again later) or PermanentError (never again). `lookup`
answers "did you already deliver the message with this key?" so that a send whose outcome
we lost is not repeated; a backend that cannot tell raises LookupUnsupported.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


class ChannelError(Exception):
    permanent = False


class TransientError(ChannelError):
    """The provider may accept the message later (timeout, 5xx, connection refused)."""


class PermanentError(ChannelError):
    """The provider refused the message for good (bad number, 4xx): retrying cannot help."""

    permanent = True


class LookupUnsupported(Exception):  # noqa: N818 - a signal, not an error condition
    """The provider cannot say whether a message was delivered."""


@dataclass(frozen=True)
class Outgoing:
    recipient: str
    text: str
    idempotency_key: str
    subject: str = ""
    html: str = ""


def get_backend(channel: str):
    if channel == "email":
        from notifications.channels.email import EmailBackend

        return EmailBackend()
    if channel == "sms":
        return import_string(settings.SMS_BACKEND)()
    if channel == "hl7":
        from notifications.channels.mllp import MLLPBackend

        return MLLPBackend()
    raise ValueError(f"Unknown channel {channel!r}")
