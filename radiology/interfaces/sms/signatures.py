"""The two webhooks' signatures, checked in constant time before anything is read or stored.

- The provider-neutral shape: `X-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw
  body>">` with SMS_INBOUND_SECRET, and `X-Signature-Timestamp` (Unix seconds) no more than
  SMS_INBOUND_MAX_SKEW_SECONDS away from our clock, so a captured request cannot be replayed
  later (inside the window the provider id makes a replay change nothing).
- Twilio: `X-Twilio-Signature`, checked by the twilio package's RequestValidator (HMAC-SHA1
  of the full URL Twilio called and its sorted POST parameters, base64, compared in constant
  time) with TWILIO_AUTH_TOKEN. The URL is SITE_URL + the path, as Twilio was told it: behind
  a proxy the request's own host and scheme may differ.
"""

import hashlib
import hmac

from django.conf import settings
from twilio.request_validator import RequestValidator


def gateway_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def gateway_request_is_signed(*, body: bytes, timestamp: str, signature: str, now_seconds: float) -> bool:
    secret = settings.SMS_INBOUND_SECRET
    if not secret or not timestamp or not signature:
        return False
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now_seconds - sent_at) > settings.SMS_INBOUND_MAX_SKEW_SECONDS:
        return False
    expected = gateway_signature(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


def twilio_request_is_signed(*, url: str, params: dict, signature: str) -> bool:
    token = settings.TWILIO_AUTH_TOKEN
    if not token or not signature:
        return False
    return RequestValidator(token).validate(url, params, signature)
