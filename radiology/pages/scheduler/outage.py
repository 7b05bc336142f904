"""Declaring an outage (services/outages.py decides): who or what is away and when, the
appointments it catches with what would be done to each, one confirmation, then the report
of what was done."""

from datetime import datetime, time

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.utils import timezone

from radiology.errors import ServiceRefusal
from radiology.presentation.refusals import forbidden, show_on_form
from radiology.services import outages
from scheduling.clinic_time import clinic_zone, local_today, to_local
from scheduling.models import Resource

REPORT_KEY = "outage_report"


class ResourceChoice(forms.ModelChoiceField):
    def label_from_instance(self, resource):
        staff = getattr(resource, "staff_member", None)
        if staff is not None:
            return f"{staff.name} ({staff.get_role_display().lower()})"
        return f"{resource.name} (room: its unit)"


class OutageForm(forms.Form):
    resource = ResourceChoice(
        queryset=Resource.objects.filter(active=True).select_related("staff_member__user").order_by("-kind", "name"),
        label="Who or what is away",
    )
    start_day = forms.DateField(label="From (day)", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(label="From (time)", widget=forms.TimeInput(attrs={"type": "time"}))
    end_day = forms.DateField(label="Until (day)", widget=forms.DateInput(attrs={"type": "date"}))
    end_time = forms.TimeField(label="Until (time)", widget=forms.TimeInput(attrs={"type": "time"}))
    reason = forms.CharField(max_length=150, label="Why", help_text="e.g. off sick, unit down: kept on the calendar.")

    @staticmethod
    def initial_values(now) -> dict:
        local = to_local(now)
        return {
            "start_day": local.date(),
            "start_time": time(local.hour, local.minute - local.minute % 15),
            "end_day": local.date(),
            "end_time": time(18) if local.hour < 17 else time(23, 59),  # "until the end of today"
        }

    def period(self) -> tuple[datetime, datetime]:
        data = self.cleaned_data
        zone = clinic_zone()
        return (
            datetime.combine(data["start_day"], data["start_time"], tzinfo=zone),
            datetime.combine(data["end_day"], data["end_time"], tzinfo=zone),
        )


@login_required
@permission_required("radiology.book_appointment", raise_exception=True)
def outage(request):
    """GET: the form (with ?resource=… its plan); POST: declare it and show the report."""
    if request.method == "POST":
        return _declare(request)
    report = request.session.pop(REPORT_KEY, None)
    data = request.GET if "resource" in request.GET else None
    form = OutageForm(data, initial=OutageForm.initial_values(timezone.now()))
    steps = None
    if form.is_bound and form.is_valid():
        start, end = form.period()
        try:
            steps = outages.plan_outage(
                resource=form.cleaned_data["resource"],
                start=start,
                end=end,
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ServiceRefusal as error:
            if error.code == "forbidden":
                return forbidden(request, error)
            show_on_form(form, error)
    status = 400 if form.is_bound and form.errors else 200
    context = {"form": form, "steps": steps, "report": report, "today": local_today()}
    return render(request, "radiology/scheduler/outage.html", context, status=status)


def _declare(request):
    form = OutageForm(request.POST)
    if form.is_valid():
        start, end = form.period()
        resource = form.cleaned_data["resource"]
        try:
            steps = outages.declare_outage(
                resource=resource, start=start, end=end, reason=form.cleaned_data["reason"], actor=request.user
            )
        except ServiceRefusal as error:
            if error.code == "forbidden":
                return forbidden(request, error)
            show_on_form(form, error)
        else:
            request.session[REPORT_KEY] = {
                "what": form.fields["resource"].label_from_instance(resource),
                "period": f"{to_local(start):%a %d %b %H:%M} – {to_local(end):%a %d %b %H:%M}",
                "steps": [_reported(step) for step in steps],
            }
            return redirect("radiology:outage")
    return render(request, "radiology/scheduler/outage.html", {"form": form, "steps": None}, status=400)


def _reported(step) -> dict:
    """A step as the report page shows it after the redirect (the session keeps plain data)."""
    a = step.appointment
    return {
        "id": a.pk,
        "when": f"{to_local(a.start):%a %d %b %H:%M}",
        "patient": f"{a.patient.family_name}, {a.patient.given_name}",
        "language": a.patient.get_language_display(),
        "outcome": step.label,
        "action": step.action,
        "detail": step.detail,
    }
