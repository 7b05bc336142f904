"""The department: patients, staff, rooms, appointments and their state machine."""

from datetime import date

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from scheduling.clinic_time import clinic_zone

# The MRN rule lives here (the model is the lowest layer); radiology.rules re-exports it.
MRN_PATTERN = r"^[A-Za-z0-9-]{3,20}$"
MRN_MESSAGE = "An MRN is 3–20 letters, digits or dashes."


class Channel(models.TextChoices):
    SMS = "sms", "Text message (SMS)"
    EMAIL = "email", "E-mail"


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish"


class Patient(models.Model):
    # What staff and systems enter about a patient (the registration form and the API).
    CONTACT_FIELDS = (
        "mrn",
        "given_name",
        "family_name",
        "birth_date",
        "sex",
        "phone",
        "email",
        "preferred_channel",
        "language",
        "contrast_allergy",
        "contrast_allergy_note",
    )

    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"
        UNKNOWN = "unknown", "Unknown"

    mrn = models.CharField(
        "MRN",
        max_length=20,
        unique=True,
        validators=[RegexValidator(MRN_PATTERN, MRN_MESSAGE)],
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.FEMALE)
    phone = PhoneNumberField(blank=True, help_text="Stored as E.164, e.g. +12025550123.")
    email = models.EmailField(blank=True)
    preferred_channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.SMS)
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.ENGLISH)
    contrast_allergy = models.BooleanField(default=False)
    contrast_allergy_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["family_name", "given_name"]
        indexes = [models.Index(fields=["family_name", "given_name"], name="patient_name")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(preferred_channel="sms") & ~Q(phone="")) | (Q(preferred_channel="email") & ~Q(email="")),
                name="patient_reachable_on_preferred_channel",
            ),
        ]

    def __str__(self):
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


class Room(models.Model):
    """A procedure room. Its calendar and capabilities live on the scheduling resource."""

    name = models.CharField(max_length=100, unique=True)
    location = models.CharField(max_length=200, blank=True, help_text="Shown to patients: where to go.")
    resource = models.OneToOneField("scheduling.Resource", on_delete=models.PROTECT, related_name="room")
    # The mammography unit's DICOM AE title: its worklist query names it (ScheduledStationAETitle).
    ae_title = models.CharField(
        "DICOM AE title",
        max_length=16,
        blank=True,
        validators=[RegexValidator(r"^[ -\[\]-~]*$", "An AE title has printable characters only, no backslash.")],
        help_text="The modality's AE title, up to 16 characters, e.g. MAMMO1.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["ae_title"], condition=~Q(ae_title=""), name="room_ae_title_unique"),
        ]

    def __str__(self):
        return self.name


class StaffMember(models.Model):
    class Role(models.TextChoices):
        RADIOLOGIST = "radiologist", "Radiologist"
        TECHNOLOGIST = "technologist", "Technologist"
        NURSE = "nurse", "Nurse"
        SCHEDULER = "scheduler", "Scheduler"
        MANAGER = "manager", "Manager"

    CLINICAL_ROLES = (Role.RADIOLOGIST, Role.TECHNOLOGIST, Role.NURSE)
    ASSISTING_ROLES = (Role.TECHNOLOGIST, Role.NURSE)

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff")
    role = models.CharField(max_length=20, choices=Role.choices)
    resource = models.OneToOneField(
        "scheduling.Resource", null=True, blank=True, on_delete=models.PROTECT, related_name="staff_member"
    )
    phone = PhoneNumberField(blank=True)

    class Meta:
        ordering = ["role", "user__last_name", "user__first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=["scheduler", "manager"]) | Q(resource__isnull=False),
                name="clinical_staff_have_a_calendar",
            ),
        ]

    def __str__(self):
        name = self.user.get_full_name() or self.user.get_username()
        return f"{name} ({self.get_role_display()})"

    @property
    def name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    PREP_SENT = "prep_sent", "Prep instructions sent"
    REMINDED = "reminded", "No-expression reminder sent"
    CHECKED_IN = "checked_in", "Checked in"
    IN_PROCEDURE = "in_procedure", "In procedure"
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

