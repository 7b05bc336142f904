"""Message text from templates per kind, channel and language (English as the fallback).

templates/notifications/messages/<kind>.sms.<lang>.txt          short: one or two SMS segments
templates/notifications/messages/<kind>.subject.<lang>.txt      e-mail subject line
templates/notifications/messages/<kind>.email.<lang>.txt        e-mail plain text
templates/notifications/messages/<kind>.email.<lang>.html       e-mail HTML (optional)
HL7 rows carry their ready-made payload instead of a template.

Context values whose key ends in "_at" are ISO datetimes (also inside a list of dicts); they are shown in the zone named
by the "tz" value (the clinic's) and the message's language.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string, select_template
from django.utils import timezone, translation

from notifications.channels import Outgoing

FALLBACK_LANGUAGE = "en"


def _names(kind: str, part: str, language: str, ext: str) -> list[str]:
    base = "notifications/messages/{kind}.{part}.{lang}.{ext}"
    return [
        base.format(kind=kind, part=part, lang=lang, ext=ext) for lang in dict.fromkeys([language, FALLBACK_LANGUAGE])
    ]


def _context(values: dict) -> dict:
    context = {}
    for key, value in values.items():
        if key.endswith("_at") and isinstance(value, str) and value:
            value = datetime.fromisoformat(value)
        elif isinstance(value, list):  # a list of choices, each with its own times
            value = [_context(item) if isinstance(item, dict) else item for item in value]
        context[key] = value
    return context


def render(message, extra: dict | None = None) -> Outgoing:
    if message.channel == "hl7":
        # A machine message, built by its planner: rendered when planned (context "payload"),
        # or at send time by the subject's context handler returning a "payload".
        payload = {**message.context, **(extra or {})}["payload"]
        return Outgoing(recipient=message.recipient, text=payload, idempotency_key=message.idempotency_key)
    context = _context({**message.context, **(extra or {})})
    zone = ZoneInfo(context.get("tz") or settings.NOTIFICATIONS_TIME_ZONE)
    with translation.override(message.language), timezone.override(zone):
        if message.channel == "sms":
            text = select_template(_names(message.kind, "sms", message.language, "txt")).render(context)
            return Outgoing(
                recipient=message.recipient, text=" ".join(text.split()), idempotency_key=message.idempotency_key
            )
        subject = select_template(_names(message.kind, "subject", message.language, "txt")).render(context)
        text = select_template(_names(message.kind, "email", message.language, "txt")).render(context)
        try:
            html = render_to_string(_names(message.kind, "email", message.language, "html"), context)
        except TemplateDoesNotExist:
            html = ""
    return Outgoing(
        recipient=message.recipient,
        subject=" ".join(subject.split()),
        text=text.strip() + "\n",
        html=html,
        idempotency_key=message.idempotency_key,
    )
