"""A process of short-lived threads (the worklist service) borrows pooled connections: a
new thread's query reaches a PostgreSQL backend already open, not a new one."""

import copy
import threading

import pytest
from django.db import close_old_connections, connection, connections

from config.db_pool import pool_connections


def backend_of_a_new_thread() -> int:
    """What an association thread does: its unit of work between two close_old_connections."""
    found = []

    def work():
        close_old_connections()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                found.append(cursor.fetchone()[0])
        finally:
            close_old_connections()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    return found[0]


@pytest.fixture
def restored_database_settings():
    saved = copy.deepcopy(connections.settings["default"])
    yield
    connection.close()
    if connection.vendor == "postgresql":
        connection.close_pool()
    connections.settings["default"].clear()
    connections.settings["default"].update(saved)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_threads_one_after_another_reuse_the_pools_backends(restored_database_settings):
    unpooled = {backend_of_a_new_thread() for _ in range(3)}

    assert pool_connections(max_size=2)
    pooled = [backend_of_a_new_thread() for _ in range(6)]

    assert len(unpooled) == 3  # a backend forked for every thread
    assert len(set(pooled)) <= 2  # the pool's, lent in turn


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_threads_at_once_never_hold_more_than_the_pool(restored_database_settings):
    pool_connections(max_size=2)
    started, release, seen = threading.Barrier(4), threading.Event(), []

    def work():
        close_old_connections()
        try:
            started.wait()
            with connection.cursor() as cursor:  # two at a time; the others wait for theirs
                cursor.execute("SELECT pg_backend_pid()")
                seen.append(cursor.fetchone()[0])
            release.wait(timeout=0.2)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(seen) == 4
    assert len(set(seen)) <= 2


def test_nothing_changes_when_pooling_is_off():
    assert pool_connections(max_size=0) is False
