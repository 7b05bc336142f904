"""Fail loudly when DATABASE_URL or REDIS_URL point at something unreachable."""

import os
import sys

import psycopg
import redis

problems = []
database_url = os.environ.get("DATABASE_URL", "")
redis_url = os.environ.get("REDIS_URL", "")
if not database_url.startswith("postgres"):
    problems.append(f"DATABASE_URL is not a PostgreSQL URL: {database_url!r}")
else:
    url = database_url.replace("postgres://", "postgresql://", 1)
    server, _, name = url.rpartition("/")
    try:
        with psycopg.connect(f"{server}/postgres", connect_timeout=5, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        problems.append(f"PostgreSQL unreachable at DATABASE_URL: {error}")
if not redis_url:
    problems.append("REDIS_URL is not set")
else:
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
    except redis.RedisError as error:
        problems.append(f"Redis unreachable at REDIS_URL: {error}")

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print("PostgreSQL and Redis reachable.")
