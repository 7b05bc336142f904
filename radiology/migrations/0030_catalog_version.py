"""A change counter for the procedure catalog: any change to a procedure or a reminder rule
bumps the counter of date 0001-01-03 (radiology.catalog_cache.CATALOG_DAY), in the same
transaction, whatever path made it (admin, seed commands, a bulk `update()`). An API request
reads it with its token, so a booking takes its procedure and reminder rules from the
process's copy for no query while the counter stands still."""

from django.db import migrations

from radiology.db_triggers import CounterTriggers, run_for_vendor

TABLES = ("procedures_procedure", "procedures_reminderrule")
_TRIGGERS = CounterTriggers(name="catalog", day="0001-01-03", tables=TABLES)
POSTGRES_UP, POSTGRES_DOWN = _TRIGGERS.POSTGRES_UP, _TRIGGERS.POSTGRES_DOWN
SQLITE_UP, SQLITE_DOWN = _TRIGGERS.SQLITE_UP, _TRIGGERS.SQLITE_DOWN


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
