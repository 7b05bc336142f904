"""Scheduler pages: find a slot, pick it, find or register the patient, confirm; the week
grid of a room; reschedule and cancel. Thin: forms check input, services decide."""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from radiology import rules, selectors
from radiology.errors import JUST_TAKEN, ServiceRefusal
from radiology.models import Appointment, Order, Patient, Room
from radiology.pages.scheduler import forms
from radiology.pages.scheduler.week import WEEK_LEGEND, room_week, week_param
from radiology.presentation.forms import PatientForm
from radiology.presentation.refusals import forbidden, show_on_form
from radiology.services import booking, cancellation, order_lifecycle, rescheduling
from radiology.services.action_table import ACTIONS
from radiology.services.patients import find_patients, register_patient
from radiology.services.slots import find_galactogram_slots
from scheduling.clinic_time import clinic_zone, local_today, to_local
from security.access_log import What, record_access

BOOK = "radiology.book_appointment"


def _url(name, query=None, *args) -> str:
    url = reverse(name, args=args)
    return f"{url}?{urlencode(query)}" if query else url


def _slot_rows(slots, *, procedure, duration, extra=None) -> list[dict]:
    """Slots with their local times and the query that selects each on the next page."""
    rows = []
    for slot in slots:
        local_start = slot.start.astimezone(clinic_zone())
        query = forms.slot_query(slot, procedure=procedure, duration=duration) | (extra or {})
        rows.append(
            {
                "slot": slot,
                "day": local_start.date(),
                "local_start": local_start,
                "local_end": slot.end.astimezone(clinic_zone()),
                "query": urlencode(query),
            }
        )
    return rows


def _needs_short_notice_reason(procedure, start) -> bool:
    return start < timezone.now() + timedelta(hours=procedure.min_lead_time_hours)


# --- find a slot ---


@login_required
@permission_required(BOOK, raise_exception=True)
def schedule_search(request):
    initial = forms.SlotSearchForm.initial_values()
    patient = None
    if request.GET.get("patient", "").isdigit():
        patient = Patient.objects.filter(pk=request.GET["patient"]).first()
        initial["patient"] = patient
    order = _waiting_order(request.GET)
    if order is not None:  # from the work queue: the order's patient and procedure
        patient = initial["patient"] = order.patient
        initial["order"], initial["procedure"] = order, order.procedure.slug
        initial["duration"] = rules.duration_for_order(order)
    # Arriving with only ?patient= (after registering one) is not yet a search.
    form = forms.SlotSearchForm(request.GET if "procedure" in request.GET else None, initial=initial)
    results = None
    if form.is_valid():
        data = form.cleaned_data
        order = data["order"] or order
        patient = data["patient"] or (order.patient if order else None)
        slots = find_galactogram_slots(
            procedure=data["procedure"],
            duration_minutes=data["duration"],
            start_date=data["start"],
            end_date=data["end"],
            radiologist=data["radiologist"],
            patient=patient,
            limit=20,
            short_notice=data["short_notice"],
        )
        extra = {"patient": patient.pk} if patient else {}
        if order is not None:
            extra["order"] = order.pk
        results = _slot_rows(slots, procedure=data["procedure"], duration=data["duration"], extra=extra)
    # Her EHR orders come first: "book it for order GA…?" (a search for that order).
    waiting = booking.waiting_orders(patient) if patient and order is None else []
    offers = [{"order": o, "url": _url("radiology:schedule_search", {"order": o.pk})} for o in waiting]
    context = {"form": form, "results": results, "patient": patient, "order": order, "rooms": Room.objects.all()}
    return render(request, "radiology/scheduler/search.html", context | {"order_offers": offers})


def _waiting_order(query) -> Order | None:
    if not query.get("order", "").isdigit():
        return None
    return (
        Order.objects.select_related("patient", "procedure")
        .filter(pk=query["order"], status=Order.Status.WAITING)
        .first()
    )


def _booked_already(query):
    """The live appointment of an order the query names that is no longer waiting."""
    if not query.get("order", "").isdigit():
        return None
    order = Order.objects.filter(pk=query["order"]).exclude(status=Order.Status.WAITING).first()
    return order_lifecycle.live_appointment(order) if order else None


