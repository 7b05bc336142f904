"""Before migrating: a PostgreSQL DATABASE_URL whose database does not exist yet gets it
created (the server and the user must exist); an unreachable server is one sentence, not a
traceback. Nothing to do for SQLite or without DATABASE_URL."""

import os
import sys

url = os.environ.get("DATABASE_URL", "")
if not url.startswith(("postgres://", "postgresql://")):
    sys.exit(0)

import psycopg  # noqa: E402 - only needed for PostgreSQL

server, _, name = url.replace("postgres://", "postgresql://", 1).partition("?")[0].rpartition("/")
try:
    with psycopg.connect(f"{server}/postgres", connect_timeout=5, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
            print(f"Created the PostgreSQL database {name!r}.")
except psycopg.Error as error:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    print(f"Cannot reach or create the database of DATABASE_URL ({name!r}): {reason}", file=sys.stderr)
    sys.exit(1)
