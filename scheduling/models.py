"""A generic calendar: resources, their weekly hours and exceptions, and reservations.

Knows nothing of patients or appointments. A reservation names its holder with an
opaque string (e.g. "appointment:42"). Times are aware UTC datetimes, except weekly
working hours, which are wall-clock times in the clinic's zone.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Capability(models.Model):
    """Something a resource can do or has, e.g. "mammography" for a room."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "capabilities"

    def __str__(self):
        return self.name


class Resource(models.Model):
    class Kind(models.TextChoices):
        ROOM = "room", "Room"
        PERSON = "person", "Person"

    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    capabilities = models.ManyToManyField(Capability, blank=True, related_name="resources")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scheduling_resource",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="person") | Q(user__isnull=True), name="resource_only_people_have_a_user"
            )
        ]

    def __str__(self):
        return self.name


class WorkingHours(models.Model):
    """A weekly recurring block, in the clinic's local wall-clock time."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["resource", "weekday", "start_time"]
        # The department's words in the admin.
        verbose_name = "working hours"
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(condition=Q(start_time__lt=F("end_time")), name="working_hours_start_before_end"),
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="working_hours_valid_weekday"),
        ]

    def __str__(self):
        return f"{self.resource} {self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class Unavailability(models.Model):
    """A dated exception: time off, maintenance, a closure; a whole day or part of one."""

    class Kind(models.TextChoices):
        TIME_OFF = "time_off", "Time off"
        MAINTENANCE = "maintenance", "Maintenance"
        CLOSURE = "closure", "Closure"
        OTHER = "other", "Other"

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="unavailabilities")
    start = models.DateTimeField()
    end = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TIME_OFF)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["start"]
        # The department's words in the admin, not "unavailabilities".
        verbose_name = "time off or closure"
        verbose_name_plural = "time off and closures"
        indexes = [models.Index(fields=["resource", "start"])]
        constraints = [models.CheckConstraint(condition=Q(start__lt=F("end")), name="unavailability_start_before_end")]

    def __str__(self):
        return f"{self.resource}: {self.get_kind_display()} {self.start:%Y-%m-%d %H:%M}"


class Reservation(models.Model):
    """A resource held for a period. Active reservations of one resource never overlap.

    PostgreSQL enforces that with an exclusion constraint (see migration
    0002_reservation_no_overlap); elsewhere the reserving service checks inside its
    transaction. A hold is a reservation with an `expires_at`: still active (so the
    constraint keeps rivals out) until released, but free time for everyone once expired;
    whoever reserves over an expired hold releases it first, in the same transaction.
    """

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="reservations")
    start = models.DateTimeField()
    end = models.DateTimeField()
    holder = models.CharField(max_length=100, help_text="Opaque reference to what holds it, e.g. appointment:42")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    # A hold (an offered slot, a FHIR $hold) lapses by itself: after this moment it no longer
    # counts as busy, even before the dispatcher's sweep releases it. Null: a booking, kept.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["resource", "start"], name="reservation_resource_start"),
            models.Index(fields=["holder"], name="reservation_holder"),
            models.Index(
                fields=["expires_at"],
                name="reservation_hold_expiry",
                condition=Q(active=True, expires_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="reservation_start_before_end"),
            models.CheckConstraint(
                condition=Q(active=True, released_at__isnull=True) | Q(active=False, released_at__isnull=False),
                name="reservation_released_iff_inactive",
            ),
        ]

    def __str__(self):
        return f"{self.resource} {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M} ({self.holder})"
