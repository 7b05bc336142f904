"""The technologist's day list, the procedure actions, the radiologist's list and the
manager's dashboard. Views parse input, call a service or selector, and render."""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from radiology import csv_export
from radiology.date_range import OUT_OF_RANGE, in_range
from radiology.errors import AppointmentActionError
from radiology.models import Appointment, clinic_zone
from radiology.services import booking
from radiology.services import procedure as workflow
from radiology.workday import charts, dashboard, forms, selectors
from radiology.workday import rows as rows_html
from security.access_log import What, record_access


def _today() -> date:
    return timezone.now().astimezone(clinic_zone()).date()


@login_required
@permission_required("radiology.view_day_list", raise_exception=True)
def day_list(request, day: str | None = None):
    try:
        shown = date.fromisoformat(day) if day else _today()
    except ValueError:
        raise Http404("Not a date") from None
    if not in_range(shown):
        return render(request, "400.html", {"message": OUT_OF_RANGE}, status=400)
    filters = forms.DayFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    rows = selectors.day_rows(
        day=shown,
        room_id=chosen.get("room") and chosen["room"].pk,
        radiologist_id=chosen.get("radiologist") and chosen["radiologist"].pk,
        mine=request.user if chosen.get("mine") else None,
        links=selectors.action_links(permissions=request.user.get_all_permissions(), back=request.get_full_path()),
    )
    for row in rows:
        row.html, row.block = rows_html.row_html(row), rows_html.block_html(row)
    context = {
        "day": shown,
        "is_today": shown == _today(),
        "previous": shown - timedelta(days=1),
        "next": shown + timedelta(days=1),
        "rows": rows,
        "rooms": selectors.rows_by_room(rows),
        "hours": selectors.timeline_hours(),
        "filters": filters,
        "query": request.GET.urlencode(),
    }
    template = "radiology/workday/_day_body.html" if request.htmx else "radiology/workday/day_list.html"
    return render(request, template, context)


def _back(request, appointment) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return appointment.get_absolute_url()


def _action_page(request, pk, *, form_class, template, perform, title, initial=None):
    """One click to open, one form to confirm: on success say what happened and go back."""
    appointment = get_object_or_404(Appointment.objects.select_related("patient", "room", "procedure"), pk=pk)
    data = request.POST if request.method == "POST" else None  # a confirm-only form posts nothing
    form = form_class(data, initial=initial(appointment) if initial else None)
    if request.method == "POST" and form.is_valid():
        try:
            done = perform(appointment, form.cleaned_data)
        except AppointmentActionError as error:
            if error.code == "forbidden":
                return render(request, "403.html", {"message": error.message}, status=403)
            for field, message in error.fields.items():
                if field in form.fields:
                    form.add_error(field, message)
            if not error.fields or not any(f in form.fields for f in error.fields):
                form.add_error(None, error.message)
        else:
            messages.success(
                request, f"{done.patient.full_name}: {title.lower()} done — now {done.get_status_display().lower()}."
            )
            return redirect(_back(request, done))
    return render(
        request,
        template,
        {"appointment": appointment, "form": form, "title": title, "next": _back(request, appointment)},
    )


@login_required
@permission_required("radiology.check_in_appointment", raise_exception=True)
def check_in(request, pk):
    def perform(appointment, data):
        return workflow.check_in_patient(
            appointment_id=appointment.pk, actor=request.user, checklist=workflow.Checklist(**data)
        )

    return _action_page(
        request,
        pk,
        form_class=forms.CheckInForm,
        template="radiology/workday/check_in.html",
        perform=perform,
        title="Check in",
    )


@login_required
@permission_required("radiology.perform_procedure", raise_exception=True)
def start(request, pk):
    def perform(appointment, data):
        return workflow.start_procedure(appointment_id=appointment.pk, actor=request.user, **data)

    return _action_page(
        request,
        pk,
        form_class=forms.StartForm,
        template="radiology/workday/action.html",
        perform=perform,
        title="Start procedure",
        initial=lambda a: {"radiologist": a.radiologist_id, "technologist": a.technologist_id},
    )


