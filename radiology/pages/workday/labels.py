"""Printing her label and wristband at check-in (radiology.encoders.label_pdf): a PDF opened
in the browser and printed to the desk's label printer. For those who check patients in."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe

from radiology.encoders.label_pdf import LAYOUTS, LabelFacts, label_pdf
from radiology.models import Appointment
from security.access_log import What, record_access


@login_required
@permission_required("radiology.check_in_appointment", raise_exception=True)
@require_safe
def label(request, pk, *, layout: str):
    appointment = Appointment.objects.select_related("patient", "order").filter(pk=pk).first()
    if appointment is None:
        raise Http404("There is no such appointment.")
    record_access(request=request, patient_ids=[appointment.patient_id], what=What.APPOINTMENT_PAGE)
    chosen = LAYOUTS[layout]
    response = HttpResponse(label_pdf(LabelFacts.of(appointment), chosen), content_type="application/pdf")
    # The accession names the file: no name or MRN in a download folder or a print queue.
    filename = f"{chosen.key}-{appointment.order.accession_number}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
