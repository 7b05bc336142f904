"""A change counter for who may do what: any change to a user's groups, a group's
permissions or a user's own permissions bumps the counter of date 0001-01-02
(radiology.permission_cache.PERMISSIONS_DAY), in the same transaction. The day list's poll
reads it with the day's fingerprint and keeps each user's permissions in memory until it
moves, so a poll costs one small query beyond session and user."""

from django.db import migrations

from radiology.db_triggers import CounterTriggers, run_for_vendor

TABLES = ("auth_user_groups", "auth_group_permissions", "auth_user_user_permissions")
_TRIGGERS = CounterTriggers(name="permissions", day="0001-01-02", tables=TABLES)
POSTGRES_UP, POSTGRES_DOWN = _TRIGGERS.POSTGRES_UP, _TRIGGERS.POSTGRES_DOWN
SQLITE_UP, SQLITE_DOWN = _TRIGGERS.SQLITE_UP, _TRIGGERS.SQLITE_DOWN


def create_triggers(apps, schema_editor):
    run_for_vendor(schema_editor, postgres=POSTGRES_UP, sqlite=SQLITE_UP)


def drop_triggers(apps, schema_editor):
    run_for_vendor(schema_editor, postgres=POSTGRES_DOWN, sqlite=SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [
        ("radiology", "0016_reference_and_order_versions"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
