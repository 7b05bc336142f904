"""Orders: the referral an appointment is booked from, with the identifiers other systems share."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from radiology.models.people import Patient

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
