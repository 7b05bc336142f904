"""What the patient page reads: the record, every appointment with its messages, answers
and the schedulers' call notes; for a merged-away record, the one it was merged into, and for
a survivor the records merged into her (her old MRNs). Six queries whatever the history."""

from dataclasses import dataclass, field

from django.db.models import Count

from notifications.models import Message
from radiology.models import Appointment, Patient, ReadinessResponse, TodoNote
from radiology.presentation.flow import flow_state
from radiology.selectors.reports import report_status_label


@dataclass
class AppointmentHistory:
    appointment: Appointment
    messages: list = field(default_factory=list)
    answers: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def flow(self):
        return flow_state(self.appointment.status)

    @property
    def report(self):
        """Her report on this exam, or None."""
        return getattr(self.appointment, "report", None)

    @property
    def report_status(self) -> str:
        report = self.report
        return report_status_label(report.status, self.appointment.report_addenda) if report else ""


def patient_record(pk: int) -> tuple[Patient, list[AppointmentHistory]]:
    patient = Patient.objects.select_related("merged_into").prefetch_related("merged_records").get(pk=pk)
    appointments = (
        Appointment.objects.filter(patient=patient)
        .select_related("room", "procedure", "radiologist__user", "technologist__user", "report__signed_by__user")
        .annotate(report_addenda=Count("report__addenda"))
        .order_by("-start")
    )
    history = {a.holder: AppointmentHistory(a) for a in appointments}
    by_pk = {h.appointment.pk: h for h in history.values()}
    for message in Message.objects.filter(subject__in=list(history)).order_by("due_at", "pk"):
        history[message.subject].messages.append(message)
    for answer in ReadinessResponse.objects.filter(appointment__patient=patient).order_by("-answered_at"):
        by_pk[answer.appointment_id].answers.append(answer)
    for note in TodoNote.objects.filter(appointment__patient=patient).select_related("by"):
        by_pk[note.appointment_id].notes.append(note)
    return patient, list(history.values())
