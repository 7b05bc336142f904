#!/usr/bin/env bash
# Nightly backup: a compressed custom-format dump (pg_dump -Fc), kept KEEP_DAYS days.
#   deploy/backup.sh                      # reads DATABASE_URL, writes to BACKUP_DIR
#   BACKUP_DIR=/srv/backups KEEP_DAYS=35 deploy/backup.sh
# Restore (see docs/deploy.md, "Restore drill"):
#   createdb galactogram_restore && pg_restore --no-owner --exit-on-error -d galactogram_restore FILE
set -euo pipefail
: "${DATABASE_URL:?DATABASE_URL must name the PostgreSQL database}"
BACKUP_DIR="${BACKUP_DIR:-/var/backups/galactogram}"
KEEP_DAYS="${KEEP_DAYS:-35}"
mkdir -p "$BACKUP_DIR"
umask 077  # the dump holds patient data
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="$BACKUP_DIR/galactogram-$stamp.dump"
# psql-style URL: postgres:// is what django-environ reads; libpq wants postgresql://.
pg_dump --format=custom --no-owner --file="$target.partial" "${DATABASE_URL/#postgres:\/\//postgresql://}"
mv "$target.partial" "$target"
# A dump that pg_restore cannot list is no backup.
pg_restore --list "$target" >/dev/null
find "$BACKUP_DIR" -name 'galactogram-*.dump' -mtime +"$KEEP_DAYS" -delete
echo "$target"
