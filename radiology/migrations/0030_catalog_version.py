"""A change counter for the procedure catalog: any change to a procedure or a reminder rule
bumps the counter of date 0001-01-03 (radiology.catalog_cache.CATALOG_DAY), in the same
transaction, whatever path made it (admin, seed commands, a bulk `update()`). An API request
reads it with its token, so a booking takes its procedure and reminder rules from the
process's copy for no query while the counter stands still."""

from django.db import migrations

from radiology.db_triggers import run_for_vendor

TABLES = ("procedures_procedure", "procedures_reminderrule")

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION radiology_catalog_bump() RETURNS trigger AS $$
BEGIN
  PERFORM radiology_bump_days('0001-01-03'::date);
  RETURN NULL;
END $$ LANGUAGE plpgsql;
""" + "".join(
    f"CREATE TRIGGER {table}_bumps_catalog AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE\n"
    f"  ON {table} FOR EACH STATEMENT EXECUTE FUNCTION radiology_catalog_bump();\n"
    for table in TABLES
)
POSTGRES_DOWN = "".join(f"DROP TRIGGER IF EXISTS {t}_bumps_catalog ON {t};\n" for t in TABLES) + (
    "DROP FUNCTION IF EXISTS radiology_catalog_bump();\n"
)
_BUMP = (
    "INSERT INTO radiology_dayversion (day, version) VALUES ('0001-01-03', 1) "
    "ON CONFLICT(day) DO UPDATE SET version = version + 1;"
)
SQLITE_UP = [
    f"CREATE TRIGGER {table}_bumps_catalog_{op.lower()} AFTER {op} ON {table} BEGIN {_BUMP} END;"
    for table in TABLES
    for op in ("INSERT", "UPDATE", "DELETE")
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {table}_bumps_catalog_{op.lower()};"
    for table in TABLES
    for op in ("INSERT", "UPDATE", "DELETE")
]


def create_triggers(apps, schema_editor):
    run_for_vendor(schema_editor, postgres=POSTGRES_UP, sqlite=SQLITE_UP)


def drop_triggers(apps, schema_editor):
    run_for_vendor(schema_editor, postgres=POSTGRES_DOWN, sqlite=SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [
        ("radiology", "0029_waiting_list_offers"),
        ("procedures", "0002_load_galactogram"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
