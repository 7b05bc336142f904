"""The catalog: what is done, how long it takes, what the patient is told, and when."""

from django.db import models
from django.db.models import F, Q


class Procedure(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    also_known_as = models.CharField(max_length=200, blank=True)
    injection_cpt = models.CharField("injection CPT code", max_length=5)
    imaging_cpt_single = models.CharField("imaging CPT, single duct", max_length=5, blank=True)
    imaging_cpt_multiple = models.CharField("imaging CPT, multiple ducts", max_length=5, blank=True)
    min_duration_minutes = models.PositiveSmallIntegerField(default=30)
    max_duration_minutes = models.PositiveSmallIntegerField(default=45)
    default_duration_minutes = models.PositiveSmallIntegerField(default=45)
    duration_step_minutes = models.PositiveSmallIntegerField(
        default=15, help_text="Schedulers pick a duration from min to max in these steps (30 or 45)."
    )
    turnover_minutes = models.PositiveSmallIntegerField(
        default=0, help_text="Room cleaning/set-up time kept free after each procedure."
    )
    no_expression_window_min_hours = models.PositiveSmallIntegerField(default=24)
    no_expression_window_max_hours = models.PositiveSmallIntegerField(default=48)
    min_lead_time_hours = models.PositiveSmallIntegerField(
        default=48, help_text="Booking closer than this needs a recorded reason (the no-expression window)."
    )
    no_show_grace_minutes = models.PositiveSmallIntegerField(default=15)
    room_capability = models.SlugField(default="mammography", help_text="The room must have this capability.")
    personnel = models.TextField(blank=True)
    setting = models.TextField(blank=True)
    # Patient-facing text, plain language, in this project's own words.
    summary = models.TextField()
    purpose = models.TextField(blank=True)
    indications = models.TextField(blank=True)
    preparation = models.TextField()
    no_expression_instruction = models.TextField(blank=True)
    procedure_description = models.TextField(blank=True)
    patient_experience = models.TextField(blank=True)
    risks = models.TextField(blank=True)
    benefits = models.TextField(blank=True)
    recovery = models.TextField(blank=True)
    alternatives = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_duration_minutes__gt=0)
                & Q(min_duration_minutes__lte=F("default_duration_minutes"))
                & Q(default_duration_minutes__lte=F("max_duration_minutes")),
                name="procedure_default_duration_within_range",
            ),
            models.CheckConstraint(
                condition=Q(no_expression_window_min_hours__lte=F("no_expression_window_max_hours")),
                name="procedure_no_expression_window_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def allowed_durations(self) -> list[int]:
        step = self.duration_step_minutes or 15
        return list(range(self.min_duration_minutes, self.max_duration_minutes + 1, step))

    @staticmethod
    def _lines(text: str) -> list[str]:
        return [line.strip("-• ").strip() for line in text.splitlines() if line.strip()]

    @property
    def preparation_steps(self) -> list[str]:
        return self._lines(self.preparation)

    @property
    def risk_list(self) -> list[str]:
        return self._lines(self.risks)

    @property
    def alternative_list(self) -> list[str]:
        return self._lines(self.alternatives)


class ReminderRule(models.Model):
    """When a message of a kind is due, relative to the appointment.

    Two kinds of offset, both correct across DST: ELAPSED counts real hours from the
    start (48 h before is 48 h of real time even over a clock change); WALL_CLOCK
    names a local time on a day relative to the start's local date ("day before at
    17:00"). AT_BOOKING and AFTER_COMPLETION are due when those events happen (+ offset).
    """

    class Anchor(models.TextChoices):
        AT_BOOKING = "at_booking", "At booking"
        ELAPSED_BEFORE_START = "elapsed", "Hours before the start (elapsed time)"
        WALL_CLOCK = "wall_clock", "Local time on a day before the start"
        AFTER_COMPLETION = "after_completion", "After completion"

    class Audience(models.TextChoices):
        PATIENT = "patient", "Patient"
        STAFF = "staff", "Staff"

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="reminder_rules")
    kind = models.SlugField(help_text="Template kind, e.g. prep, no_expression, day_before, follow_up.")
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.PATIENT)
    anchor = models.CharField(max_length=20, choices=Anchor.choices)
    offset_minutes = models.PositiveIntegerField(
        default=0, help_text="ELAPSED: minutes before the start. AFTER_COMPLETION: minutes after."
    )
    days_before = models.PositiveSmallIntegerField(default=1, help_text="WALL_CLOCK: days before the start date.")
    local_time = models.TimeField(null=True, blank=True, help_text="WALL_CLOCK: local time of day.")
    send_late_until_minutes_before = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="If the due time has already passed at booking, still send while at least this many "
        "minutes remain before the start; otherwise it is skipped with the reason. Empty: always send.",
    )
    advances_state = models.BooleanField(
        default=False, help_text="Delivery moves the appointment forward (prep sent, reminded)."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["procedure", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "kind", "audience"], name="reminder_rule_unique_kind"),
            models.CheckConstraint(
                condition=~Q(anchor="wall_clock") | Q(local_time__isnull=False),
                name="reminder_rule_wall_clock_needs_time",
            ),
        ]

    def __str__(self):
        return f"{self.procedure.slug}: {self.kind} ({self.get_anchor_display()})"
