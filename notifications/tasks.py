"""Thin Celery tasks: beat ticks `dispatch`; `send_messages` delivers claimed rows by id;
`deliver_now` claims and delivers rows that became due in a transaction that just committed
(or the next row of an order key whose previous row just ended).

Never a countdown or ETA for a reminder: due times are rows. The only Celery retry is for
the database being briefly unavailable, with a short exponential backoff.
"""

import uuid

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from notifications import services


@shared_task(name="notifications.dispatch", ignore_result=True)
def dispatch() -> int:
    return services.dispatch_due()


@shared_task(
    name="notifications.send_messages",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
    time_limit=settings.NOTIFICATIONS_SEND_LEASE_SECONDS,
    ignore_result=True,
)
def send_messages(message_ids: list[int], token: str) -> dict[int, str]:
    return services.deliver_messages(message_ids=message_ids, token=token)


@shared_task(
    name="notifications.deliver_now",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
    time_limit=settings.NOTIFICATIONS_SEND_LEASE_SECONDS,
    ignore_result=True,
)
def deliver_now(self, message_ids: list[int]) -> dict[int, str]:
    # The task's id as the claim token: run again after its worker died, it knows its rows.
    token = uuid.uuid5(uuid.NAMESPACE_URL, f"deliver_now:{self.request.id}") if self.request.id else None
    return services.deliver_now(message_ids=message_ids, token=token)


@shared_task(name="notifications.noop", ignore_result=True)
def noop() -> None:
    """The benchmark's baseline: what one Celery task costs with nothing to do."""
