"""Managers' pages (the read audit, refused log-ins) and a staff member's own unlock link."""

from axes.models import AccessAttempt
from axes.utils import reset
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from radiology.models import Patient
from security import unlock as unlock_links
from security.access_log import access_log
from security.throttle import client_address


class AccessLogFilter(forms.Form):
    patient = forms.ModelChoiceField(Patient.objects.all(), required=False, widget=forms.NumberInput)
    mrn = forms.CharField(required=False, max_length=20, label="MRN")
    user = forms.CharField(required=False, max_length=150)


@login_required
@permission_required("security.view_accesslogentry", raise_exception=True)
def access_log_page(request):
    form = AccessLogFilter(request.GET or None)
    patient_id, username = None, ""
    if form.is_valid():
        patient = form.cleaned_data["patient"]
        if form.cleaned_data["mrn"]:
            patient = Patient.objects.filter(mrn__iexact=form.cleaned_data["mrn"].strip()).first() or Patient(pk=0)
        patient_id = patient.pk if patient else None
        username = form.cleaned_data["user"].strip()
    page = Paginator(access_log(patient_id=patient_id, username=username), 100).get_page(request.GET.get("page"))
    return render(request, "security/access_log.html", {"form": form, "page": page, "query": request.GET.urlencode()})


@login_required
@permission_required("security.unlock_logins", raise_exception=True)
def lockouts_page(request):
    attempts = AccessAttempt.objects.order_by("-attempt_time")[:200]
    return render(request, "security/lockouts.html", {"attempts": attempts})


@require_POST
@login_required
@permission_required("security.unlock_logins", raise_exception=True)
def unlock(request):
    username, address = request.POST.get("username", ""), request.POST.get("ip_address", "")
    if username:
        reset(username=username)
    if address:
        reset(ip=address)
    messages.success(request, "Unlocked: the next log-in is allowed.")
    return redirect("security:lockouts")


class UnlockRequestForm(forms.Form):
    username = forms.CharField(max_length=150)


@require_POST
def request_unlock(request):
    """From the refused log-in page: e-mail her an unlock link. The answer is the same
    whatever the username (it tells no one which usernames exist)."""
    form = UnlockRequestForm(request.POST)
    if form.is_valid():
        unlock_links.request_unlock_link(
            username=form.cleaned_data["username"], address=client_address(request) or None
        )
    messages.info(
        request,
        "If this username has an e-mail address, a link to unlock it is on its way. It works once, "
        f"for {settings.LOGIN_UNLOCK_LINK_MINUTES} minutes.",
    )
    return redirect("login")


@require_http_methods(["GET", "HEAD", "POST"])
def use_unlock(request, token):
    """Opening the link shows a button (a mail scanner following it changes nothing); the
    button unlocks once."""
    if request.method != "POST":
        status = 200 if unlock_links.open_request(token) else 404
        return render(request, "registration/unlock.html", {"valid": status == 200}, status=status)
    if unlock_links.use_unlock_link(token=token, address=client_address(request) or None):
        messages.success(request, "Your log-in is unlocked. Log in with your password.")
        return redirect("login")
    return render(request, "registration/unlock.html", {"valid": False}, status=404)
