"""JSON API views. Thin: validate with a serializer, call a service or selector, shape the
answer. Errors are raised and turned into JSON by radiology.interfaces.api.errors."""

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from radiology import selectors
from radiology.encoders.letter_pdf import letter_pdf_of
from radiology.interfaces.api import serializers as s
from radiology.interfaces.api.appointment_list import appointment_list
from radiology.interfaces.api.permissions import HasRolePermissions
from radiology.models import Appointment, Patient, WaitingListEntry
from radiology.selectors import letters as letter_selectors
from radiology.selectors import loops
from radiology.services import booking, cancellation, reports, rescheduling, restaffing, waiting_list, workflow
from radiology.services.actions import run_action
from radiology.services.patient_needs import may_record_needs, record_needs
from radiology.services.patients import find_patients, register_patient
from radiology.services.slots import find_galactogram_slots
from scheduling.clinic_time import local_day_bounds, local_today
from security.access_log import What, record_access

VIEW_APPOINTMENT = "radiology.view_appointment"
VIEW_PATIENT = "radiology.view_patient"
BOOK = "radiology.book_appointment"
PERFORM = "radiology.perform_procedure"
SIGN_REPORT = "radiology.sign_report"
VIEW_LETTER = "radiology.view_resultletter"

ERRORS = {400: s.ErrorSerializer, 401: s.ErrorSerializer, 403: s.ErrorSerializer, 404: s.ErrorSerializer}
CONFLICT = {**ERRORS, 409: s.ErrorSerializer}


class ApiView(APIView):
    permission_classes = [HasRolePermissions]
    required_perms: dict[str, list[str]] = {}


def appointment_or_404(pk: int) -> Appointment:
    try:
        return selectors.appointment_with_history(pk)
    except Appointment.DoesNotExist:
        raise NotFound(f"There is no appointment with id {pk}.") from None


def appointment_response(request, pk: int, *, status_code=status.HTTP_200_OK) -> Response:
    appointment = appointment_or_404(pk)
    record_access(request=request, patient_ids=[appointment.patient_id], what=What.API)
    data = s.AppointmentDetailSerializer(appointment, context={"request": request}).data
    return Response(data, status=status_code)


class SlotsView(ApiView):
    required_perms = {"GET": [VIEW_APPOINTMENT]}

    @extend_schema(
        operation_id="slots_list",
        summary="Earliest free slots",
        parameters=[s.SlotQuerySerializer],
        responses={200: s.SlotListSerializer, **ERRORS},
    )
    def get(self, request):
        query = s.SlotQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        slots = find_galactogram_slots(
            procedure=data["procedure"],
            duration_minutes=data["duration"],
            start_date=data["start"],
            end_date=data["end"],
            radiologist=data.get("radiologist"),
            patient=data.get("patient"),
            limit=data["limit"],
        )
        return Response({"slots": s.SlotSerializer(slots, many=True).data})


class PatientsView(ApiView):
    required_perms = {"GET": [VIEW_PATIENT], "POST": ["radiology.add_patient"]}

    @extend_schema(
        operation_id="patients_list",
        summary="Find patients by MRN or name",
        parameters=[s.PatientQuerySerializer],
        responses={200: s.PatientListSerializer, **ERRORS},
    )
    def get(self, request):
        query = s.PatientQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        patients = find_patients(query=query.validated_data.get("q", ""), mrn=query.validated_data.get("mrn", ""))
        record_access(request=request, patient_ids=[p.pk for p in patients], what=What.API)
        return Response({"patients": s.PatientSerializer(patients, many=True).data})

    @extend_schema(
        operation_id="patients_create",
        summary="Register a patient",
        request=s.PatientInputSerializer,
        responses={201: s.PatientSerializer, **CONFLICT},
    )
    def post(self, request):
        body = s.PatientInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        patient = register_patient(actor=request.user, **body.validated_data)
        return Response(s.PatientSerializer(patient).data, status=status.HTTP_201_CREATED)


class PatientDetailView(ApiView):
    required_perms = {"GET": [VIEW_PATIENT]}

    @extend_schema(
        operation_id="patients_retrieve", summary="One patient", responses={200: s.PatientDetailSerializer, **ERRORS}
    )
    def get(self, request, pk):
        patient = Patient.objects.filter(pk=pk).first()
        if patient is None:
            raise NotFound(f"There is no patient with id {pk}.")
        record_access(request=request, patient_ids=[patient.pk], what=What.API)
        return Response(s.PatientDetailSerializer(patient).data)


