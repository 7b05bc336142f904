"""Thin webhooks: check the signature, translate the shape, call the service. A forged, stale
or malformed request is refused before anything is stored; a good one is answered 200 at once
(the reply to the patient goes through the outbox, never in the HTTP answer)."""

import json
import time

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from radiology.interfaces.sms.signatures import gateway_request_is_signed, twilio_request_is_signed
from radiology.models import InboundSms
from radiology.services.inbound_sms import receive_sms

P = InboundSms.Provider
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _refused(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt  # a gateway has no session; the signature is its proof (checked first)
@require_POST
def inbound(request):
    """The provider-neutral shape: JSON {"id", "from", "to", "body"}, signed."""
    body = request.body
    if not gateway_request_is_signed(
        body=body,
        timestamp=request.headers.get("X-Signature-Timestamp", ""),
        signature=request.headers.get("X-Signature", ""),
        now_seconds=time.time(),
    ):
        return _refused("Bad or stale signature.", 403)
    try:
        data = json.loads(body)
    except ValueError:
        return _refused("The body is not JSON.", 400)
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("id", "from", "body")):
        return _refused('Expected {"id", "from", "to", "body"} as strings.', 400)
    if not data["id"].strip() or not data["from"].strip():
        return _refused('"id" and "from" may not be empty.', 400)
    message = receive_sms(
        provider=P.GATEWAY,
        provider_message_id=data["id"].strip(),
        sender=data["from"],
        to=str(data.get("to") or ""),
        body=data["body"],
        now=timezone.now(),
    )
    return JsonResponse({"id": message.pk, "outcome": message.outcome})


@csrf_exempt  # Twilio has no session; X-Twilio-Signature is its proof (checked first)
@require_POST
def inbound_twilio(request):
    """Twilio's messaging webhook: a form with MessageSid, From, To, Body."""
    url = settings.SITE_URL.rstrip("/") + request.get_full_path()
    params = {key: request.POST.get(key) for key in request.POST}
    if not twilio_request_is_signed(url=url, params=params, signature=request.headers.get("X-Twilio-Signature", "")):
        return _refused("Bad signature.", 403)
    sid, sender = params.get("MessageSid") or params.get("SmsSid") or "", params.get("From") or ""
    if not sid.strip() or not sender.strip():
        return _refused("MessageSid and From are required.", 400)
    receive_sms(
        provider=P.TWILIO,
        provider_message_id=sid.strip(),
        sender=sender,
        to=params.get("To") or "",
        body=params.get("Body") or "",
        now=timezone.now(),
    )
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")
