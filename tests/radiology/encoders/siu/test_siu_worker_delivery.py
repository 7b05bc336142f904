"""SIU messages through a real Celery worker, Redis and PostgreSQL (never eager mode): the
beat's dispatcher claims, the worker's send task delivers over MLLP, in order per appointment."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from notifications import services
from notifications.models import Message
from radiology.services.booking import book_appointment
from radiology.services.cancellation import cancel_appointment
from radiology.services.rescheduling import reschedule_appointment
from tests.factories import PatientFactory, StaffMemberFactory, a_weekday, small_department
from tests.notifications.worker_support import in_process_worker, unique_queue, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_delivers_booking_move_and_cancellation_in_order_despite_rejections(receiver, settings, galactogram):
    settings.NOTIFICATIONS_QUEUE = unique_queue("siu")
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 0  # retry at the next tick
    receiver.answers[:] = ["AR", "timeout"]
    small_department()  # one room, radiologist and technologist, Mon–Fri 08:00–17:00
    scheduler = StaffMemberFactory(scheduler=True).user
    start = timezone.make_aware(datetime.combine(a_weekday(7), time(15)))
    appointment = book_appointment(
        patient=PatientFactory(),
        procedure=galactogram,
        start=start,
        duration_minutes=45,
        actor=scheduler,
        side="right",
        indication="bloody",
    )
    reschedule_appointment(appointment_id=appointment.pk, start=start + timedelta(hours=1), actor=scheduler)
    cancel_appointment(appointment_id=appointment.pk, actor=scheduler, reason_code="patient_request")
    hl7 = Message.objects.filter(channel="hl7")

    with in_process_worker(queue=settings.NOTIFICATIONS_QUEUE):
        done = wait_until(
            lambda: hl7.filter(status=Message.Status.SENT).count() == 3,
            timeout=60,
            tick=services.dispatch_due,
            interval=0.3,
        )

    assert done
    assert [(r.event, r.answer) for r in receiver.received] == [
        ("S12", "AR"),
        ("S12", "timeout"),
        ("S12", "AA"),
        ("S13", "AA"),
        ("S15", "AA"),
    ]
    assert all(r.error == "" for r in receiver.received)
    assert len({r.control_id for r in receiver.received}) == 3
