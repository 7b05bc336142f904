"""Closing the loop with the patient (issue 20 B and C): tracked follow-ups of a final report's
recommendation, the rebooking of a missed appointment, their timed escalation steps and the
settings tables those steps are planned from.

A `FollowUp` is the department's promise that a recommendation happens: open → booked → done,
or closed with a coded reason. The radiologist's `FollowUpPlan` (records.py) stays her decision
after the exam; when she books a repeat ductogram there, its order books the follow-up.
A `Rebooking` is the loop after a no-show or "did not proceed": waiting → rebooked, or flagged
to the referring physician when nobody got her back. Both escalate through `LoopStep` rows:
their due time is a column (planned when the loop opens), a beat tick reaches each once, and
a loop that closes early withdraws what has not been reached. The database refuses a second
open follow-up of one kind for one exam and a closed one without a reason."""

from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q

from radiology.models.appointments import Appointment
from radiology.models.orders import Order
from radiology.models.reports import Recommendation, Report

FOLLOW_UP_KINDS = [(value, label) for value, label in Recommendation.choices if value != Recommendation.NONE]


class FollowUpInterval(models.Model):
    """When a recommendation is due, in weeks after the report is signed (managers edit it).
    For a repeat ductogram or an MRI the radiologist's own interval wins; this is its default."""

    kind = models.CharField(max_length=30, choices=FOLLOW_UP_KINDS, unique=True)
    weeks = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["kind"]
        constraints = [models.CheckConstraint(condition=Q(weeks__gte=1, weeks__lte=260), name="interval_weeks_sane")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.weeks} weeks"


class Loop(models.TextChoices):
    FOLLOW_UP = "follow_up", "Overdue follow-up"
    REBOOKING = "rebooking", "Missed appointment"


class StepKind(models.TextChoices):
    REBOOK_MESSAGE = "rebook_message", "Message to the patient: choose a new time"
    CALL_TASK = "call_task", "Call the patient (to-do)"
    PATIENT_LETTER = "patient_letter", "Message to the patient: her follow-up is overdue"
    REFERRER_NOTICE = "referrer_notice", "Tell the referring physician (to-do)"
    REFERRER_FLAG = "referrer_flag", "Order flagged to the referring physician"


# Steps delivered by the outbox (an SMS or e-mail row planned with the step); the others are
# to-do entries (call_task, referrer_notice) or a flag on the order (referrer_flag).
MESSAGE_STEPS = {StepKind.REBOOK_MESSAGE, StepKind.PATIENT_LETTER}
TODO_STEPS = {StepKind.CALL_TASK, StepKind.REFERRER_NOTICE}


class EscalationRule(models.Model):
    """One timed step of a loop (managers edit it): `days_after` the anchor (a follow-up's due
    date, the missed appointment's time) at `local_time` on the clinic's wall clock, or at once
    when days_after is 0 and local_time is empty. An inactive row plans nothing."""

    loop = models.CharField(max_length=12, choices=Loop.choices)
    step = models.CharField(max_length=20, choices=StepKind.choices)
    days_after = models.PositiveSmallIntegerField()
    local_time = models.TimeField(null=True, blank=True, default=time(9))
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["loop", "days_after", "pk"]
        constraints = [models.UniqueConstraint(fields=["loop", "step"], name="escalation_rule_one_per_step")]

    def __str__(self):
        return f"{self.get_loop_display()}: {self.get_step_display()} after {self.days_after} days"


