"""The radiologists' pages for reports: the list of exams to report and the report page
(write or edit the preliminary, sign it as final with her password, add a signed addendum).
Views stay thin: the rules are radiology.services.reports'."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from radiology import selectors
from radiology.errors import ServiceRefusal
from radiology.models import PERFORMED_STATES, Appointment
from radiology.pages.reports.forms import AddendumForm, ReportForm
from radiology.presentation.refusals import forbidden, show_on_form
from radiology.presentation.waiting import waiting_text
from radiology.selectors.reports import report_record, to_report
from radiology.services import reports
from security.access_log import What, record_access

SIGN_REPORT = "radiology.sign_report"
REPORT_FIELDS = ("findings", "impression", "assessment", "recommendation", "follow_up_interval_weeks")


@login_required
@permission_required(SIGN_REPORT, raise_exception=True)
def reports_to_write(request):
    """Performed exams with no final report, the longest waiting first."""
    now = timezone.now()
    appointments = to_report()
    for appointment in appointments:
        appointment.waiting = waiting_text(appointment.performed_at, now)
    return render(request, "radiology/reports/to_report.html", {"appointments": appointments})


def _appointment(pk: int) -> Appointment:
    try:
        return selectors.appointment_with_history(pk)
    except Appointment.DoesNotExist:
        raise Http404("No such appointment") from None


def _page(request, appointment, *, form=None, addendum_form=None, status=200):
    record = report_record(appointment.pk)
    report = record.report if record else None
    if form is None and not (report and report.is_final):
        if report:
            initial = {name: getattr(report, name) for name in REPORT_FIELDS}
        else:  # the outcome's findings and impression (their old place) are her starting text
            outcome = getattr(appointment, "outcome", None)
            initial = {"findings": outcome.findings, "impression": outcome.impression} if outcome else {}
        form = ReportForm(initial={**initial, "version": report.version if report else None})
    if addendum_form is None and report and report.is_final:
        addendum_form = AddendumForm()
    record_access(request=request, patient_ids=[appointment.patient_id], what=What.APPOINTMENT_PAGE)
    context = {
        "appointment": appointment,
        "record": record,
        "performed": appointment.status in PERFORMED_STATES,
        "not_performed": reports.NOT_PERFORMED,
        "form": form if not (report and report.is_final) else None,
        "addendum_form": addendum_form,
    }
    return render(request, "radiology/reports/report.html", context, status=status)


def _refused(request, appointment, refusal, *, form=None, addendum_form=None):
    if refusal.code == "forbidden":
        return forbidden(request, refusal)
    if refusal.fields:
        show_on_form(form or addendum_form, refusal)
    else:
        # About the report, not an input (not performed, already final, a newer version):
        # said above the page, which shows the report as it now is.
        messages.error(request, refusal.message)
    return _page(request, appointment, form=form, addendum_form=addendum_form)


@login_required
@permission_required(SIGN_REPORT, raise_exception=True)
def report_page(request, pk):
    appointment = _appointment(pk)
    if request.method != "POST":
        return _page(request, appointment)
    form = ReportForm(request.POST)
    if not form.is_valid():
        return _page(request, appointment, form=form)
    data = form.cleaned_data
    final = "sign" in request.POST
    try:
        reports.save_report(
            appointment_id=appointment.pk,
            actor=request.user,
            **{name: data[name] for name in REPORT_FIELDS},
            final=final,
            password=data["password"],
            signature=reports.PASSWORD,
            expected_version=data["version"],
        )
    except ServiceRefusal as refusal:
        return _refused(request, appointment, refusal, form=form)
    messages.success(request, "Report signed as final." if final else "Preliminary report saved.")
    return redirect("radiology:report", pk=appointment.pk)


@login_required
@permission_required(SIGN_REPORT, raise_exception=True)
@require_POST
def report_addendum(request, pk):
    appointment = _appointment(pk)
    form = AddendumForm(request.POST)
    if not form.is_valid():
        return _page(request, appointment, addendum_form=form)
    try:
        reports.add_addendum(
            appointment_id=appointment.pk,
            actor=request.user,
            text=form.cleaned_data["text"],
            password=form.cleaned_data["password"],
            signature=reports.PASSWORD,
        )
    except ServiceRefusal as refusal:
        return _refused(request, appointment, refusal, addendum_form=form)
    messages.success(request, "Addendum signed and added to the report.")
    return redirect("radiology:report", pk=appointment.pk)
