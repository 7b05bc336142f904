"""notifications.broker reads the claim tokens of send tasks waiting in real Redis."""

import uuid

import pytest
import redis

from notifications import broker
from notifications.tasks import send_messages
from tests.notifications.worker_support import broker_at

pytestmark = pytest.mark.celery_worker


def test_the_tokens_of_queued_send_tasks_are_read_and_a_lost_queue_shows_none(settings):
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    settings.NOTIFICATIONS_QUEUE = f"test-broker-{uuid.uuid4().hex[:8]}"
    token = uuid.uuid4()
    with broker_at(settings.REDIS_URL):
        send_messages.apply_async(args=[[1, 2], str(token)], queue=settings.NOTIFICATIONS_QUEUE)
        try:
            assert str(token) in broker.tokens_in_broker()
        finally:
            redis.Redis.from_url(settings.REDIS_URL).delete(settings.NOTIFICATIONS_QUEUE)
        assert str(token) not in broker.tokens_in_broker()


def test_another_transport_cannot_tell(settings):
    settings.CELERY_BROKER_URL = "filesystem://"
    assert broker.tokens_in_broker() is None
