"""The technologist's day list (the flow board) and the radiologist's list. The procedure
action pages are in action_pages.py. Views parse input, call a service or selector, and render."""

import hashlib
from datetime import date, timedelta
from functools import wraps

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition
from django.views.decorators.vary import vary_on_headers

from radiology.pages.workday import flow_board, forms, selectors
from radiology.pages.workday import rows as rows_html
from radiology.permission_cache import preload_permissions
from radiology.presentation.action_links import action_links
from radiology.presentation.date_range import OUT_OF_RANGE, in_range
from radiology.selectors.reports import to_report_count
from radiology.services import day_version
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
        links=action_links(user=request.user, back=request.get_full_path(), group=("workflow", "staffing")),
    )
    flow_board.annotate_flow(rows, now=now)
    timeline = flow_board.fit_timeline(rows, day=shown)
    rooms = selectors.rows_by_room(rows)
    for _, room_rows in rooms:
        flow_board.mark_next(room_rows)
    labels = request.user.has_perm("radiology.check_in_appointment")  # printed by those who check in
    for row in rows:
        row.html, row.block = rows_html.row_html(row, now, labels=labels), rows_html.block_html(row)
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


@login_required
@permission_required("radiology.perform_procedure", raise_exception=True)
def radiologist_list(request):
    lists = selectors.radiologist_lists(user=request.user, today=local_today())
    links = action_links(user=request.user, back=request.get_full_path(), group="workflow")
    for appointment in (a for group in lists.values() for a in group):
        appointment.actions = links(appointment)
    to_report = to_report_count() if request.user.has_perm("radiology.sign_report") else None
    return render(
        request, "radiology/workday/radiologist.html", {**lists, "day": local_today(), "to_report": to_report}
    )
