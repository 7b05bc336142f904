"""Every appointment is booked from an order: give each existing appointment one, with a
generated accession number and Study Instance UID, as booking does from now on."""

import uuid
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations

LIVE = {"booked", "prep_sent", "reminded", "checked_in", "in_procedure"}
DONE = {"completed", "follow_up"}


def _order_status(appointment) -> tuple[str, str]:
    if appointment.status in LIVE:
        return "scheduled", ""
    if appointment.status in DONE:
        return "completed", ""
    # Cancelled, no-show or incomplete before orders existed: nothing left to schedule.
    reason = appointment.cancel_reason or appointment.abort_reason or appointment.get_status_display()
    return "cancelled", f"Appointment ended before orders existed: {reason}"[:300]


def create_orders(apps, schema_editor):
    Appointment = apps.get_model("radiology", "Appointment")
    Order = apps.get_model("radiology", "Order")
    AccessionCounter = apps.get_model("radiology", "AccessionCounter")
    zone = ZoneInfo(settings.CLINIC_TIME_ZONE)
    counters: dict = {c.day: c.last for c in AccessionCounter.objects.all()}
    for appointment in Appointment.objects.filter(order__isnull=True).order_by("created_at", "pk"):
        day = appointment.created_at.astimezone(zone).date()
        counters[day] = counters.get(day, 0) + 1
        status, cancel_reason = _order_status(appointment)
        order = Order.objects.create(
            patient_id=appointment.patient_id,
            procedure_id=appointment.procedure_id,
            accession_number=f"GA{day:%Y%m%d}{counters[day]:05d}",
            study_instance_uid=f"2.25.{uuid.uuid4().int}",
            status=status,
            cancel_reason=cancel_reason,
            received_at=appointment.created_at,
            created_by_id=appointment.booked_by_id,
        )
        Appointment.objects.filter(pk=appointment.pk).update(order=order)
    for day, last in counters.items():
        AccessionCounter.objects.update_or_create(day=day, defaults={"last": last})


class Migration(migrations.Migration):
    dependencies = [("radiology", "0005_orders")]

    operations = [migrations.RunPython(create_orders, migrations.RunPython.noop)]
