"""The read audit: who opened which patient's data (appointment page, patient page, order page, API, CSV export, patient
search results). One row per patient per opening, written in the request that showed the data;
the table is append-only (only the retention purge deletes)."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from security.models import AccessLogEntry

What = AccessLogEntry.What


def record_access(*, request, patient_ids, what: str) -> int:
    """Record that request.user was shown these patients' data. Returns the rows written."""
    user = request.user if request.user.is_authenticated else None
    now = timezone.now()
    rows = [
        AccessLogEntry(
            at=now,
            user=user,
            username=user.get_username() if user else "",
            patient_id=patient_id,
            what=what,
            path=request.get_full_path()[:300],
            ip_address=request.META.get("REMOTE_ADDR") or None,
        )
        for patient_id in dict.fromkeys(patient_ids)
    ]
    AccessLogEntry.objects.bulk_create(rows)
    return len(rows)


def access_log(*, patient_id: int | None = None, username: str = "") -> QuerySet[AccessLogEntry]:
    entries = AccessLogEntry.objects.select_related("patient").order_by("-at", "-pk")
    if patient_id:
        entries = entries.filter(patient_id=patient_id)
    if username:
        entries = entries.filter(username__iexact=username)
    return entries


def purge_access_log(*, now=None) -> int:
    """Delete entries older than ACCESS_LOG_DAYS (the department's retention period)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.ACCESS_LOG_DAYS)
    with transaction.atomic():
        deleted, _ = AccessLogEntry.objects.filter(at__lt=cutoff).delete()
    return deleted
