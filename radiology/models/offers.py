"""Earlier-slot offers (issue 21 B): the waiting list, the rounds that offer freed time, and
each offer with its expiring hold.

A `WaitingListEntry` says "tell her if an earlier time frees up" for one order of hers (put
there from her page, by a scheduler, over the API, or automatically when the order has waited
longer than WAITING_LIST_AUTO_AFTER_DAYS). When time frees, an `OfferRound` is planned in the
same transaction (its next step is a column the beat reads, never a Celery ETA). Each step
offers the time to the best eligible patient as a `SlotOffer`: an SMS/e-mail with a signed link,
and a hold on the room and people (a scheduling Reservation with an expiry, holder
"offer:<id>"). The first to accept gets it through the booking or rescheduling service; the
database allows one live hold and one accepted offer per round.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from radiology.models.appointments import Appointment
from radiology.models.orders import Order
from radiology.models.people import Patient, Room, StaffMember

OFFER_PREFIX = "offer"


def offer_reference(offer_id: int) -> str:
    """The offer's name as a reservation holder and as an outbox subject."""
    return f"{OFFER_PREFIX}:{offer_id}"


class WaitingListEntry(models.Model):
    class Source(models.TextChoices):
        PATIENT = "patient", "She asked on her page"
        SCHEDULER = "scheduler", "A scheduler"
        AUTOMATIC = "automatic", "Automatically (waiting long)"
        API = "api", "Another system (API)"

    class State(models.TextChoices):
        WAITING = "waiting", "On the list"
        FULFILLED = "fulfilled", "Got an earlier time"
        REMOVED = "removed", "Taken off the list"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="waiting_list_entries")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="waiting_list_entries")
    source = models.CharField(max_length=10, choices=Source.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["added_at", "pk"]
        verbose_name_plural = "waiting list entries"
        indexes = [models.Index(fields=["state", "added_at"], name="waiting_list_state_added")]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(state="waiting"), name="waiting_list_one_entry_per_order"
            ),
            models.CheckConstraint(
                condition=Q(state="waiting", ended_at__isnull=True) | (~Q(state="waiting") & Q(ended_at__isnull=False)),
                name="waiting_list_ended_iff_not_waiting",
            ),
        ]

    def __str__(self):
        return f"{self.patient} on the waiting list ({self.get_state_display()})"


class OfferRound(models.Model):
    """Freed time offered to the waiting list, one patient at a time."""

    class Cause(models.TextChoices):
        CANCELLED = "cancelled", "Cancelled"
        DID_NOT_PROCEED = "did_not_proceed", "Did not proceed"
        RESCHEDULED = "rescheduled", "Moved to another time"
        TIME_OFF = "time_off", "Time off ended early"

    class State(models.TextChoices):
        OPEN = "open", "Offering"
        FILLED = "filled", "Filled"
        EXHAUSTED = "exhausted", "No one else to offer it to"

    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.PROTECT, related_name="+")
    duration_minutes = models.PositiveSmallIntegerField()
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    cause = models.CharField(max_length=20, choices=Cause.choices)
    freed_appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="offer_rounds"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    # The beat's next look at this round: now when planned, the live hold's expiry after that.
    next_step_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["next_step_at"], name="offer_round_next_step", condition=Q(state="open")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(window_start__lt=models.F("window_end")), name="offer_round_window"),
            models.CheckConstraint(
                condition=Q(state="open", ended_at__isnull=True) | (~Q(state="open") & Q(ended_at__isnull=False)),
                name="offer_round_ended_iff_closed",
            ),
        ]

    def __str__(self):
        return f"Offer round {self.pk} ({self.get_state_display()})"


class SlotOffer(models.Model):
    class State(models.TextChoices):
        HELD = "held", "Offered, held for her"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "No answer in time"
        WITHDRAWN = "withdrawn", "Withdrawn (no longer possible)"

    ANSWERED = (State.ACCEPTED, State.DECLINED)

    round = models.ForeignKey(OfferRound, on_delete=models.CASCADE, related_name="offers")
    entry = models.ForeignKey(WaitingListEntry, on_delete=models.CASCADE, related_name="offers")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="slot_offers")
    start = models.DateTimeField()
    end = models.DateTimeField()
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+")
    radiologist = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    technologist = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.HELD)
    offered_at = models.DateTimeField()
    hold_expires_at = models.DateTimeField()
    # Under 48 h ahead she must confirm she has not expressed fluid and can keep it so.
    asks_no_expression = models.BooleanField(default=False)
    # Her booked time when offered (None: she had none); days gained = that minus the new start.
    previous_start = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="accepted_offers"
    )
    days_gained = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)

    class Meta:
        ordering = ["-offered_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "patient"], name="offer_once_per_patient_per_round"),
            models.UniqueConstraint(fields=["round"], condition=Q(state="held"), name="offer_one_live_hold_per_round"),
            models.UniqueConstraint(
                fields=["round"], condition=Q(state="accepted"), name="offer_one_accepted_per_round"
            ),
            models.CheckConstraint(
                condition=~Q(state="accepted") | Q(appointment__isnull=False, answered_at__isnull=False),
                name="offer_accepted_names_its_appointment",
            ),
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="offer_start_before_end"),
        ]

    def __str__(self):
        return f"Offer {self.pk} to {self.patient} ({self.get_state_display()})"

    @property
    def holder(self) -> str:
        return offer_reference(self.pk)
