"""Her earlier-slot offer and her place on the waiting list (issue 21 B).

The offer page is behind a link signed for the offer; it says what the offer service says
(open, taken by her, gone, her time to answer ran out) and sends her answer to it. "Tell me if
an earlier time frees up" sits on her appointment page (behind that page's link).
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from radiology.errors import ServiceRefusal
from radiology.models import SlotOffer, WaitingListEntry
from radiology.pages.portal.ratelimit import rate_limited
from radiology.pages.portal.views import _home, patient_link_required, private
from radiology.services import offers
from radiology.services import waiting_list as waiting
from radiology.services.patient_links import make_token, offer_token_is_valid


@rate_limited
@require_http_methods(["GET", "HEAD", "POST"])
def offer(request, pk, token):
    found = None
    if offer_token_is_valid(offer_id=pk, token=token):
        found = SlotOffer.objects.select_related("round", "patient", "room", "appointment").filter(pk=pk).first()
    if found is None:
        with translation.override(translation.get_language_from_request(request)):
            return private(render(request, "portal/invalid.html", status=404))
    with translation.override(found.patient.language):
        response = _offer_page(request, found, token)
        response.headers.setdefault("Content-Language", translation.get_language())
    return private(response)


def _offer_page(request, found: SlotOffer, token: str):
    now = timezone.now()
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("answer") == "decline":
                offers.decline_offer(offer_id=found.pk, now=now)
                messages.success(request, _("Thank you. We keep you on the waiting list."))
            else:
                offers.accept_offer(
                    offer_id=found.pk, no_expression_confirmed=request.POST.get("no_expression") == "yes", now=now
                )
                messages.success(request, _("This time is yours. We are sending you the details."))
        except ServiceRefusal as refusal:
            status = 400 if refusal.code == "invalid" else 409
            if refusal.code == "invalid":
                messages.error(
                    request,
                    _("Please confirm that you have not expressed fluid and can avoid it until the appointment."),
                )
        else:
            return redirect("radiology:portal:offer", found.pk, token)
        found.refresh_from_db()
        found.round.refresh_from_db()
    state = offers.answer_state(found, now=now)
    appointment_link = None
    if found.appointment_id:
        appointment_link = (found.appointment_id, make_token(found.appointment_id))
    return render(
        request,
        "portal/offer.html",
        {
            "offer": found,
            "state": state,
            "first_name": found.patient.given_name,
            "token": token,
            "appointment_link": appointment_link,
        },
        status=status,
    )


@rate_limited
@require_POST
@patient_link_required
def waiting_list(request, appointment, token):
    """ "Tell me if an earlier time frees up", or take me off the list."""
    now = timezone.now()
    if request.POST.get("leave"):
        for entry in WaitingListEntry.objects.filter(order_id=appointment.order_id, state="waiting"):
            waiting.leave_waiting_list(entry_id=entry.pk, note="She asked through her link", now=now)
        messages.success(request, _("You are off the waiting list."))
        return _home(appointment, token)
    try:
        waiting.join_waiting_list(
            patient=appointment.patient, order=appointment.order, source=WaitingListEntry.Source.PATIENT, now=now
        )
    except ServiceRefusal:
        messages.error(request, _("This appointment cannot be brought forward here. Please call us."))
    else:
        messages.success(request, _("We will text you if an earlier time frees up."))
    return _home(appointment, token)
