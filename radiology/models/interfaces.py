"""What the department's systems sent or read: HL7 messages, MPPS steps, calendar feeds."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from radiology.models.appointments import Appointment
from radiology.models.orders import Order
from radiology.models.people import Room, StaffMember
from radiology.models.records import ProcedureOutcome


class InterfaceMessage(models.Model):
    """One message received by an interface (HL7 v2 over MLLP), as received, with the
    outcome and the exact reply. A repeat of an accepted message (same sender and control
    ID) is answered with the stored reply and changes nothing: the unique constraint on the
    accepted copy is what makes that true under concurrency. A refused one (AE, AR) or one
    that failed here is processed again when resent, as the sender fixed what we said."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted (AA)"
        ERROR = "error", "Application error (AE)"
        REJECTED = "rejected", "Rejected (AR)"
        DUPLICATE = "duplicate", "Duplicate (answered as before)"
        FAILED = "failed", "Failed inside the product (AE, may be resent)"
        # Acknowledged AA and kept, but nothing here changed: an ADT event this product has
        # no use for (A02, A03 …), or an update for a patient the department does not know.
        IGNORED = "ignored", "Ignored (AA, nothing to do here)"

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
            # Only an accepted copy is final; refused or failed messages may be resent.
            models.UniqueConstraint(
                fields=["protocol", "sender", "control_id"],
                condition=Q(duplicate_of__isnull=True) & ~Q(control_id="") & Q(outcome__in=["accepted", "ignored"]),
                name="interface_message_accepted_once",
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
    attention" page (radiology.interfaces.dicom.views)."""

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
    # A person's resolution of a step that needed attention: linked to an appointment, or dismissed.
    resolution = models.CharField(max_length=300, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
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
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, resolved_by__isnull=True, resolution="")
                | Q(resolved_at__isnull=False, resolved_by__isnull=False) & ~Q(resolution=""),
                name="mpps_resolution_says_who_when_what",
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
