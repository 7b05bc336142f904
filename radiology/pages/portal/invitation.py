"""Her invitation to book an order (issue 21 C): the earliest free times that fit it, and
booking the one she picks (services/order_invitations.py). Behind its own signed link,
/p/invite/<invitation id>/<token>/; once booked, she goes on to her appointment's own page."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from radiology.errors import JUST_TAKEN, ServiceRefusal
from radiology.pages.portal.forms import RescheduleForm
from radiology.pages.portal.ratelimit import rate_limited
from radiology.pages.portal.views import by_day, private
from radiology.services import order_invitations
from radiology.services.patient_links import invitation_token_is_valid, make_token


@rate_limited
@require_http_methods(["GET", "HEAD", "POST"])
def invitation(request, pk, token):
    found = order_invitations.open_invitation(pk) if invitation_token_is_valid(invitation_id=pk, token=token) else None
    if found is None:
        with translation.override(translation.get_language_from_request(request)):
            return private(render(request, "portal/invalid.html", status=404))
    with translation.override(found.order.patient.language):
        response = _page(request, found, token)
        response.headers.setdefault("Content-Language", translation.get_language())
    return private(response)


def _page(request, invitation, token):
    now = timezone.now()
    if invitation.appointment_id and invitation.status == invitation.Status.BOOKED:
        # Booked (by her or by phone): her appointment's own page has the time and the preparation.
        return redirect("radiology:portal:home", invitation.appointment_id, make_token(invitation.appointment_id))
    choices = order_invitations.invitation_choices(invitation=invitation, now=now)
    refused, status = "", 200
    if not choices and invitation.status != invitation.Status.OPEN:
        refused = _("This invitation can no longer be used to choose a time. Please call us to book.")
    if request.method == "POST" and not refused:
        form = RescheduleForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Please choose one of the times."))
            status = 400
        else:
            try:
                appointment = order_invitations.book_from_invitation(
                    invitation_id=invitation.pk, start=form.cleaned_data["start"], now=now
                )
            except ServiceRefusal as error:
                if error.code != "conflict" or error.suggestions is None:
                    refused, status = (
                        _("This invitation can no longer be used to choose a time. Please call us to book."),
                        409,
                    )
                else:
                    choices, status = error.suggestions, 409
                    messages.error(request, str(JUST_TAKEN))
            else:
                messages.success(request, _("Your appointment is booked. We are sending you the details."))
                return redirect("radiology:portal:home", appointment.pk, make_token(appointment.pk))
    context = {
        "first_name": invitation.order.patient.given_name,
        "days": by_day(choices),
        "refused": refused,
    }
    return render(request, "portal/invitation.html", context, status=status)
