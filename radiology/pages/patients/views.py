"""Finding a patient from the top bar, and her page: who she is, how to reach her, and
everything that happened to her appointments."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from notifications.opt_out import is_opted_out
from radiology.errors import ServiceRefusal
from radiology.models import Patient
from radiology.pages.patients.forms import ContactForm, NeedsForm
from radiology.pages.patients.selectors import patient_record
from radiology.presentation.refusals import forbidden, show_on_form
from radiology.selectors.search import search_patients
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
    }
    return render(request, "radiology/patients/detail.html", context)


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