# FHIR R4 Appointment.status for each state. "incomplete" maps to fulfilled: the
# patient was seen; the outcome (aborted, with its reason) belongs to the procedure record.
FHIR_STATUS = {
    S.BOOKED: "booked",
    S.PREP_SENT: "booked",
    S.REMINDED: "booked",
    S.CHECKED_IN: "checked-in",
    S.IN_PROCEDURE: "arrived",
    S.COMPLETED: "fulfilled",
    S.FOLLOW_UP: "fulfilled",
    S.INCOMPLETE: "fulfilled",
    # The patient was not examined (no discharge, declined, ...): for other systems the
    # appointment did not take place, with the reason as its cancelationReason.
    S.DID_NOT_PROCEED: "cancelled",
    S.CANCELLED: "cancelled",
    S.NO_SHOW: "noshow",
}


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
    def fhir_status(self) -> str:
        return FHIR_STATUS[self.status]

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

    @transition(field=status, source=S.IN_PROCEDURE, target=S.COMPLETED)
    def complete(self, *, at):
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


class ReadinessResponse(models.Model):
    """The patient's answers through the signed link; the latest one counts."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="readiness_responses")
    discharge_present = models.BooleanField(null=True, help_text="Is the discharge still present?")
    expressed_last_48h = models.BooleanField(null=True, help_text="Squeezed or expressed in the last 48 hours?")
    contrast_allergy = models.BooleanField(null=True, help_text="Ever reacted to X-ray dye (contrast)?")
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["-answered_at"]
        get_latest_by = "answered_at"

    def __str__(self):
        return f"Readiness for #{self.appointment_id} at {self.answered_at:%Y-%m-%d %H:%M}"


class CheckInChecklist(models.Model):
    """What the technologist/nurse confirmed at check-in."""

    appointment = models.OneToOneField(Appointment, on_delete=models.CASCADE, related_name="checklist")
    identity_confirmed = models.BooleanField(help_text="Name and date of birth confirmed with the patient.")
    contrast_allergy_asked = models.BooleanField()
    contrast_allergy_reported = models.BooleanField(default=False)
    discharge_present_today = models.BooleanField()
    not_expressed_last_48h = models.BooleanField()
    consent_signed = models.BooleanField()
    # Empty only on checklists recorded before the question existed; never False.
    side_confirmed = models.BooleanField(
        null=True, help_text="The side in the order confirmed with the patient (wrong-side prevention)."
    )
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(identity_confirmed=True, contrast_allergy_asked=True, consent_signed=True),
                name="checklist_identity_allergy_consent_confirmed",
            ),
            models.CheckConstraint(condition=~Q(side_confirmed=False), name="checklist_side_not_unconfirmed"),
        ]

    def __str__(self):
        return f"Check-in checklist for #{self.appointment_id}"


class ProcedureOutcome(models.Model):
    class Ducts(models.TextChoices):
        SINGLE = "single", "Single duct"
        MULTIPLE = "multiple", "Multiple ducts"

    class Complication(models.TextChoices):
        NONE = "none", "None"
        PAIN = "pain", "Pain or discomfort"
        CONTRAST_REACTION = "contrast_reaction", "Contrast reaction"
        BLEEDING = "bleeding", "Bleeding or bruising"
        INFECTION = "infection", "Signs of infection"
        OTHER = "other", "Other"

    appointment = models.OneToOneField(Appointment, on_delete=models.CASCADE, related_name="outcome")
    ducts = models.CharField(max_length=10, choices=Ducts.choices)
    injection_cpt = models.CharField(max_length=5)
    imaging_cpt = models.CharField(max_length=5)
    contrast_volume_ml = models.DecimalField(max_digits=4, decimal_places=1)
    complications = models.JSONField(default=list, help_text="Codes from Complication.")
    complication_note = models.CharField(max_length=500, blank=True)
    findings = models.TextField(blank=True, help_text="What the images show.")
    impression = models.TextField(blank=True, help_text="The radiologist's conclusion.")
    note = models.TextField(blank=True)
    performing_radiologist = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    performing_technologist = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(contrast_volume_ml__gt=0, contrast_volume_ml__lte=10),
                name="outcome_contrast_volume_plausible",
            )
        ]

    def __str__(self):
        return f"Outcome of #{self.appointment_id}"

    @property
    def complication_labels(self) -> list[str]:
        return [self.Complication(code).label for code in self.complications if code in self.Complication.values]

    @property
    def actual_minutes(self) -> int | None:
        a = self.appointment
        if a.started_at and a.completed_at:
            return round((a.completed_at - a.started_at).total_seconds() / 60)
        return None


class FollowUpPlan(models.Model):
    """The radiologist's decision after a completed procedure."""

    class Kind(models.TextChoices):
        RESULTS_CONSULTATION = "results_consultation", "Results consultation"
        REPEAT_DUCTOGRAM = "repeat_ductogram", "Repeat ductogram"
        ULTRASOUND = "ultrasound", "Breast ultrasound"
        MRI = "mri", "Breast MRI"
        SURGICAL_REFERRAL = "surgical_referral", "Surgical referral"
        NONE = "none", "No follow-up needed"

    appointment = models.OneToOneField(Appointment, on_delete=models.CASCADE, related_name="follow_up_plan")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    follow_up_appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(kind="none") | ~Q(reason=""), name="follow_up_none_needs_reason"),
        ]

    def __str__(self):
        return f"Follow-up for #{self.appointment_id}: {self.get_kind_display()}"


