"""The manager's dashboard and its CSV export."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from radiology.encoders import csv_export
from radiology.pages.dashboard import charts, figures
from radiology.pages.dashboard.forms import PeriodForm
from radiology.selectors import loops
from radiology.selectors.offers import offer_figures
from scheduling.clinic_time import local_day_bounds, local_today
from security.access_log import What, record_access


def _period(request):
    today = local_today()
    form = PeriodForm(request.GET or {"start": today - timedelta(days=30), "end": today + timedelta(days=14)})
    if form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    return form, today - timedelta(days=30), today + timedelta(days=14)


@login_required
@permission_required("radiology.view_dashboard", raise_exception=True)
def dashboard_page(request):
    form, start_day, end_day = _period(request)
    numbers = figures.department_figures(start_day=start_day, end_day=end_day)
    utilisation = {
        room: [(f"{day:%d %b}", value) for day, value in series] for room, series in numbers.utilisation.items()
    }
    context = {
        "form": form,
        "start_day": start_day,
        "end_day": end_day,
        "f": numbers,
        "utilisation": utilisation,
        "chart_states": charts.bar_chart(
            [(label, n) for label, n, _ in numbers.by_flow],
            title="Appointments by where the patient is in her visit",
            colours=[colour for *_, colour in numbers.by_flow],
        ),
        "chart_cancellations": charts.bar_chart(numbers.cancellations, title="Cancellations by reason"),
        "chart_durations": charts.bar_chart(
            numbers.durations, title="Mean actual duration by slot booked", unit=" min"
        ),
        "chart_leads": charts.bar_chart(numbers.lead_buckets, title="Appointments by days from booking"),
        "chart_utilisation": charts.line_chart(utilisation, title="Room utilisation per day"),
        "chart_reminders": charts.bar_chart(
            [(f"{kind} sent", sent) for kind, sent, _, _ in numbers.reminders], title="Reminders sent by kind"
        ),
        "export_url": reverse("radiology:dashboard_export") + "?" + request.GET.urlencode(),
        # Closing the loop (issue 20): follow-ups due in the period, no-shows rebooked.
        "loop": loops.loop_figures(
            start=local_day_bounds(start_day)[0], end=local_day_bounds(end_day)[1], now=timezone.now()
        ),
        # Earlier-slot offers (issue 21 B): sent, accepted, days gained by those moved earlier.
        "offers": offer_figures(start=local_day_bounds(start_day)[0], end=local_day_bounds(end_day)[1]),
    }
    return render(request, "radiology/dashboard/dashboard.html", context)


@login_required
@permission_required("radiology.view_dashboard", raise_exception=True)
def dashboard_export(request):
    _, start_day, end_day = _period(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="galactograms-{start_day}-{end_day}.csv"'
    patient_ids = figures.period_appointments(start_day, end_day).values_list("patient_id", flat=True)
    record_access(request=request, patient_ids=list(patient_ids), what=What.CSV_EXPORT)
    csv_export.write_rows(response, figures.CSV_COLUMNS, figures.csv_rows(start_day=start_day, end_day=end_day))
    return response


@login_required
@permission_required("radiology.view_dashboard", raise_exception=True)
def lost_to_follow_up(request):
    """Open follow-ups past every escalation step: the department did what it plans to do and
    she is still not booked (radiology.selectors.loops.lost_to_follow_up)."""
    now = timezone.now()
    rows = list(loops.lost_to_follow_up(now=now))
    record_access(
        request=request, patient_ids=[f.appointment.patient_id for f in rows], what=What.PATIENT_SEARCH
    )  # a list of patients; a What of its own is for the lead (security migration)
    return render(request, "radiology/dashboard/lost_to_follow_up.html", {"rows": rows, "now": now})
