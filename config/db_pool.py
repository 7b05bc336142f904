"""A pool of database connections for a process whose threads come and go.

Django keeps a connection per thread. The worklist service runs each association in a
thread of its own (pynetdicom), so every C-FIND opened a new PostgreSQL connection: a
backend forked, authenticated, and its catalog caches loaded again for the worklist's
six-table join. That was most of a repeated query's time in the SCP (7.9 -> 2.2 ms) and
a third of a cold one's. Django's psycopg pool lends each thread a connection kept open
and takes it back when the thread closes it (close_old_connections, CONN_MAX_AGE 0).

Web and Celery processes keep their threads: persistent connections suit them
(DJANGO_CONN_MAX_AGE).
"""

from django.db import DEFAULT_DB_ALIAS, connections


def pool_connections(*, max_size: int, alias: str = DEFAULT_DB_ALIAS) -> bool:
    """From now on, this process's connections to `alias` come from a pool of at most
    `max_size`; False (nothing changed) when the database is not PostgreSQL or max_size is 0."""
    if max_size <= 0 or connections[alias].vendor != "postgresql":
        return False
    from psycopg_pool import ConnectionPool

    connections[alias].close()
    # The dict every thread's connection is made from (each thread's wrapper shares it).
    database = connections.settings[alias]
    # A pooled connection goes back to the pool when Django closes it: it must close it
    # after each unit of work, which CONN_MAX_AGE 0 says (Django refuses a pool otherwise).
    database["CONN_MAX_AGE"] = 0
    database["OPTIONS"] = {
        **database.get("OPTIONS", {}),
        # check: what CONN_HEALTH_CHECKS does for persistent connections, done by the pool.
        "pool": {"min_size": 1, "max_size": max_size, "timeout": 10, "check": ConnectionPool.check_connection},
    }
    return True
