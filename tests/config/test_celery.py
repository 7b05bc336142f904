"""The worker's database connections between tasks: kept as Django keeps them between requests."""

import time

import pytest
from django.db import connection

from config.celery import app, close_old_database_connections
from notifications.tasks import noop

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_task_leaves_its_connection_open_for_the_next_task():
    connection.ensure_connection()
    opened = connection.connection
    connection.close_at = time.monotonic() + 60  # as DJANGO_CONN_MAX_AGE=60 sets it

    close_old_database_connections(sender=noop)

    assert connection.connection is opened


def test_a_connection_older_than_its_max_age_is_closed_after_a_task():
    connection.ensure_connection()
    connection.close_at = time.monotonic() - 1  # DJANGO_CONN_MAX_AGE=0 (PgBouncer) or simply old

    close_old_database_connections(sender=noop)

    assert connection.connection is None


def test_celerys_own_fixup_closes_them_only_every_so_many_tasks(settings):
    assert app.conf.get("CELERY_DB_REUSE_MAX") == settings.CELERY_DB_REUSE_MAX > 1
