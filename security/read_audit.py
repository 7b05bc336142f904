"""The read audit's one decision: which patients a request showed, and as what (issue #23).

Every door goes through here. ReadAuditMiddleware watches each staff request (pages, admin,
API, FHIR): while it runs, every Patient, Appointment, Order, Report or ResultLetter loaded
from the database names its patient (a post_init receiver); a response that shows what it
loaded (2xx: a page, a form redisplayed with its errors, an API answer) writes one
AccessLogEntry per patient, with the kind of page read from its URL name (WHAT_BY_URL).
A redirect (an action done, nothing shown) writes none. The DICOM door, not HTTP, calls
`record_worklist_query` with the MRNs its worklist replies name, as the modality's user.

A view may still call access_log.record_access itself (with a more precise `what`); the
patients it recorded are not recorded twice.
"""

from contextlib import contextmanager

from django.db.models.signals import post_init

from security.access_log import SHOWN as _shown
from security.access_log import What, record_rows

# The kind of page by URL name (then by namespace); anything else a staff member opens is a staff page.
WHAT_BY_URL = {
    "radiology:appointment_detail": What.APPOINTMENT_PAGE,
    "radiology:report": What.APPOINTMENT_PAGE,
    "radiology:patient_detail": What.PATIENT_PAGE,
    "radiology:patient_contact": What.PATIENT_PAGE,
    "radiology:patient_search": What.PATIENT_SEARCH,
    "radiology:schedule_patient_search": What.PATIENT_SEARCH,
    "radiology:order_detail": What.ORDER_PAGE,
    "radiology:dashboard_export": What.CSV_EXPORT,
    "radiology:day_list": What.DAY_LIST,
    "radiology:day_list_for": What.DAY_LIST,
    "radiology:radiologist_list": What.DAY_LIST,
    "radiology:appointment_list": What.APPOINTMENT_LIST,
    "radiology:schedule_booked": What.BOOKED_PAGE,
    "radiology:schedule_week_first": What.WEEK_GRID,
    "radiology:schedule_week": What.WEEK_GRID,
}
WHAT_BY_NAMESPACE = {"admin": What.ADMIN, "api": What.API, "fhir": What.API}


def what_for(url_name: str) -> str:
    """The `what` of a request by its URL name: the table, then the namespace; the action
    table's pages (check in, complete, …) are action forms."""
    if url_name in WHAT_BY_URL:
        return WHAT_BY_URL[url_name]
    namespace = url_name.partition(":")[0]
    if namespace in WHAT_BY_NAMESPACE:
        return WHAT_BY_NAMESPACE[namespace]
    from radiology.services.action_table import ACTIONS  # the wiring knows the table; imported late

    if url_name.partition(":")[2] in {spec.url_name for spec in ACTIONS.values() if spec.url_name}:
        return What.ACTION_FORM
    return What.STAFF_PAGE


@contextmanager
def watching():
    """Collect the patients loaded in this block: {patient id: already recorded?}."""
    token = _shown.set({})
    try:
        yield _shown.get()
    finally:
        _shown.reset(token)


def _loaded(sender, instance, **kwargs):
    shown = _shown.get()
    if shown is None:
        return
    # Only what the query loaded: reading a deferred field here would be one query per row.
    patient_id = instance.__dict__.get("id" if sender.__name__ == "Patient" else "patient_id")
    if patient_id is not None:
        shown.setdefault(patient_id, False)


def connect_receivers() -> None:
    from radiology.models import Appointment, Order, Patient, Report, ResultLetter

    for model in (Patient, Appointment, Order, Report, ResultLetter):
        post_init.connect(_loaded, sender=model, dispatch_uid=f"read_audit.{model.__name__}")


def record_shown(*, shown: dict, user, what: str, path: str, ip_address: str | None) -> int:
    """Write a row for each collected patient not recorded yet."""
    ids = [patient_id for patient_id, recorded in shown.items() if not recorded]
    return record_rows(user=user, patient_ids=ids, what=what, path=path, ip_address=ip_address)


class ReadAuditMiddleware:
    """The door for every HTTP request a signed-in staff member (or an API token) makes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with watching() as shown:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            if shown and user is not None and user.is_authenticated and 200 <= response.status_code < 300:
                match = getattr(request, "resolver_match", None)
                url_name = match.view_name if match else ""
                # Her own pages are hers; the audit's own pages would record every patient they list.
                if not url_name.startswith(("radiology:portal:", "security:", "admin:security_")):
                    record_shown(
                        shown=shown,
                        user=user,
                        what=what_for(url_name),
                        path=request.get_full_path(),
                        ip_address=request.META.get("REMOTE_ADDR") or None,
                    )
        return response


def record_worklist_query(*, mrns: list[str], calling_ae: str, address: str | None) -> int:
    """The DICOM door: a worklist C-FIND showed the patients its replies name (PatientID is
    the MRN; the worklist's answer says which, radiology.interfaces.dicom.answers), to the
    modality's user (WORKLIST_MODALITY_USERNAME)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from radiology.models import Patient

    ids = list(Patient.objects.filter(mrn__in=set(mrns) - {""}).values_list("pk", flat=True))
    if not ids:
        return 0
    user = get_user_model().objects.filter(username=settings.WORKLIST_MODALITY_USERNAME).first()
    return record_rows(
        user=user,
        patient_ids=ids,
        what=What.DICOM_QUERY,
        path=f"C-FIND from {calling_ae}"[:300],
        ip_address=address,
        username=settings.WORKLIST_MODALITY_USERNAME,
    )
