"""Beat ticks this; the digests themselves are rows in the outbox."""

from celery import shared_task
from django.utils import timezone

from radiology.services import staff_digests


@shared_task(name="radiology.plan_staff_digests", ignore_result=True)
def plan_staff_digests() -> int:
    return staff_digests.plan_staff_digests(now=timezone.now())