# --- pick the patient and confirm ---


@login_required
@permission_required(BOOK, raise_exception=True)
def schedule_book(request):
    if request.method == "POST":
        return _book(request)
    slot_form = forms.SlotChoiceForm(request.GET)
    if not slot_form.is_valid():
        messages.error(request, "That slot could not be read. Please search again and pick a time.")
        return redirect("radiology:schedule_search")
    patient = None
    if request.GET.get("patient", "").isdigit():
        patient = Patient.objects.filter(pk=request.GET["patient"]).first()
    order = _waiting_order(request.GET)
    booked = _booked_already(request.GET) if order is None else None
    if order is not None:
        patient = order.patient
    elif booked is not None:  # Back after booking: say what happened, do not drop the order
        patient = booked.patient
    elif patient is not None:
        order = _her_one_waiting_order(patient, slot_form.cleaned_data["procedure"])
    context = _booking_context(request, slot_form, patient=patient, order=order, already_booked=booked)
    if patient and not booked:
        context["form"] = forms.BookingForm(
            initial={**slot_form.cleaned_data, "patient": patient, "start": slot_form.data["start"], "order": order}
        )
    return render(request, "radiology/scheduler/book.html", context)


def _her_one_waiting_order(patient, procedure) -> Order | None:
    """The booking service takes her only waiting order of the procedure: the page says so."""
    waiting = booking.waiting_orders(patient, procedure)
    return waiting[0] if len(waiting) == 1 else None


def _order_offers(slot_form, patient, order) -> list[dict]:
    """Her waiting orders, each a link to book this slot for it (when none is chosen yet)."""
    if patient is None or order is not None:
        return []
    slot = slot_form.slot_query()
    return [
        {"order": o, "url": _url("radiology:schedule_book", slot | {"patient": patient.pk, "order": o.pk})}
        for o in booking.waiting_orders(patient, slot_form.cleaned_data["procedure"])
    ]


def _booking_context(request, slot_form, *, patient=None, **extra) -> dict:
    data = slot_form.cleaned_data
    search = forms.PatientSearchForm(request.GET if "q" in request.GET else None)
    query = request.GET.get("q", "").strip()
    return {
        "slot": data,
        "slot_query": urlencode(slot_form.slot_query()),
        "slot_hidden": slot_form.slot_query(),
        "local_start": data["start"].astimezone(clinic_zone()),
        "local_end": (data["start"] + timedelta(minutes=data["duration"])).astimezone(clinic_zone()),
        "short_notice": _needs_short_notice_reason(data["procedure"], data["start"]),
        "patient": patient,
        "search_form": search,
        "patients": list(find_patients(query=query)) if len(query) >= 2 else None,
        "query": query,
        "order_offers": [] if extra.get("already_booked") else _order_offers(slot_form, patient, extra.get("order")),
        **extra,
    }


def _book(request):
    form = forms.BookingForm(request.POST)
    slot_form = forms.SlotChoiceForm(request.POST)
    if not slot_form.is_valid():
        messages.error(request, "That slot could not be read. Please search again and pick a time.")
        return redirect("radiology:schedule_search")
    if form.is_valid():
        data = form.cleaned_data
        try:
            appointment = booking.book_appointment(
                patient=data["patient"],
                procedure=data["procedure"],
                start=data["start"],
                duration_minutes=data["duration"],
                actor=request.user,
                room=data["room"],
                radiologist=data["radiologist"],
                technologist=data["technologist"],
                lead_time_override_reason=data["lead_time_override_reason"].strip(),
                repeat_booking_reason=data["repeat_booking_reason"].strip(),
                order=data["order"],
                side=data["side"],
                indication=data["indication"],
                indication_other=data["indication_other"],
            )
        except ServiceRefusal as error:
            if error.code == "forbidden":
                return forbidden(request, error)
            if error.code == "conflict":
                extra = {"patient": data["patient"].pk} | ({"order": data["order"].pk} if data["order"] else {})
                suggestions = _slot_rows(
                    error.suggestions, procedure=data["procedure"], duration=data["duration"], extra=extra
                )
                context = _booking_context(request, slot_form, patient=data["patient"], form=form, order=data["order"])
                context.update(conflict=error.message or JUST_TAKEN, suggestions=suggestions)
                return render(request, "radiology/scheduler/book.html", context, status=409)
            show_on_form(form, error)
        else:
            return redirect("radiology:schedule_booked", pk=appointment.pk)
    patient, order = form.cleaned_data.get("patient"), form.cleaned_data.get("order")
    booked = order_lifecycle.live_appointment(order) if order and order.status != Order.Status.WAITING else None
    context = _booking_context(request, slot_form, patient=patient, form=form, order=order, already_booked=booked)
    return render(request, "radiology/scheduler/book.html", context, status=400)


