"""The technologist's day list, the procedure actions, the radiologist's list and the
manager's dashboard. Views parse input, call a service or selector, and render."""

import hashlib
from datetime import date, timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition
from django.views.decorators.vary import vary_on_headers

from radiology.action_links import action_links
from radiology.date_range import OUT_OF_RANGE, in_range
from radiology.errors import AppointmentActionError
from radiology.models import Appointment
from radiology.permission_cache import preload_permissions
from radiology.services import booking, day_version, workflow
from radiology.workday import flow_board, forms, selectors
from radiology.workday import rows as rows_html
from scheduling.clinic_time import local_today


def _shown_day(day: str | None) -> date:
    try:
        return date.fromisoformat(day) if day else local_today()
    except ValueError:
        raise Http404("Not a date") from None


def _with_poll_state(view):
    """Permissions and the day's fingerprint in one query, before the permission check and
    the ETag read them: the one-minute poll's whole cost beyond session and user."""

    @wraps(view)
    def wrapper(request, day: str | None = None):
        shown = _shown_day(day)
        along = day_version.fingerprint_expression(day=shown, now=timezone.now()) if in_range(shown) else None
        request.day_fingerprint = preload_permissions(request.user, along=along)
        return view(request, day)

    return wrapper


def _day_list_etag(request, day: str | None = None) -> str:
    """Equal for two requests that would get the same page: the day's data and clock
    fingerprint, who asks (their actions differ), the filters, full page or htmx fragment."""
    shown = _shown_day(day)
    if not in_range(shown):
        return None  # answered 400 by the view
    fingerprint = request.day_fingerprint or day_version.day_fingerprint(day=shown, now=timezone.now())
    key = "|".join(
        (
            fingerprint,
            str(request.user.pk),
            ",".join(sorted(request.user.get_all_permissions())),
            request.GET.urlencode(),
            "htmx" if request.htmx else "page",
            local_today().isoformat(),
        )
    )
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


@login_required
@_with_poll_state
@permission_required("radiology.view_day_list", raise_exception=True)
@vary_on_headers("HX-Request")
@cache_control(private=True, no_cache=True)
@condition(etag_func=_day_list_etag)
def day_list(request, day: str | None = None):
    """The flow board. Its one-minute poll costs a 304 when nothing changed (see
    radiology/services/day_version.py)."""
    shown = _shown_day(day)
    if not in_range(shown):
        return render(request, "400.html", {"message": OUT_OF_RANGE}, status=400)
    now = timezone.now()
    filters = forms.DayFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    rows = selectors.day_rows(
        day=shown,
        room_id=chosen.get("room") and chosen["room"].pk,
        radiologist_id=chosen.get("radiologist") and chosen["radiologist"].pk,
        mine=request.user if chosen.get("mine") else None,
        links=action_links(user=request.user, back=request.get_full_path(), group="workflow"),
    )
    flow_board.annotate_flow(rows, now=now)
    timeline = flow_board.fit_timeline(rows, day=shown)
    rooms = selectors.rows_by_room(rows)
    for _, room_rows in rooms:
        flow_board.mark_next(room_rows)
    for row in rows:
        row.html, row.block = rows_html.row_html(row, now), rows_html.block_html(row)
    context = {
        "day": shown,
        "is_today": shown == local_today(),
        "previous": shown - timedelta(days=1),
        "next": shown + timedelta(days=1),
        "rows": rows,
        "rooms": rooms,
        "hours": timeline["hours"],
        "timeline": timeline,
        "legend": flow_board.legend(),
        "filters": filters,
        "query": request.GET.urlencode(),
        "now": now,
    }
    template = "radiology/workday/_day_body.html" if request.htmx else "radiology/workday/day_list.html"
    return render(request, template, context)


def _back(request, appointment) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return appointment.get_absolute_url()


# What happened, in plain words, after each action (the flash message).
DONE = {
    "Check in": "{name} is checked in and waiting.",
    "Start procedure": "{name}'s procedure has started.",
    "Complete procedure": "{name}'s procedure is complete; the outcome is saved.",
    "Abort procedure": "{name}'s procedure was stopped; the room and staff are free again.",
    "Did not proceed": "{name} did not proceed today; she is on the schedulers' list to rebook.",
    "Mark no-show": "{name} is marked as not having come.",
    "Arrange follow-up": "{name}'s follow-up is arranged.",
}


def _action_page(request, pk, *, form_class, template, perform, title, initial=None):
    """One click to open, one form to confirm: on success say what happened and go back."""
    appointment = get_object_or_404(
        Appointment.objects.select_related("patient", "room", "procedure", "outcome"), pk=pk
    )
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
            sentence = DONE.get(title, "{name}: " + title.lower() + " done.")
            messages.success(request, sentence.format(name=done.patient.full_name))
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