# --- orders: the referral an appointment is booked from ---------------------------------


class Order(models.Model):
    """A galactogram order (the referral from the EHR, or entered by a scheduler).

    It carries the clinical facts the procedure needs (side, indication, discharge, prior
    imaging to localise the duct) and the identifiers shared with the EHR, the modality and
    the PACS: the accession number and the Study Instance UID are made once, when the
    order is created, and never change (a rescheduled or re-booked appointment keeps them).
    Created and changed only through radiology.services.orders."""

    class Indication(models.TextChoices):
        SPONTANEOUS_SINGLE_DUCT = "spontaneous_single_duct", "Spontaneous single-duct discharge"
        BLOODY = "bloody", "Bloody discharge"
        PERSISTENT_NOT_BREASTFEEDING = (
            "persistent_not_breastfeeding",
            "Persistent discharge not related to breastfeeding",
        )
        SUSPECTED_PAPILLOMA = "suspected_papilloma", "Suspected intraductal papilloma"
        SUSPECTED_ECTASIA = "suspected_ectasia", "Suspected duct ectasia"
        IMAGING_ABNORMALITY = "imaging_abnormality", "Imaging abnormality"
        OTHER = "other", "Other"

    class Side(models.TextChoices):
        LEFT = "left", "Left"
        RIGHT = "right", "Right"

    class DischargeColour(models.TextChoices):
        CLEAR = "clear", "Clear / watery"
        MILKY = "milky", "Milky"
        YELLOW = "yellow", "Yellow / serous"
        GREEN = "green", "Green"
        BLOODY = "bloody", "Bloody / red"
        DARK = "dark", "Brown / black"
        OTHER = "other", "Other"

    class Ducts(models.TextChoices):
        SINGLE = "single", "Single duct"
        MULTIPLE = "multiple", "Multiple ducts"
        UNKNOWN = "unknown", "Unknown"

    class PriorImaging(models.TextChoices):
        MAMMOGRAM = "mammogram", "Diagnostic mammogram"
        ULTRASOUND = "ultrasound", "Ultrasound"
        NONE = "none", "None"

    class Pregnancy(models.TextChoices):
        NOT_PREGNANT = "not_pregnant", "Not pregnant"
        POSSIBLE = "possible", "Possibly pregnant"
        PREGNANT = "pregnant", "Pregnant"
        UNKNOWN = "unknown", "Unknown"

    class Priority(models.TextChoices):
        ROUTINE = "routine", "Routine"
        URGENT = "urgent", "Urgent"

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting to be scheduled"
        SCHEDULED = "scheduled", "Scheduled"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="orders")
    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.PROTECT, related_name="+")
    # The placer (the ordering system, e.g. the EHR's MSH-3/4) and its order number (ORC-2).
    placer_system = models.CharField(max_length=64, blank=True)
    placer_order_number = models.CharField(max_length=64, blank=True)
    accession_number = models.CharField(max_length=16, unique=True, editable=False)
    study_instance_uid = models.CharField("Study Instance UID", max_length=64, unique=True, editable=False)
    referring_physician_family_name = models.CharField(max_length=100, blank=True)
    referring_physician_given_name = models.CharField(max_length=100, blank=True)
    referring_physician_phone = models.CharField(max_length=40, blank=True)
    referring_physician_npi = models.CharField(
        "referring physician NPI",
        max_length=10,
        blank=True,
        validators=[RegexValidator(r"^\d{10}$", "An NPI is 10 digits.")],
    )
    indication = models.CharField(max_length=40, choices=Indication.choices, blank=True)
    indication_other = models.CharField(max_length=300, blank=True)
    side = models.CharField(max_length=5, choices=Side.choices, blank=True)
    discharge_colour = models.CharField(max_length=10, choices=DischargeColour.choices, blank=True)
    discharge_ducts = models.CharField(max_length=10, choices=Ducts.choices, default=Ducts.UNKNOWN)
    prior_imaging_kind = models.CharField(max_length=10, choices=PriorImaging.choices, default=PriorImaging.NONE)
    prior_imaging_date = models.DateField(null=True, blank=True)
    prior_imaging_where = models.CharField(max_length=200, blank=True)
    pregnancy_status = models.CharField(max_length=15, choices=Pregnancy.choices, default=Pregnancy.UNKNOWN)
    lactating = models.BooleanField(null=True, blank=True, help_text="Breastfeeding or lactating; empty: not known.")
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.ROUTINE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    cancel_reason = models.CharField(max_length=300, blank=True)
    note = models.TextField(blank=True)
    # When the order reached the department (the HL7 message time, or when it was entered):
    # the work queue's "waiting since".
    received_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["received_at", "pk"]
        indexes = [models.Index(fields=["status", "priority", "received_at"], name="order_queue")]
        constraints = [
            models.UniqueConstraint(
                fields=["placer_system", "placer_order_number"],
                condition=~Q(placer_order_number=""),
                name="order_placer_number_unique_per_placer",
            ),
            models.CheckConstraint(
                condition=~Q(indication="other") | ~Q(indication_other=""), name="order_other_indication_has_text"
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""), name="order_cancel_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(prior_imaging_kind="none") | Q(prior_imaging_date__isnull=True, prior_imaging_where=""),
                name="order_no_prior_imaging_has_no_date",
            ),
            models.CheckConstraint(condition=~Q(accession_number=""), name="order_has_accession_number"),
            models.CheckConstraint(condition=Q(study_instance_uid__startswith="2.25."), name="order_study_uid_2_25"),
        ]
        permissions = [("view_order_queue", "Can see the orders to schedule")]

    def __str__(self):
        return f"Order {self.accession_number} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("radiology:order_detail", args=[self.pk])

    @property
    def referring_physician_name(self) -> str:
        """For people: "Given Family"."""
        return " ".join(p for p in (self.referring_physician_given_name, self.referring_physician_family_name) if p)

    @property
    def referring_physician_pn(self) -> str:
        """DICOM PN (and HL7 XCN) order: "FAMILY^GIVEN", empty when unknown."""
        if not (self.referring_physician_family_name or self.referring_physician_given_name):
            return ""
        return f"{self.referring_physician_family_name}^{self.referring_physician_given_name}".rstrip("^")

    @property
    def indication_text(self) -> str:
        if self.indication == self.Indication.OTHER:
            return self.indication_other
        return self.get_indication_display()


