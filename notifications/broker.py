"""What the broker still holds: the claim tokens of send tasks waiting in the queue or taken by
a worker and not yet acknowledged (Redis transport). The dispatcher uses it to see at once that
a claimed row's task is gone (Redis restarted empty, a message dropped) instead of waiting for
the claim lease. None means "cannot tell" (another transport, Redis unreachable, a queue too
long to read cheaply): the lease alone decides then, as before."""

import base64
import json
import logging

from django.conf import settings

logger = logging.getLogger(__name__)

# Reading every waiting message costs O(queue); past this the lease is cheaper and enough.
MAX_MESSAGES_READ = 5000
SEND_TASK = "notifications.send_messages"


def tokens_in_broker() -> set[str] | None:
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        queue = settings.NOTIFICATIONS_QUEUE
        if client.llen(queue) + client.hlen("unacked") > MAX_MESSAGES_READ:
            return None
        payloads = client.lrange(queue, 0, -1) + client.hvals("unacked")
    except redis.RedisError:
        return None
    tokens = set()
    for payload in payloads:
        token = _send_token(payload)
        if token:
            tokens.add(token)
    return tokens


def _send_token(payload: bytes) -> str | None:
    """The token argument of a send task in kombu's Redis message (unacked entries are a
    [message, exchange, routing key] list); None for any other task or an unreadable one."""
    try:
        message = json.loads(payload)
        if isinstance(message, list):
            message = message[0]
        if message.get("headers", {}).get("task") != SEND_TASK:
            return None
        body = json.loads(base64.b64decode(message["body"]))
        return str(body[0][1])
    except (ValueError, KeyError, IndexError, TypeError):
        logger.debug("An unreadable broker message was ignored")
        return None