class FollowUp(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        BOOKED = "booked", "Booked"
        DONE = "done", "Done"
        CLOSED = "closed", "Closed"

    class CloseReason(models.TextChoices):
        DECLINED = "declined", "The patient declined"
        DONE_ELSEWHERE = "done_elsewhere", "Done elsewhere"
        MOVED_AWAY = "moved_away", "The patient moved away"
        DECEASED = "deceased", "The patient has died"

    # The exam whose report recommended it; the patient is the appointment's (a merge moves both).
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="follow_ups")
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="follow_ups")
    kind = models.CharField(max_length=30, choices=FOLLOW_UP_KINDS)
    due_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    # Booked here (an appointment, or an order in the work queue) or elsewhere (a date and place).
    booked_appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="booked_follow_ups"
    )
    booked_order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="booked_follow_ups"
    )
    elsewhere_on = models.DateField(null=True, blank=True)
    elsewhere_place = models.CharField(max_length=200, blank=True)
    booked_at = models.DateTimeField(null=True, blank=True)
    # Done: the evidence is our completed appointment, or a note of the result received.
    done_appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="done_follow_ups"
    )
    result_note = models.CharField(max_length=500, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)
    close_note = models.CharField(max_length=500, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["state", "due_at"], name="follow_up_state_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "kind"], condition=Q(state="open"), name="follow_up_one_open_per_kind"
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | ~Q(close_reason=""), name="follow_up_closed_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(state="booked")
                | Q(booked_appointment__isnull=False)
                | Q(booked_order__isnull=False)
                | Q(elsewhere_on__isnull=False),
                name="follow_up_booked_says_where",
            ),
            models.CheckConstraint(
                condition=~Q(state="done") | Q(done_appointment__isnull=False) | ~Q(result_note=""),
                name="follow_up_done_has_evidence",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} after #{self.appointment_id} ({self.get_state_display()})"

    @property
    def reference(self) -> str:
        """Its outbox messages' subject."""
        return f"{FOLLOW_UP_PREFIX}:{self.pk}"


FOLLOW_UP_PREFIX = "followup"


class Rebooking(models.Model):
    """After a no-show or "did not proceed": her order waits in the queue again and she is
    asked to choose a new time; rebooked when any new appointment of the order is booked."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting for her to rebook"
        REBOOKED = "rebooked", "Rebooked"
        FLAGGED = "flagged", "Flagged to the referring physician"
        ENDED = "ended", "Ended (order cancelled or patient died)"

    missed_appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="rebooking")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="rebookings")
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    missed_at = models.DateTimeField()
    rebooked_appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="rebooked_from"
    )
    rebooked_at = models.DateTimeField(null=True, blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["missed_at", "pk"]
        indexes = [models.Index(fields=["state", "missed_at"], name="rebooking_state_missed")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="rebooked") | Q(rebooked_at__isnull=False), name="rebooking_rebooked_has_time"
            ),
        ]

    def __str__(self):
        return f"Rebooking after #{self.missed_appointment_id} ({self.get_state_display()})"


class LoopStep(models.Model):
    """One planned escalation step of a follow-up or a rebooking, reached once by the beat."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        REACHED = "reached", "Reached"
        WITHDRAWN = "withdrawn", "Withdrawn"

    follow_up = models.ForeignKey(FollowUp, null=True, blank=True, on_delete=models.CASCADE, related_name="steps")
    rebooking = models.ForeignKey(Rebooking, null=True, blank=True, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    reached_at = models.DateTimeField(null=True, blank=True)
    # For a message step: its outbox row's idempotency key (delivery is the outbox's).
    message_key = models.CharField(max_length=200, blank=True)
    # A to-do step is done when a scheduler records it (a call made, the referrer told).
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["due_at"], name="loop_step_planned_due", condition=Q(status="planned"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(follow_up__isnull=False, rebooking__isnull=True)
                | Q(follow_up__isnull=True, rebooking__isnull=False),
                name="loop_step_of_one_loop",
            ),
            models.UniqueConstraint(fields=["follow_up", "kind"], name="loop_step_once_per_follow_up"),
            models.UniqueConstraint(fields=["rebooking", "kind"], name="loop_step_once_per_rebooking"),
            models.CheckConstraint(
                condition=~Q(status="reached") | Q(reached_at__isnull=False), name="loop_step_reached_has_time"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class LoopEvent(models.Model):
    """The log of both loops: every state change and every step, with who (None: the system)."""

    follow_up = models.ForeignKey(FollowUp, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    rebooking = models.ForeignKey(Rebooking, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    note = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(follow_up__isnull=False, rebooking__isnull=True)
                | Q(follow_up__isnull=True, rebooking__isnull=False),
                name="loop_event_of_one_loop",
            ),
        ]

    def __str__(self):
        return f"{self.action} at {self.at:%Y-%m-%d %H:%M}"