class AccessionCounter(models.Model):
    """The last accession serial handed out on one clinic-local day ("GA" + YYYYMMDD + 5 digits)."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.day}: {self.last}"


class InterfaceMessage(models.Model):
    """One message received by an interface (HL7 v2 over MLLP), as received, with the
    outcome and the exact reply. A repeat of a message (same sender and control ID) is
    answered with the stored reply and changes nothing: the unique constraint on the
    first, processed copy is what makes that true under concurrency."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted (AA)"
        ERROR = "error", "Application error (AE)"
        REJECTED = "rejected", "Rejected (AR)"
        DUPLICATE = "duplicate", "Duplicate (answered as before)"
        FAILED = "failed", "Failed inside the product (AE, may be resent)"

    protocol = models.CharField(max_length=10, default="hl7v2")
    peer = models.CharField(max_length=100, blank=True, help_text="The sender's address.")
    sender = models.CharField(max_length=200, blank=True, help_text="MSH-3 and MSH-4: application@facility.")
    control_id = models.CharField(max_length=200, blank=True, help_text="MSH-10.")
    message_type = models.CharField(max_length=20, blank=True, help_text="MSH-9, e.g. ORM^O01.")
    version = models.CharField(max_length=10, blank=True, help_text="MSH-12.")
    order_control = models.CharField(max_length=2, blank=True, help_text="ORC-1: NW, XO, CA, OC.")
    raw = models.TextField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    detail = models.TextField(blank=True, help_text="What was done, or why not.")
    reply = models.TextField(blank=True, help_text="The ACK sent back, as sent.")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["-received_at"], name="interface_message_received")]
        constraints = [
            # Failed messages may be resent and processed then; every other first copy is final.
            models.UniqueConstraint(
                fields=["protocol", "sender", "control_id"],
                condition=Q(duplicate_of__isnull=True) & ~Q(control_id="") & ~Q(outcome="failed"),
                name="interface_message_processed_once",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="duplicate") | Q(duplicate_of__isnull=False),
                name="interface_message_duplicate_names_original",
            ),
        ]

    def __str__(self):
        return f"{self.message_type or 'message'} {self.control_id} from {self.sender} ({self.outcome})"


