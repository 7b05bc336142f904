import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("galactogram")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def close_old_database_connections(sender=None, **kwargs):
    """Between tasks, a connection is kept or closed as Django keeps or closes it between
    requests: closed when older than CONN_MAX_AGE (0: after every task, behind PgBouncer) or
    after an error it does not survive; checked before reuse (CONN_HEALTH_CHECKS). Celery's
    fixup then closes them only every CELERY_DB_REUSE_MAX tasks (settings). Not for a task run
    eagerly inside the caller's transaction (a test's): its connection is the caller's."""
    from django.db import close_old_connections, connection

    if getattr(getattr(sender, "request", None), "is_eager", False) or connection.in_atomic_block:
        return
    close_old_connections()
