"""The appointment and its state machine; the log of its transitions."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from radiology.models.people import Patient, Room, StaffMember
from scheduling.clinic_time import clinic_zone


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    PREP_SENT = "prep_sent", "Prep instructions sent"
    REMINDED = "reminded", "No-expression reminder sent"
    CHECKED_IN = "checked_in", "Checked in"
    IN_PROCEDURE = "in_procedure", "In procedure"
    # The exam is done (the modality said COMPLETED, or the technologist): the room and people
    # are free; the outcome (ducts, contrast, complications) is still to record.
    PERFORMED = "performed", "Performed: outcome to record"
    COMPLETED = "completed", "Completed"
    FOLLOW_UP = "follow_up", "Follow-up arranged"
    INCOMPLETE = "incomplete", "Incomplete"
    DID_NOT_PROCEED = "did_not_proceed", "Did not proceed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


S = AppointmentStatus
UPCOMING = [S.BOOKED, S.PREP_SENT, S.REMINDED]
CANCELLABLE = [*UPCOMING, S.CHECKED_IN]
# States in which the appointment still holds its room and people.
ACTIVE_STATES = [*CANCELLABLE, S.IN_PROCEDURE]
# The exam was performed: its outcome may be recorded (performed) and its report written.
PERFORMED_STATES = [S.PERFORMED, S.COMPLETED, S.FOLLOW_UP]
# What other systems (FHIR, calendars, the EHR) are told of each state and change is
# radiology/services/told_table.py.

APPOINTMENT_PREFIX = "appointment"


def appointment_reference(appointment_id: int) -> str:
    """The name other apps know an appointment by: its reservations' holder, its messages' subject."""
    return f"{APPOINTMENT_PREFIX}:{appointment_id}"


def appointment_id_from_reference(reference: str) -> int:
    return int(reference.removeprefix(f"{APPOINTMENT_PREFIX}:"))


class Appointment(ConcurrentTransitionMixin, models.Model):
    """A galactogram appointment. Its status moves only through the transitions below,
    called by radiology.services.transitions, which checks roles and guards, locks the
    row and writes the log. ConcurrentTransitionMixin refuses a save whose status changed
    underneath (the guard where SELECT ... FOR UPDATE is a no-op, as on SQLite)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.PROTECT, related_name="+")
    # Every appointment is booked from an order (its accession number and Study Instance UID).
    order = models.ForeignKey("Order", on_delete=models.PROTECT, related_name="appointments")
    start = models.DateTimeField()
    end = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField()
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="appointments")
    radiologist = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="appointments_as_radiologist")
    technologist = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        related_name="appointments_as_technologist",
        help_text="The technologist or nurse.",
    )
    status = FSMField(max_length=20, choices=AppointmentStatus.choices, default=S.BOOKED, protected=True)
    # Bumped on every reschedule: reminder idempotency keys include it.
    version = models.PositiveIntegerField(default=1)
    lead_time_override_reason = models.CharField(max_length=300, blank=True)
    # Why she is booked while another galactogram of hers is still ahead (see booking).
    repeat_booking_reason = models.CharField(max_length=300, blank=True)
    # The coded reason (procedures.reasons) and its text (label + note), kept together.
    cancel_reason_code = models.CharField(max_length=30, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    abort_reason_code = models.CharField(max_length=30, blank=True, help_text="Incomplete or did not proceed.")
    abort_reason = models.CharField(max_length=300, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    performed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    patient_confirmed_at = models.DateTimeField(null=True, blank=True)
    reschedule_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["start"], name="appointment_start"),
            models.Index(fields=["status", "start"], name="appointment_status_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="appointment_start_before_end"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=15, duration_minutes__lte=240),
                name="appointment_sane_duration",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""), name="appointment_cancel_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=PERFORMED_STATES) | Q(performed_at__isnull=False),
                name="appointment_performed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["incomplete", "did_not_proceed"]) | ~Q(abort_reason=""),
                name="appointment_abort_has_reason",
            ),
            # One order, one live appointment: the worklist never shows an accession twice.
            models.UniqueConstraint(
                fields=["order"], condition=Q(status__in=ACTIVE_STATES), name="appointment_one_active_per_order"
            ),
        ]
        permissions = [
            ("book_appointment", "Can book, reschedule and cancel appointments"),
            ("check_in_appointment", "Can check patients in"),
            ("perform_procedure", "Can start, complete and abort procedures"),
            ("mark_no_show", "Can mark an appointment as a no-show"),
            ("arrange_follow_up", "Can arrange follow-up after a procedure"),
            ("view_day_list", "Can see the day list"),
            ("view_dashboard", "Can see the department dashboard"),
        ]

    def __str__(self):
        local = self.start.astimezone(clinic_zone())
        return f"Appointment #{self.pk} {local:%Y-%m-%d %H:%M} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("radiology:appointment_detail", args=[self.pk])

    @property
    def local_start(self):
        return self.start.astimezone(clinic_zone())

    @property
    def local_end(self):
        return self.end.astimezone(clinic_zone())

    @property
    def holder(self) -> str:
        """How the scheduling engine and the outbox name this appointment."""
        return appointment_reference(self.pk)

    # --- the state machine; only radiology.services.transitions calls these ---

    @transition(field=status, source=S.BOOKED, target=S.PREP_SENT)
    def record_prep_sent(self):
        pass

    @transition(field=status, source=[S.BOOKED, S.PREP_SENT], target=S.REMINDED)
    def record_no_expression_reminder_sent(self):
        pass

    @transition(field=status, source=UPCOMING, target=S.CHECKED_IN)
    def check_in(self, *, at):
        self.checked_in_at = at

    @transition(field=status, source=S.CHECKED_IN, target=S.IN_PROCEDURE)
    def start_procedure(self, *, at):
        self.started_at = at

    @transition(field=status, source=S.IN_PROCEDURE, target=S.PERFORMED)
    def record_performed(self, *, at):
        self.performed_at = at

    @transition(field=status, source=[S.IN_PROCEDURE, S.PERFORMED], target=S.COMPLETED)
    def complete(self, *, at):
        """Recording the outcome; straight from the room, the exam is performed then too."""
        self.performed_at = self.performed_at or at
        self.completed_at = at

    @transition(field=status, source=S.COMPLETED, target=S.FOLLOW_UP)
    def arrange_follow_up(self):
        pass

    @transition(field=status, source=S.IN_PROCEDURE, target=S.INCOMPLETE)
    def abort(self, *, reason_code, reason):
        self.abort_reason_code, self.abort_reason = reason_code, reason

    @transition(field=status, source=CANCELLABLE, target=S.DID_NOT_PROCEED)
    def record_not_proceeded(self, *, reason_code, reason):
        self.abort_reason_code, self.abort_reason = reason_code, reason

    @transition(field=status, source=CANCELLABLE, target=S.CANCELLED)
    def cancel(self, *, reason_code, reason):
        self.cancel_reason_code, self.cancel_reason = reason_code, reason

    @transition(field=status, source=UPCOMING, target=S.NO_SHOW)
    def mark_no_show(self):
        pass

    @transition(field=status, source=[S.PREP_SENT, S.REMINDED], target=S.PREP_SENT)
    def step_back_for_reschedule(self):
        """A moved appointment needs its no-expression reminder again; prep stays sent."""


class AppointmentTransition(models.Model):
    """One row per state change: who, when, from, to, and why."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(max_length=50)
    from_status = models.CharField(max_length=20, choices=AppointmentStatus.choices)
    to_status = models.CharField(max_length=20, choices=AppointmentStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["appointment", "at"], name="transition_appointment_at")]

    def __str__(self):
        return f"#{self.appointment_id}: {self.from_status} → {self.to_status} ({self.action})"

    @property
    def actor_name(self) -> str:
        if self.actor is None:
            return "System"
        return self.actor.get_full_name() or self.actor.get_username()