class PatientNeedsView(ApiView):
    # Who may record them is the service's rule (those who book her or check her in): 403 otherwise.
    required_perms = {"PUT": [VIEW_PATIENT]}

    @extend_schema(
        operation_id="patients_needs_update",
        summary="Record her interpreter and access needs",
        request=s.PatientNeedsSerializer,
        responses={200: s.PatientSerializer, **ERRORS},
    )
    def put(self, request, pk):
        if not may_record_needs(request.user):  # before the body: a role that may not is told so
            raise PermissionDenied("Your role does not allow recording a patient's needs.")
        body = s.PatientNeedsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        patient = record_needs(actor=request.user, patient_id=pk, **body.validated_data)
        record_access(request=request, patient_ids=[patient.pk], what=What.API)
        return Response(s.PatientSerializer(patient).data)


class AppointmentsView(ApiView):
    required_perms = {"GET": [VIEW_APPOINTMENT], "POST": [BOOK]}
    offers_suggestions = True

    @extend_schema(
        operation_id="appointments_list",
        summary="Appointments on one local clinic day",
        parameters=[s.AppointmentListQuerySerializer],
        responses={200: s.AppointmentSerializerForSchema, **ERRORS},
    )
    def get(self, request):
        query = s.AppointmentListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        day = query.validated_data.get("date") or local_today()
        appointments = selectors.appointments_between(*local_day_bounds(day))
        if query.validated_data.get("room"):
            appointments = appointments.filter(room=query.validated_data["room"])
        if query.validated_data.get("status"):
            appointments = appointments.filter(status=query.validated_data["status"])
        data = appointment_list(appointments)
        record_access(request=request, patient_ids=[row["patient"]["id"] for row in data], what=What.API)
        return Response({"date": day.isoformat(), "appointments": data})

    @extend_schema(
        operation_id="appointments_create",
        summary="Book an appointment",
        description=(
            "Reserves a room, a radiologist and a technologist or nurse together. Omitted resources are chosen "
            "by the slot search. 409 with `suggestions` when the time was just taken; booking inside the "
            "procedure's lead time (48 h) needs `lead_time_override_reason`."
        ),
        request=s.AppointmentInputSerializer,
        responses={201: s.AppointmentDetailSerializer, **CONFLICT},
    )
    def post(self, request):
        body = s.AppointmentInputSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        appointment = booking.book_appointment(
            patient=data["patient"],
            procedure=data["procedure"],
            start=data["start"],
            duration_minutes=data["duration"],
            actor=request.user,
            room=data.get("room"),
            radiologist=data.get("radiologist"),
            technologist=data.get("technologist"),
            lead_time_override_reason=data["lead_time_override_reason"],
            repeat_booking_reason=data["repeat_booking_reason"],
            order=data.get("order"),
            side=data["side"],
            indication=data["indication"],
            indication_other=data["indication_other"],
        )
        # Answered from what the booking holds (its order, team, log row): nothing read back.
        record_access(request=request, patient_ids=[appointment.patient_id], what=What.API)
        context = {"request": request, "just_booked": True}
        return Response(
            s.AppointmentDetailSerializer(appointment, context=context).data, status=status.HTTP_201_CREATED
        )


class AppointmentDetailView(ApiView):
    required_perms = {"GET": [VIEW_APPOINTMENT]}

    @extend_schema(
        operation_id="appointments_retrieve",
        summary="One appointment with its transition history, reminders and report",
        responses={200: s.AppointmentDetailSerializer, **ERRORS},
    )
    def get(self, request, pk):
        return appointment_response(request, pk)


class LettersView(ApiView):
    required_perms = {"GET": [VIEW_LETTER]}

    @extend_schema(
        operation_id="letters_list",
        summary="Result letters due, overdue, due soon, to post or sent",
        parameters=[s.LetterListQuerySerializer],
        responses={200: s.LetterListSerializer, **ERRORS},
    )
    def get(self, request):
        query = s.LetterListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        letters = list(letter_selectors.letters_in_state(query.validated_data.get("status", "due"), now=timezone.now()))
        record_access(request=request, patient_ids=[letter.patient_id for letter in letters], what=What.API)
        return Response({"letters": s.LetterSerializer(letters, many=True, context={"request": request}).data})