@login_required
@permission_required("radiology.view_patient", raise_exception=True)
def patient_search(request):
    """The patient list for the booking page (an htmx fragment, or the whole page without htmx)."""
    query = request.GET.get("q", "").strip()
    patients = list(find_patients(query=query)) if len(query) >= 2 else None
    if patients:
        record_access(request=request, patient_ids=[p.pk for p in patients], what=What.PATIENT_SEARCH)
    context = {"patients": patients, "query": query, "slot_query": request.GET.get("slot", "")}
    return render(request, "radiology/scheduler/_patient_results.html", context)


@login_required
@permission_required("radiology.add_patient", raise_exception=True)
def patient_new(request):
    slot_query = request.GET.get("slot", "")
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = register_patient(actor=request.user, **form.cleaned_data)
        except ServiceRefusal as error:
            if error.code == "forbidden":
                return forbidden(request, error)
            show_on_form(form, error)
        else:
            messages.success(request, f"{patient.full_name} (MRN {patient.mrn}) is registered.")
            if slot_query:
                return redirect(f"{reverse('radiology:schedule_book')}?{slot_query}&patient={patient.pk}")
            return redirect(_url("radiology:schedule_search", {"patient": patient.pk}))
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "radiology/scheduler/patient_new.html", {"form": form, "slot_query": slot_query}, status=status
    )


@login_required
@permission_required("radiology.view_appointment", raise_exception=True)
def schedule_booked(request, pk):
    try:
        appointment = selectors.appointment_with_history(pk)
    except Appointment.DoesNotExist:
        raise Http404("No such appointment") from None
    planned = [
        {**reminder, "due_at_local": to_local(reminder["due_at"])} for reminder in selectors.reminders_for(appointment)
    ]
    return render(request, "radiology/scheduler/booked.html", {"appointment": appointment, "reminders": planned})


# --- the week grid ---


@login_required
@permission_required("radiology.view_appointment", raise_exception=True)
def week_first_room(request):
    room = Room.objects.order_by("name").first()
    if room is None:
        raise Http404("No rooms are set up yet.")
    query = {"week": request.GET["week"]} if request.GET.get("week") else None
    return redirect(_url("radiology:schedule_week", query, room.pk))


@login_required
@permission_required("radiology.view_appointment", raise_exception=True)
def week_view(request, room_id):
    rooms = list(Room.objects.order_by("name"))
    room = next((r for r in rooms if r.pk == room_id), None)
    if room is None:
        raise Http404("No such room")
    today = local_today()
    week = room_week(room=room, week_start=week_param(request.GET.get("week"), today=today), today=today)
    context = {"week": week, "rooms": rooms, "today": today, "week_legend": WEEK_LEGEND}
    return render(request, "radiology/scheduler/week.html", context)


# --- reschedule and cancel ---


def _upcoming_or_404(pk) -> Appointment:
    try:
        return selectors.appointment_with_history(pk)
    except Appointment.DoesNotExist:
        raise Http404("No such appointment") from None