class PerformedProcedureStep(models.Model):
    """A Modality Performed Procedure Step (DICOM MPPS) as a modality reported it.

    Kept whatever happens to it: the raw attributes are the evidence when the step could not
    be linked to an appointment or applied to it, and staff resolve it from the "needs
    attention" page (radiology.dicom.views)."""

    class Status(models.TextChoices):
        IN_PROGRESS = "IN PROGRESS", "In progress"
        COMPLETED = "COMPLETED", "Completed at the modality"
        DISCONTINUED = "DISCONTINUED", "Discontinued at the modality"

    class Attention(models.TextChoices):
        NONE = "", "Nothing to do"
        UNMATCHED = "unmatched", "No appointment matches"
        OUTCOME_NEEDED = "outcome_needed", "Completed at the modality: the outcome is needed"
        NOT_APPLIED = "not_applied", "Could not be applied to the appointment"

    sop_instance_uid = models.CharField("SOP Instance UID", max_length=64, unique=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="performed_steps"
    )
    study_instance_uid = models.CharField(max_length=64, blank=True)
    scheduled_step_id = models.CharField(max_length=16, blank=True)
    accession_number = models.CharField(max_length=16, blank=True)
    station_ae_title = models.CharField(max_length=16, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # What the modality reported of the outcome; blank/None when it did not say.
    ducts = models.CharField(max_length=10, blank=True, choices=ProcedureOutcome.Ducts.choices)
    procedure_codes = models.JSONField(default=list, blank=True)
    contrast_volume_ml = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    series_instance_uids = models.JSONField(default=list, blank=True)
    attributes = models.JSONField(default=dict, help_text="The step's attributes in DICOM JSON, as last received.")
    attention = models.CharField(max_length=20, blank=True, choices=Attention.choices)
    attention_note = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["attention", "received_at"], name="mpps_attention")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(attention="unmatched") | Q(appointment__isnull=True),
                name="mpps_unmatched_has_no_appointment",
            ),
        ]

    def __str__(self):
        return f"MPPS {self.sop_instance_uid} ({self.status})"


# --- calendar feeds: a secret .ics address per clinical staff member and per room ---------


class CalendarFeed(models.Model):
    """The secret address at which a calendar application reads a staff member's or a room's
    appointments: /cal/<kind>/<id>/<token>.ics. Only the token's SHA-256 is stored; the address
    is shown once, when made. Rotating replaces the token, revoking deletes the row.
    Made and removed only through radiology.services.calendar_feeds."""

    class Kind(models.TextChoices):
        STAFF = "staff", "Staff member"
        ROOM = "room", "Room"

    kind = models.CharField(max_length=5, choices=Kind.choices)
    staff = models.OneToOneField(
        StaffMember, null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    room = models.OneToOneField(Room, null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_feed")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="staff", staff__isnull=False, room__isnull=True)
                | Q(kind="room", room__isnull=False, staff__isnull=True),
                name="calendar_feed_has_one_owner_of_its_kind",
            ),
        ]

    def __str__(self):
        return f"Calendar feed of {self.staff or self.room}"

    @property
    def owner_id(self) -> int:
        return self.staff_id if self.kind == self.Kind.STAFF else self.room_id


# --- the day list's change counter and the schedulers' call log (issue 10, items 9 and 15) ---


class DayVersion(models.Model):
    """A counter per UTC calendar date, bumped by database triggers (migration
    0014_day_versions_todo_notes_search) whenever an appointment starting that date is inserted, updated
    (bulk `update()` included) or deleted, a readiness answer arrives for it, or its patient's
    record changes. Triggers rather than calls in each service: whatever path changes the day,
    the counter moves in the same transaction, so the day list can answer 304 safely."""

    day = models.DateField(primary_key=True)
    version = models.BigIntegerField(default=1)

    class Meta:
        verbose_name = "day-list change counter"

    def __str__(self):
        return f"{self.day}: v{self.version}"


class TodoNote(models.Model):
    """What a scheduler did about an appointment on the to-do list: called (the item stays)
    or resolved (the item leaves the list until something new happens)."""

    class Outcome(models.TextChoices):
        CALLED = "called", "Called"
        RESOLVED = "resolved", "Resolved"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="todo_notes")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    note = models.CharField(max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["appointment", "at"], name="todonote_appointment_at")]
        constraints = [
            # A resolution says how it was resolved; a call may be just "no answer".
            models.CheckConstraint(condition=~Q(outcome="resolved") | ~Q(note=""), name="todonote_resolved_has_note"),
        ]

    def __str__(self):
        return f"{self.get_outcome_display()} #{self.appointment_id} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def by_name(self) -> str:
        return self.by.get_full_name() or self.by.get_username()
