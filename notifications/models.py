"""The outbox: one row per planned message. The due time is a column; the dispatcher
claims due rows, Celery send tasks deliver them. Nothing here knows what the subject
of a message is (an appointment, a day's list): it is an opaque reference."""

from django.db import models
from django.db.models import Q


class Message(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Withdrawn"
        SKIPPED = "skipped", "Skipped"
        # A send attempt began and its worker vanished: the provider is asked before any resend.
        UNKNOWN = "unknown", "Unknown (checking with the provider)"

    class Audience(models.TextChoices):
        PATIENT = "patient", "Patient"
        STAFF = "staff", "Staff"
        SYSTEM = "system", "Another system"

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "SMS"
        HL7 = "hl7", "HL7 v2 (MLLP)"

    PENDING = (Status.SCHEDULED, Status.SENDING, Status.UNKNOWN)
    PROBLEMS = (Status.FAILED, Status.SKIPPED, Status.UNKNOWN)

    subject = models.CharField(max_length=100, help_text='What the message is about, e.g. "appointment:42".')
    subject_version = models.PositiveIntegerField(default=1)
    audience = models.CharField(max_length=10, choices=Audience.choices)
    recipient = models.CharField(max_length=254, help_text="E-mail address or E.164 phone number.")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    kind = models.SlugField(max_length=50, help_text="Template kind, e.g. prep, no_expression.")
    language = models.CharField(max_length=10, default="en")
    context = models.JSONField(default=dict, blank=True, help_text="Template values: no clinical content.")
    meta = models.JSONField(default=dict, blank=True, help_text="For the subject's delivery handler.")
    due_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True, help_text="After this, skipped as too late.")
    quiet_hours = models.BooleanField(default=False, help_text="Deferred out of the SMS quiet hours.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempt_started_at = models.DateTimeField(null=True, blank=True)
    check_before_send = models.BooleanField(default=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    # Rows sharing an order key go out one after another, in id order: a row is not claimed
    # while an earlier row with its key is still scheduled, sending or unknown (HL7 events of
    # one appointment). Empty (NULL) for rows that may overtake each other (reminders).
    order_key = models.CharField(max_length=100, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            # The dispatcher's two questions: what is due, and whose lease ran out. The claim reads
            # due rows in (due_at, id) order and stops at its batch: with the id in the index it
            # reads only the batch, not every row due at the same instant (a backlog of 50,000).
            models.Index(fields=["due_at", "id"], name="message_due", condition=Q(status__in=["scheduled", "unknown"])),
            models.Index(fields=["lease_until"], name="message_lease", condition=Q(status="sending")),
            models.Index(fields=["subject", "status"], name="message_subject_status"),
            models.Index(fields=["status", "due_at"], name="message_status_due"),
            models.Index(
                fields=["order_key", "id"],
                name="message_order_pending",
                condition=Q(order_key__isnull=False, status__in=["scheduled", "sending", "unknown"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sending") | Q(lease_until__isnull=False, claim_token__isnull=False),
                name="message_sending_has_lease",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="message_sent_has_time"
            ),
        ]

    def __str__(self):
        return f"{self.kind} to {self.audience} by {self.channel} ({self.status})"

    @property
    def kind_label(self) -> str:
        """Kinds are slugs; pages want words (registered by the app that plans them)."""
        from notifications.registry import kind_label

        return kind_label(self.kind)


class SmsOptOut(models.Model):
    """A number that asked for no more texts (STOP, BAJA, a carrier's opt-out word): one row
    while it lasts; START deletes it. The outbox refuses SMS to it at send time."""

    number = models.CharField(max_length=32, unique=True, help_text="E.164, as the gateway sent it.")
    opted_out_at = models.DateTimeField()
    source = models.CharField(max_length=100, blank=True, help_text='What said so, e.g. "inbound SMS 12 (STOP)".')

    class Meta:
        verbose_name = "SMS opt-out"

    def __str__(self):
        return f"{self.number} (since {self.opted_out_at:%Y-%m-%d %H:%M})"
