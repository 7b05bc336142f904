"""Finding a patient from the top bar, and her page: who she is, how to reach her, and
everything that happened to her appointments."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from notifications.opt_out import is_opted_out
from radiology.errors import ServiceRefusal
from radiology.models import Order, Patient, WaitingListEntry
from radiology.pages.patients.forms import ContactForm, NeedsForm
from radiology.pages.patients.selectors import patient_record
from radiology.presentation.refusals import forbidden, show_on_form
from radiology.selectors.search import search_patients
from radiology.services import waiting_list
from radiology.services.patient_needs import may_record_needs, record_needs
from radiology.services.patients import correct_contact
from security.access_log import What, record_access

MIN_QUERY = 2


@login_required
@permission_required("radiology.view_patient", raise_exception=True)
def patient_search(request):
    query = request.GET.get("q", "").strip()
    patients = list(search_patients(query)) if len(query) >= MIN_QUERY else None
    if patients:
        record_access(request=request, patient_ids=[p.pk for p in patients], what=What.PATIENT_SEARCH)
    if patients is not None and len(patients) == 1 and request.GET.get("go") != "list":
        return redirect("radiology:patient_detail", pk=patients[0].pk)
    return render(request, "radiology/patients/search.html", {"query": query, "patients": patients})


@login_required
@permission_required("radiology.view_patient", raise_exception=True)
def patient_detail(request, pk):
    try:
        patient, history = patient_record(pk)
    except Patient.DoesNotExist:
        raise Http404("No such patient") from None
    record_access(request=request, patient_ids=[patient.pk], what=What.PATIENT_PAGE)
    stopped = bool(patient.phone) and is_opted_out(str(patient.phone))
    context = {
        "patient": patient,
        "history": history,
        "may_record_needs": may_record_needs(request.user),
        "sms_opt_out": stopped,
        "waiting_list": waiting_list.waiting_entries(patient),
    }
    return render(request, "radiology/patients/detail.html", context)


@login_required
@permission_required("radiology.book_appointment", raise_exception=True)
@require_POST
def patient_waiting_list(request, pk):
    """A scheduler puts her on the earlier-slot waiting list (for an order, or the one the
    service finds), or takes an entry off."""
    patient = get_object_or_404(Patient, pk=pk)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    try:
        if request.POST.get("remove"):
            entry = get_object_or_404(WaitingListEntry, pk=request.POST["remove"], patient=patient)
            waiting_list.leave_waiting_list(entry_id=entry.pk, actor=request.user, note="Taken off by a scheduler")
            messages.success(request, "Taken off the waiting list.")
        else:
            order = Order.objects.filter(pk=request.POST.get("order") or 0, patient=patient).first()
            waiting_list.join_waiting_list(
                patient=patient, order=order, source=WaitingListEntry.Source.SCHEDULER, actor=request.user
            )
            messages.success(request, "On the waiting list: she is offered freed time earlier than hers.")
    except ServiceRefusal as refusal:
        if refusal.code == "forbidden":
            return forbidden(request, refusal)
        messages.error(request, refusal.message)
    return redirect(back or reverse("radiology:patient_detail", args=[patient.pk]))


@login_required
@permission_required("radiology.change_patient", raise_exception=True)
def patient_contact(request, pk):
    patient = get_object_or_404(Patient, pk=pk)
    if patient.merged_into_id is not None:
        # An old link to a merged-away record: her contact lives on the surviving record.
        messages.info(request, f"MRN {patient.mrn} was merged into another record; correct her contact there.")
        return redirect("radiology:patient_contact", pk=patient.merged_into_id)
    form = ContactForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        try:
            _, moved = correct_contact(actor=request.user, patient_id=patient.pk, **form.cleaned_data)
        except ServiceRefusal as refusal:
            if refusal.code == "forbidden":
                return forbidden(request, refusal)
            show_on_form(form, refusal)
        else:
            moved_text = f" {moved} message(s) not yet sent now follow them." if moved else ""
            messages.success(request, f"Contact details saved.{moved_text}")
            return redirect("radiology:patient_detail", pk=patient.pk)
    record_access(request=request, patient_ids=[patient.pk], what=What.PATIENT_PAGE)
    return render(request, "radiology/patients/contact.html", {"patient": patient, "form": form})


@login_required
def patient_needs(request, pk):
    """Her interpreter and access needs, for whoever books her or checks her in."""
    if not may_record_needs(request.user):
        return forbidden(request, "Your role does not allow recording a patient's needs.")
    patient = get_object_or_404(Patient, pk=pk)
    if patient.merged_into_id is not None:
        messages.info(request, f"MRN {patient.mrn} was merged into another record; record her needs there.")
        return redirect("radiology:patient_needs", pk=patient.merged_into_id)
    form = NeedsForm(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        try:
            record_needs(actor=request.user, patient_id=patient.pk, **form.cleaned_data)
        except ServiceRefusal as refusal:
            show_on_form(form, refusal)
        else:
            messages.success(request, "Her needs are saved; the day list and her appointments show them.")
            return redirect("radiology:patient_detail", pk=patient.pk)
    record_access(request=request, patient_ids=[patient.pk], what=What.PATIENT_PAGE)
    return render(request, "radiology/patients/needs.html", {"patient": patient, "form": form})
