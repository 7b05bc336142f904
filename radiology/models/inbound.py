"""What patients send back and what the department invites them to: inbound text messages
(the SMS gateway's webhook, issue 21 A) and invitations to book an order (issue 21 C)."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class InboundSms(models.Model):
    """One text a number sent us, stored once per provider message id whatever the gateway
    retries. Matched to a patient only when exactly one patient has the number; what the
    product did with it is its outcome, and what needs a person stays on the inbox until
    handled."""

    class Provider(models.TextChoices):
        GATEWAY = "gateway", "SMS gateway (JSON)"
        TWILIO = "twilio", "Twilio"

    class Keyword(models.TextChoices):
        CONFIRM = "confirm", "Confirm"
        CHOICE = "choice", "Confirm one of several (C1, C2…)"
        RESCHEDULE = "reschedule", "Another time"
        STOP = "stop", "Stop texts"
        START = "start", "Start texts again"
        HELP = "help", "Help"
        OTHER = "other", "Free text"

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed her appointment"
        ASKED_ANOTHER_TIME = "another_time", "Asked for another time"
        OPTED_OUT = "opted_out", "No more texts to this number"
        OPTED_IN = "opted_in", "Texts to this number again"
        HELPED = "helped", "Sent the department's number"
        ASKED_WHICH = "asked_which", "Asked which appointment (shared number)"
        NOTHING_AHEAD = "nothing_ahead", "No appointment ahead to act on"
        INBOX = "inbox", "For staff to read"

    provider = models.CharField(max_length=10, choices=Provider.choices)
    provider_message_id = models.CharField(max_length=100)
    from_number = models.CharField(max_length=32, help_text="E.164 when it reads as a number, else as sent.")
    to_number = models.CharField(max_length=32, blank=True)
    body = models.TextField(max_length=1600)
    received_at = models.DateTimeField()
    # Set only when exactly one patient has the number: never a guess between several.
    patient = models.ForeignKey(
        "radiology.Patient", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_sms"
    )
    keyword = models.CharField(max_length=12, choices=Keyword.choices)
    outcome = models.CharField(max_length=15, choices=Outcome.choices)
    # The appointment it acted on (confirmed, asked another time), if any.
    appointment = models.ForeignKey(
        "radiology.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_sms"
    )
    # A shared number asked "which appointment?": the ids offered as C1, C2… in that order.
    choices = models.JSONField(default=list, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = "inbound SMS"
        verbose_name_plural = "inbound SMS"
        indexes = [
            models.Index(fields=["from_number", "received_at"], name="inboundsms_from_at"),
            models.Index(fields=["received_at"], name="inboundsms_inbox", condition=Q(handled_at__isnull=True)),
        ]
        constraints = [
            # A gateway that retries (or a replay inside the signature's five minutes) changes nothing.
            models.UniqueConstraint(fields=["provider", "provider_message_id"], name="inboundsms_once_per_provider_id"),
            models.CheckConstraint(
                condition=Q(handled_at__isnull=True) | Q(handled_by__isnull=False), name="inboundsms_handled_by_someone"
            ),
        ]

    def __str__(self):
        return f"SMS from {self.from_number} at {self.received_at:%Y-%m-%d %H:%M} ({self.get_outcome_display()})"

    @property
    def reference(self) -> str:
        """Its replies' outbox subject."""
        return f"{INBOUND_SMS_PREFIX}:{self.pk}"


INBOUND_SMS_PREFIX = "sms"


class OrderInvitation(models.Model):
    """A patient invited to choose her own time for one order waiting to be scheduled: an
    SMS or e-mail with a signed link (services/order_invitations.py). Open until she books
    (or anyone books the order), the order closes, or staff send a new one; unanswered after
    ORDER_INVITATION_TODO_AFTER_HOURS it goes on the schedulers' to-do (todo_due_at is the
    step's due time, reached once by the beat)."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for her choice"
        BOOKED = "booked", "Booked"
        CLOSED = "closed", "Closed"

    order = models.ForeignKey("radiology.Order", on_delete=models.CASCADE, related_name="invitations")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    channel = models.CharField(max_length=10, help_text="How it went: sms or email.")
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    todo_due_at = models.DateTimeField()
    todo_reached_at = models.DateTimeField(null=True, blank=True)
    appointment = models.ForeignKey(
        "radiology.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [
            models.Index(
                fields=["todo_due_at"], name="invitation_todo_due", condition=Q(status="open", todo_reached_at=None)
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=Q(status="open"), name="invitation_one_open_per_order"),
            models.CheckConstraint(
                condition=~Q(status="booked") | Q(appointment__isnull=False), name="invitation_booked_names_appointment"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(closed_at__isnull=False), name="invitation_ended_is_dated"
            ),
        ]

    def __str__(self):
        return f"Invitation {self.pk} for order {self.order_id} ({self.get_status_display()})"

    @property
    def reference(self) -> str:
        return f"{INVITATION_PREFIX}:{self.pk}"


INVITATION_PREFIX = "invitation"
