"""Managers' pages: the read audit and refused log-ins."""

from axes.models import AccessAttempt
from axes.utils import reset
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from radiology.models import Patient
from security.access_log import access_log


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
