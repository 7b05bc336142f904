"""What is recorded about an appointment: the patient's answers, the check-in checklist, the
outcome and the follow-up decision."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from radiology.models.appointments import Appointment
from radiology.models.people import StaffMember


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

    class Pregnancy(models.TextChoices):
        NOT_PREGNANT = "not_pregnant", "Not pregnant"
        POSSIBLE = "possible", "Possibly pregnant"
        PREGNANT = "pregnant", "Pregnant"

    class SettledBy(models.TextChoices):
        """Where an answer came from: asked on the day, or settled without asking."""

        ASKED = "asked", "Asked at check-in"
        ORDER = "order", "The order"
        AGE = "age", "Her age"
        SEX = "sex", "Not applicable (male patient)"

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
    # Pregnancy and breastfeeding (radiology.services.check_in_questions): the answer and where
    # it came from. Empty only on checklists recorded before the questions existed.
    pregnancy = models.CharField(max_length=15, choices=Pregnancy.choices, blank=True)
    pregnancy_settled_by = models.CharField(max_length=10, choices=SettledBy.choices, blank=True)
    breastfeeding = models.BooleanField(null=True)
    breastfeeding_settled_by = models.CharField(max_length=10, choices=SettledBy.choices, blank=True)
    # A positive answer checks her in only on a radiologist's decision to go ahead, with why.
    cleared_by = models.ForeignKey(
        StaffMember,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The radiologist who decided to go ahead although she is or may be pregnant, or breastfeeding.",
    )
    clearance_reason = models.CharField(max_length=300, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(identity_confirmed=True, contrast_allergy_asked=True, consent_signed=True),
                name="checklist_identity_allergy_consent_confirmed",
            ),
            models.CheckConstraint(condition=~Q(side_confirmed=False), name="checklist_side_not_unconfirmed"),
            models.CheckConstraint(
                condition=Q(pregnancy="", pregnancy_settled_by="") | (~Q(pregnancy="") & ~Q(pregnancy_settled_by="")),
                name="checklist_pregnancy_has_its_source",
            ),
            models.CheckConstraint(
                condition=Q(breastfeeding__isnull=True, breastfeeding_settled_by="")
                | Q(breastfeeding__isnull=False) & ~Q(breastfeeding_settled_by=""),
                name="checklist_breastfeeding_has_its_source",
            ),
            # The way past a positive answer is the radiologist's decision, named and explained.
            models.CheckConstraint(
                condition=~(Q(pregnancy__in=["possible", "pregnant"]) | Q(breastfeeding=True))
                | (Q(cleared_by__isnull=False) & ~Q(clearance_reason="")),
                name="checklist_positive_answer_cleared_by_radiologist",
            ),
            models.CheckConstraint(
                condition=Q(cleared_by__isnull=True, clearance_reason="")
                | (Q(cleared_by__isnull=False) & ~Q(clearance_reason="")),
                name="checklist_clearance_has_its_reason",
            ),
        ]

    def __str__(self):
        return f"Check-in checklist for #{self.appointment_id}"

    @property
    def questions_text(self) -> str:
        """Pregnancy and breastfeeding as recorded, with their sources and any decision."""
        parts = []
        if self.pregnancy:
            parts.append(
                f"pregnancy: {self.get_pregnancy_display().lower()} ({self.get_pregnancy_settled_by_display().lower()})"
            )
        if self.breastfeeding is not None:
            answer = "yes" if self.breastfeeding else "no"
            parts.append(f"breastfeeding: {answer} ({self.get_breastfeeding_settled_by_display().lower()})")
        if self.cleared_by_id:
            parts.append(f"{self.cleared_by.name} decided to go ahead: {self.clearance_reason}")
        text = "; ".join(parts)
        return text[:1].upper() + text[1:]


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
        if a.started_at and a.performed_at:  # the time in the room, to the exam done
            return round((a.performed_at - a.started_at).total_seconds() / 60)
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
    # A repeat ductogram is a new referral in the schedulers' work queue, booked like any order:
    # its reminders then follow the booked visit.
    follow_up_order = models.ForeignKey(
        "Order", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_up_of"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(kind="none") | ~Q(reason=""), name="follow_up_none_needs_reason"),
        ]

    def __str__(self):
        return f"Follow-up for #{self.appointment_id}: {self.get_kind_display()}"
