"""The day list's change counter and the schedulers' call log."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from radiology.models.appointments import Appointment

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
    """What a scheduler did about an appointment, or about a patient the department cannot
    reach, on the to-do list: called (the item stays) or resolved (the item leaves the list
    until something new happens)."""

    class Outcome(models.TextChoices):
        CALLED = "called", "Called"
        RESOLVED = "resolved", "Resolved"

    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.CASCADE, related_name="todo_notes"
    )
    # Or a patient the department cannot reach (a "check contact" or "no contact" item).
    patient = models.ForeignKey(
        "radiology.Patient", null=True, blank=True, on_delete=models.CASCADE, related_name="todo_notes"
    )
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
            models.CheckConstraint(
                condition=(Q(appointment__isnull=False) & Q(patient__isnull=True))
                | (Q(appointment__isnull=True) & Q(patient__isnull=False)),
                name="todonote_about_one_thing",
            ),
        ]

    def __str__(self):
        about = f"#{self.appointment_id}" if self.appointment_id else f"patient {self.patient_id}"
        return f"{self.get_outcome_display()} {about} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def by_name(self) -> str:
        return self.by.get_full_name() or self.by.get_username()
