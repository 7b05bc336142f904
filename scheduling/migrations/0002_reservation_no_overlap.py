"""On PostgreSQL, make overlapping active reservations of one resource impossible.

Kept out of Meta.constraints so the same models migrate on SQLite (the demo default),
where the reserving service checks inside its transaction instead.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE scheduling_reservation
    ADD CONSTRAINT reservation_no_overlap
    EXCLUDE USING gist (resource_id WITH =, tstzrange(start, "end", '[)') WITH &&)
    WHERE (active);
"""
DROP = "ALTER TABLE scheduling_reservation DROP CONSTRAINT IF EXISTS reservation_no_overlap;"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(add_constraint, drop_constraint, elidable=False)]