@login_required
@permission_required("radiology.perform_procedure", raise_exception=True)
def complete(request, pk):
    def perform(appointment, data):
        data = {k: v for k, v in data.items() if k != "cannulated"}
        return workflow.complete_procedure(appointment_id=appointment.pk, actor=request.user, **data)

    return _action_page(
        request,
        pk,
        form_class=forms.CompleteForm,
        template="radiology/workday/complete.html",
        perform=perform,
        title="Complete procedure",
    )


@login_required
@permission_required("radiology.perform_procedure", raise_exception=True)
def abort(request, pk):
    def perform(appointment, data):
        return workflow.abort_procedure(appointment_id=appointment.pk, actor=request.user, **data)

    initial = {"reason_code": request.GET.get("reason", "")}
    return _action_page(
        request,
        pk,
        form_class=forms.AbortForm,
        template="radiology/workday/action.html",
        perform=perform,
        title="Abort procedure",
        initial=lambda a: initial,
    )


@login_required
@permission_required("radiology.mark_no_show", raise_exception=True)
def no_show(request, pk):
    def perform(appointment, data):
        return booking.mark_no_show(appointment_id=appointment.pk, actor=request.user)

    return _action_page(
        request,
        pk,
        form_class=forms.ConfirmForm,
        template="radiology/workday/action.html",
        perform=perform,
        title="Mark no-show",
    )


@login_required
@permission_required("radiology.arrange_follow_up", raise_exception=True)
def follow_up(request, pk):
    def perform(appointment, data):
        return workflow.arrange_follow_up(appointment_id=appointment.pk, actor=request.user, **data)

    return _action_page(
        request,
        pk,
        form_class=forms.FollowUpForm,
        template="radiology/workday/action.html",
        perform=perform,
        title="Arrange follow-up",
    )


@login_required
@permission_required("radiology.arrange_follow_up", raise_exception=True)
def radiologist_list(request):
    lists = selectors.radiologist_lists(user=request.user, today=_today())
    return render(request, "radiology/workday/radiologist.html", {**lists, "day": _today()})


def _period(request):
    today = _today()
    form = forms.PeriodForm(request.GET or {"start": today - timedelta(days=30), "end": today + timedelta(days=14)})
    if form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    return form, today - timedelta(days=30), today + timedelta(days=14)


@login_required
@permission_required("radiology.view_dashboard", raise_exception=True)
def dashboard_page(request):
    form, start_day, end_day = _period(request)
    figures = dashboard.department_figures(start_day=start_day, end_day=end_day)
    utilisation = {
        room: [(f"{day:%d %b}", value) for day, value in series] for room, series in figures.utilisation.items()
    }
    context = {
        "form": form,
        "start_day": start_day,
        "end_day": end_day,
        "f": figures,
        "utilisation": utilisation,
        "chart_states": charts.bar_chart(figures.by_state),
        "chart_cancellations": charts.bar_chart(figures.cancellations),
        "chart_durations": charts.bar_chart(figures.durations, unit=" min"),
        "chart_leads": charts.bar_chart(figures.lead_buckets),
        "chart_utilisation": charts.line_chart(utilisation),
        "chart_reminders": charts.bar_chart([(f"{kind} sent", sent) for kind, sent, _, _ in figures.reminders]),
        "export_url": reverse("radiology:dashboard_export") + "?" + request.GET.urlencode(),
    }
    return render(request, "radiology/workday/dashboard.html", context)


@login_required
@permission_required("radiology.view_dashboard", raise_exception=True)
def dashboard_export(request):
    _, start_day, end_day = _period(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="galactograms-{start_day}-{end_day}.csv"'
    patient_ids = dashboard.period_appointments(start_day, end_day).values_list("patient_id", flat=True)
    record_access(request=request, patient_ids=list(patient_ids), what=What.CSV_EXPORT)
    csv_export.write_rows(response, dashboard.CSV_COLUMNS, dashboard.csv_rows(start_day=start_day, end_day=end_day))
    return response
