"""The radiologist's report on a performed exam, and its addenda.

One report per appointment. While preliminary it may be rewritten (every save is a new
`version`, kept in its history with who and when, and told to the EHR once); signing makes it
final, and a final report never changes again: what the radiologist adds later is an
addendum, signed, kept beside it. The database refuses a final report without a signer, an
assessment outside BI-RADS 0–6 and an addendum to nothing."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from radiology.models.appointments import Appointment
from radiology.models.people import StaffMember


class Assessment(models.TextChoices):
    """The BI-RADS assessment categories (ACR BI-RADS Atlas, 5th edition)."""

    INCOMPLETE = "0", "BI-RADS 0: incomplete, needs additional imaging evaluation"
    NEGATIVE = "1", "BI-RADS 1: negative"
    BENIGN = "2", "BI-RADS 2: benign"
    PROBABLY_BENIGN = "3", "BI-RADS 3: probably benign"
    SUSPICIOUS = "4", "BI-RADS 4: suspicious"
    HIGHLY_SUGGESTIVE = "5", "BI-RADS 5: highly suggestive of malignancy"
    KNOWN_MALIGNANCY = "6", "BI-RADS 6: known biopsy-proven malignancy"


class Recommendation(models.TextChoices):
    NONE = "none", "None"
    ROUTINE = "routine", "Routine screening"
    SURGICAL_CONSULTATION = "surgical_consultation", "Surgical consultation"
    ULTRASOUND = "ultrasound", "Breast ultrasound"
    MRI = "mri", "Breast MRI"
    BIOPSY = "biopsy", "Biopsy"
    REPEAT_DUCTOGRAM = "repeat_ductogram", "Repeat ductogram"


class Report(models.Model):
    class Status(models.TextChoices):
        PRELIMINARY = "preliminary", "Preliminary"
        FINAL = "final", "Final"

    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="report")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PRELIMINARY)
    findings = models.TextField()
    impression = models.TextField()
    assessment = models.CharField(max_length=1, choices=Assessment.choices)
    recommendation = models.CharField(max_length=30, choices=Recommendation.choices)
    # The radiologist's interval for a repeat ductogram or an MRI (weeks), when she gives one.
    follow_up_interval_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    # Each saved change is a version: the EHR hears each one once (ORU idempotency).
    version = models.PositiveIntegerField(default=1)
    radiologist = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="reports")
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()
    signed_by = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.PROTECT, related_name="signed_reports"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        permissions = [("sign_report", "Can write and sign reports")]
        indexes = [models.Index(fields=["status", "written_at"], name="report_status_written")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="preliminary", signed_by__isnull=True, signed_at__isnull=True)
                | Q(status="final", signed_by__isnull=False, signed_at__isnull=False),
                name="report_final_iff_signed",
            ),
            models.CheckConstraint(condition=Q(assessment__in=Assessment.values), name="report_assessment_is_birads"),
            models.CheckConstraint(
                condition=Q(recommendation__in=Recommendation.values), name="report_recommendation_known"
            ),
            models.CheckConstraint(condition=~Q(impression=""), name="report_has_impression"),
        ]

    def __str__(self):
        return f"Report on #{self.appointment_id} ({self.get_status_display()}, v{self.version})"

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.FINAL


class ReportAddendum(models.Model):
    """Text a radiologist adds to a final report; signed when written, never changed."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="addenda")
    number = models.PositiveSmallIntegerField()
    text = models.TextField()
    signed_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="addendum_number_unique"),
            models.CheckConstraint(condition=~Q(text=""), name="addendum_has_text"),
        ]

    def __str__(self):
        return f"Addendum {self.number} to report on #{self.report.appointment_id}"