@login_required
@permission_required(BOOK, raise_exception=True)
def appointment_reschedule(request, pk):
    appointment = _upcoming_or_404(pk)
    refusal = ACTIONS["reschedule"].refusal(appointment, timezone.now())  # the service's own rule
    if refusal:
        messages.error(request, refusal)
        return redirect(appointment)
    if request.method == "POST":
        return _reschedule(request, appointment)
    slot_form = forms.SlotChoiceForm(request.GET) if "start" in request.GET else None
    if slot_form is not None and slot_form.is_valid():
        form = forms.RescheduleForm(initial={**slot_form.cleaned_data, "start": slot_form.data["start"]})
        return _render_reschedule(request, appointment, confirm=form, slot_form=slot_form)
    initial = {
        **forms.SlotSearchForm.initial_values(),
        "procedure": appointment.procedure.slug,
        "duration": appointment.duration_minutes,
        "radiologist": appointment.radiologist_id,
        "patient": appointment.patient_id,
    }
    search = forms.SlotSearchForm(request.GET if "search" in request.GET else None, initial=initial)
    results = None
    if search.is_valid():
        data = search.cleaned_data
        slots = find_galactogram_slots(
            procedure=data["procedure"],
            duration_minutes=data["duration"],
            start_date=data["start"],
            end_date=data["end"],
            radiologist=data["radiologist"],
            patient=appointment.patient,
            exclude_appointment=appointment,
            limit=20,
            short_notice=data["short_notice"],
        )
        results = _slot_rows(slots, procedure=data["procedure"], duration=data["duration"])
    search.helper.form_action = reverse("radiology:appointment_reschedule", args=[pk])
    return _render_reschedule(request, appointment, search=search, results=results)


def _render_reschedule(request, appointment, status=200, **context):
    slot_form = context.get("slot_form")
    if slot_form is not None and slot_form.is_valid():
        data = slot_form.cleaned_data
        context.update(
            slot=data,
            slot_hidden=slot_form.slot_query(),
            local_start=data["start"].astimezone(clinic_zone()),
            local_end=(data["start"] + timedelta(minutes=data["duration"])).astimezone(clinic_zone()),
            short_notice=_needs_short_notice_reason(data["procedure"], data["start"]),
        )
    return render(
        request, "radiology/scheduler/reschedule.html", {"appointment": appointment, **context}, status=status
    )


def _reschedule(request, appointment):
    form = forms.RescheduleForm(request.POST)
    slot_form = forms.SlotChoiceForm(request.POST)
    if not slot_form.is_valid():
        messages.error(request, "That slot could not be read. Please search again and pick a time.")
        return redirect("radiology:appointment_reschedule", pk=appointment.pk)
    if form.is_valid():
        data = form.cleaned_data
        try:
            rescheduling.reschedule_appointment(
                appointment_id=appointment.pk,
                start=data["start"],
                actor=request.user,
                duration_minutes=data["duration"],
                room=data["room"],
                radiologist=data["radiologist"],
                technologist=data["technologist"],
                lead_time_override_reason=data["lead_time_override_reason"].strip(),
                note=data["note"].strip(),
            )
        except ServiceRefusal as error:
            if error.code == "forbidden":
                return forbidden(request, error)
            if error.code == "conflict":
                suggestions = _slot_rows(error.suggestions, procedure=data["procedure"], duration=data["duration"])
                return _render_reschedule(
                    request,
                    appointment,
                    status=409,
                    confirm=form,
                    slot_form=slot_form,
                    conflict=error.message or JUST_TAKEN,
                    suggestions=suggestions,
                )
            show_on_form(form, error)
        else:
            local = data["start"].astimezone(clinic_zone())
            messages.success(request, f"Moved to {local:%A %d %B, %H:%M}. Reminders follow the new time.")
            return redirect("radiology:appointment_detail", pk=appointment.pk)
    return _render_reschedule(request, appointment, status=400, confirm=form, slot_form=slot_form)


@login_required
@permission_required(BOOK, raise_exception=True)
def appointment_cancel(request, pk):
    appointment = _upcoming_or_404(pk)
    refusal = ACTIONS["cancel"].refusal(appointment, timezone.now())  # e.g. the exam is under way
    if refusal:
        messages.error(request, refusal)
        return redirect(appointment)
    form = forms.CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancellation.cancel_appointment(appointment_id=pk, actor=request.user, **form.cleaned_data)
        except ServiceRefusal as error:
            if error.code == "forbidden":
                return forbidden(request, error)
            if error.code != "invalid":  # someone acted first: her page as it is now
                messages.error(request, error.message)
                return redirect(appointment)
            show_on_form(form, error)
        else:
            messages.success(request, "The appointment is cancelled; its room and staff time are free again.")
            return redirect("radiology:appointment_detail", pk=pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "radiology/scheduler/cancel.html", {"appointment": appointment, "form": form}, status=status)