class LetterPdfView(ApiView):
    required_perms = {"GET": [VIEW_LETTER]}

    @extend_schema(
        operation_id="letters_pdf",
        summary="A result letter as a PDF, in the patient's language",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request, pk):
        letter = letter_selectors.letter(pk)
        if letter is None:
            raise NotFound(f"There is no letter with id {pk}.")
        record_access(request=request, patient_ids=[letter.patient_id], what=What.API)
        response = HttpResponse(letter_pdf_of(letter, now=timezone.now()), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="letter-{letter.pk}.pdf"'
        return response


class FollowUpsView(ApiView):
    required_perms = {"GET": [VIEW_APPOINTMENT]}

    @extend_schema(
        operation_id="follow_ups_list",
        summary="Tracked follow-ups (state=open&overdue=true: open and past due), oldest due first",
        parameters=[s.FollowUpQuerySerializer],
        responses={200: s.FollowUpListSerializer, **ERRORS},
    )
    def get(self, request):
        query = s.FollowUpQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = list(
            loops.follow_up_list(
                now=timezone.now(),
                state=query.validated_data.get("state"),
                overdue=query.validated_data.get("overdue", False),
            )
        )
        record_access(request=request, patient_ids=[f.appointment.patient_id for f in rows], what=What.API)
        return Response({"follow_ups": s.FollowUpSerializer(rows, many=True).data})


class WaitingListView(ApiView):
    """The earlier-slot waiting list (issue 21 B): the same service as her page and the schedulers'."""

    required_perms = {"POST": [BOOK], "DELETE": [BOOK]}

    @extend_schema(
        operation_id="waiting_list_add",
        summary="Put a patient on the waiting list for earlier times",
        description="201 with the new entry; 200 with the one already there (one entry per order).",
        request=s.WaitingListInputSerializer,
        responses={201: s.WaitingListEntrySerializer, 200: s.WaitingListEntrySerializer, **ERRORS},
    )
    def post(self, request):
        body = s.WaitingListInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        entry = waiting_list.join_waiting_list(
            patient=data["patient"], order=data.get("order"), source=WaitingListEntry.Source.API, actor=request.user
        )
        record_access(request=request, patient_ids=[entry.patient_id], what=What.API)
        code = status.HTTP_201_CREATED if entry.just_added else status.HTTP_200_OK
        return Response(s.WaitingListEntrySerializer(entry).data, status=code)

    @extend_schema(
        operation_id="waiting_list_remove",
        summary="Take a patient off the waiting list (for one order, or all of hers)",
        request=s.WaitingListInputSerializer,
        responses={204: None, **ERRORS},
    )
    def delete(self, request):
        body = s.WaitingListInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        ended = waiting_list.leave_for(
            patient=data["patient"], order=data.get("order"), actor=request.user, note="Taken off over the API"
        )
        if not ended:
            raise NotFound("She is not on the waiting list.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class RescheduleView(ApiView):
    required_perms = {"POST": [BOOK]}
    offers_suggestions = True

    @extend_schema(
        operation_id="appointments_reschedule",
        summary="Move an appointment",
        request=s.RescheduleInputSerializer,
        responses={200: s.AppointmentDetailSerializer, **CONFLICT},
    )
    def post(self, request, pk):
        appointment_or_404(pk)
        body = s.RescheduleInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        rescheduling.reschedule_appointment(
            appointment_id=pk,
            start=data["start"],
            actor=request.user,
            duration_minutes=data.get("duration"),
            room=data.get("room"),
            radiologist=data.get("radiologist"),
            technologist=data.get("technologist"),
            lead_time_override_reason=data["lead_time_override_reason"],
            note=data["note"],
        )
        return appointment_response(request, pk)


class RestaffView(ApiView):
    required_perms = {"GET": [VIEW_APPOINTMENT], "POST": [BOOK]}
    offers_suggestions = True

    @extend_schema(
        operation_id="appointments_staff_candidates",
        summary="Who else is free at the appointment's time",
        responses={200: s.StaffCandidatesSerializer, **ERRORS},
    )
    def get(self, request, pk):
        appointment = appointment_or_404(pk)
        return Response(s.StaffCandidatesSerializer(restaffing.candidates(appointment)).data)

    @extend_schema(
        operation_id="appointments_restaff",
        summary="Change the radiologist or technologist/nurse without moving the appointment",
        request=s.RestaffInputSerializer,
        responses={200: s.AppointmentDetailSerializer, **CONFLICT},
    )
    def post(self, request, pk):
        appointment_or_404(pk)
        body = s.RestaffInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        restaffing.restaff_appointment(appointment_id=pk, actor=request.user, **body.validated_data)
        return appointment_response(request, pk)


class CancelView(ApiView):
    required_perms = {"POST": [BOOK]}

    @extend_schema(
        operation_id="appointments_cancel",
        summary="Cancel an appointment",
        request=s.CancelInputSerializer,
        responses={200: s.AppointmentDetailSerializer, **CONFLICT},
    )
    def post(self, request, pk):
        appointment_or_404(pk)
        body = s.CancelInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cancellation.cancel_appointment(appointment_id=pk, actor=request.user, **body.validated_data)
        return appointment_response(request, pk)


class OutcomeCorrectionView(ApiView):
    required_perms = {"POST": [PERFORM]}

    @extend_schema(
        operation_id="appointments_correct_outcome",
        summary="Correct the recorded outcome",
        description="`ducts`, `contrast_volume_ml`, `complications` (+ `complication_note` with `other`) and "
        "the `reason`. When the ducts change the codes, the EHR gets a credit of the old codes and the charge "
        "of the new ones (HL7 DFT^P03). 400 when it changes nothing; 409 before an outcome is recorded.",
        request=s.OutcomeCorrectionSerializer,
        responses={200: s.AppointmentDetailSerializer, **CONFLICT},
    )
    def post(self, request, pk):
        appointment_or_404(pk)
        body = s.OutcomeCorrectionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        workflow.correct_outcome(appointment_id=pk, actor=request.user, **body.validated_data)
        return appointment_response(request, pk)


class TransitionsView(ApiView):
    required_perms = {"POST": [VIEW_APPOINTMENT]}  # each action's own permission is the service's to check

    @extend_schema(
        operation_id="appointments_transition",
        summary="Move an appointment along its workflow",
        description="`action` with the inputs it requires, as on the pages: check_in → `checklist`; "
        "start (optional `radiologist`, `technologist`); complete → `outcome`; abort, did_not_proceed, cancel → "
        "`reason_code` (+ `note`, required with `other`); no_show (only after the start + grace); "
        "arrange_follow_up → `plan`. 400 naming the missing fields; 409 when the state or time does not allow it.",
        request=s.TransitionInputSerializer,
        responses={200: s.AppointmentDetailSerializer, **CONFLICT},
    )
    def post(self, request, pk):
        appointment_or_404(pk)
        body = s.TransitionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        action = data.pop("action")
        run_action(appointment_id=pk, action=action, actor=request.user, inputs=data)
        return appointment_response(request, pk)


def signature_of(request, password: str) -> dict:
    """Over a token the token is the signature (it is the radiologist's own, issued to her); a
    browser session signs as the pages do, with her password entered again."""
    if request.auth is not None:
        return {"signature": reports.TOKEN, "password": None}
    return {"signature": reports.PASSWORD, "password": password}


class ReportView(ApiView):
    required_perms = {"POST": [SIGN_REPORT]}

    @extend_schema(
        operation_id="appointments_report",
        summary="Write, rewrite or sign the report of a performed exam",
        description="Saves the preliminary report (each saved change is a new version) or, with `final: true`, "
        "signs it as final; with a token, the token is the signature (a browser session sends `password`). "
        "Only a radiologist. 409 when the exam is not performed yet or the report is already final "
        "(add an addendum instead); 400 naming the fields that are missing or wrong.",
        request=s.ReportInputSerializer,
        responses={200: s.AppointmentDetailSerializer, **CONFLICT},
    )
    def post(self, request, pk):
        appointment_or_404(pk)
        body = s.ReportInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        reports.save_report(
            appointment_id=pk,
            actor=request.user,
            findings=data["findings"],
            impression=data["impression"],
            assessment=data["assessment"],
            recommendation=data["recommendation"],
            follow_up_interval_weeks=data["follow_up_interval_weeks"],
            final=data["final"],
            **signature_of(request, data["password"]),
        )
        return appointment_response(request, pk)


class ReportAddendumView(ApiView):
    required_perms = {"POST": [SIGN_REPORT]}

    @extend_schema(
        operation_id="appointments_report_addendum",
        summary="Add a signed addendum to a final report",
        description="The final report stays as it was signed; the addendum is kept beside it, signed by the "
        "radiologist (with a token, the token is the signature). 409 when the report is not final or there "
        "is none; 400 without `text`.",
        request=s.AddendumInputSerializer,
        responses={200: s.AppointmentDetailSerializer, **CONFLICT},
    )
    def post(self, request, pk):
        appointment_or_404(pk)
        body = s.AddendumInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        reports.add_addendum(
            appointment_id=pk, actor=request.user, text=data["text"], **signature_of(request, data["password"])
        )
        return appointment_response(request, pk)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([AllowAny])
def not_found(request, *args, **kwargs):
    return Response(
        {"error": f"There is no API endpoint at {request.path}. See /api/v1/docs/ for the list."},
        status=status.HTTP_404_NOT_FOUND,
    )
