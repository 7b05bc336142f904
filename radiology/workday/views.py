"""The technologist's day list, the procedure actions, the radiologist's list and the
manager's dashboard. Views parse input, call a service or selector, and render."""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from radiology.action_links import action_links
from radiology.date_range import OUT_OF_RANGE, in_range
from radiology.errors import AppointmentActionError
from radiology.models import Appointment
from radiology.services import booking, workflow
from radiology.workday import forms, selectors
from radiology.workday import rows as rows_html
from scheduling.clinic_time import local_today


@login_required
@permission_required("radiology.view_day_list", raise_exception=True)
def day_list(request, day: str | None = None):
    try:
        shown = date.fromisoformat(day) if day else local_today()
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
        links=action_links(user=request.user, back=request.get_full_path(), group="workflow"),
    )
    for row in rows:
        row.html, row.block = rows_html.row_html(row), rows_html.block_html(row)
    context = {
        "day": shown,
        "is_today": shown == local_today(),
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
@permission_required("radiology.check_in_appointment", raise_exception=True)
def did_not_proceed(request, pk):
    def perform(appointment, data):
        return workflow.record_not_proceeded(appointment_id=appointment.pk, actor=request.user, **data)

    initial = {"reason_code": request.GET.get("reason", "")}
    return _action_page(
        request,
        pk,
        form_class=forms.NotProceededForm,
        template="radiology/workday/action.html",
        perform=perform,
        title="Did not proceed",
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
    lists = selectors.radiologist_lists(user=request.user, today=local_today())
    links = action_links(user=request.user, back=request.get_full_path(), group="workflow")
    for appointment in (a for group in lists.values() for a in group):
        appointment.actions = links(appointment)
    return render(request, "radiology/workday/radiologist.html", {**lists, "day": local_today()})
