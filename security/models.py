"""The read audit and the API tokens.

AccessLogEntry is append-only: nothing in the application updates or deletes a row except the
retention purge (ACCESS_LOG_DAYS). The admin shows it read-only.
"""

from django.conf import settings
from django.db import models
from knox.models import AbstractAuthToken


class AccessLogEntry(models.Model):
    """Someone opened a patient's data: who, which patient, through what, when."""

    class What(models.TextChoices):
        APPOINTMENT_PAGE = "appointment_page", "Appointment page"
        API = "api", "Patient data over the API"
        CSV_EXPORT = "csv_export", "CSV export"
        PATIENT_SEARCH = "patient_search", "Patient search results"
        PATIENT_PAGE = "patient_page", "Patient page"
        ORDER_PAGE = "order_page", "Order page"
        DAY_LIST = "day_list", "Day list"
        APPOINTMENT_LIST = "appointment_list", "Appointment list"
        ACTION_FORM = "action_form", "Procedure action form"
        BOOKED_PAGE = "booked_page", "Booked page"
        WEEK_GRID = "week_grid", "Week grid"
        ADMIN = "admin", "Admin page"
        DICOM_QUERY = "dicom_query", "DICOM worklist query"
        STAFF_PAGE = "staff_page", "Other staff page"

    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # Kept as text too: the entry must still say who it was after the account is removed.
    username = models.CharField(max_length=150)
    patient = models.ForeignKey("radiology.Patient", on_delete=models.PROTECT, related_name="+")
    what = models.CharField(max_length=20, choices=What.choices)
    path = models.CharField(max_length=300)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "-at"], name="accesslog_patient_at")]
        permissions = [("unlock_logins", "Can unlock log-ins refused after failed passwords")]
        verbose_name_plural = "access log entries"

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.what} patient {self.patient_id}"


class ApiToken(AbstractAuthToken):
    """A knox token (stored as a SHA-512 digest) with a name and the time it was last used."""

    name = models.CharField(max_length=100, default="api")
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"{self.user} · {self.name} · {self.token_key}…"


class UnlockRequest(models.Model):
    """A staff member asked, from the refused log-in page, for a link to unlock her own
    log-in. The link is signed at send time from this row's id (nothing secret is stored);
    it works once (used_at, set by a conditional update) and until expires_at."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Where she asked from: the pair this unlocks, besides the address she opens the link at.
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")), name="unlock_expires_later"
            ),
        ]

    def __str__(self):
        return f"unlock {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"
