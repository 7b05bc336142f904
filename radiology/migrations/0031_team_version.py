"""A change counter for the department's team: any change to a room, a staff member, a
calendar (scheduling resource), a room's units or a user bumps the counter of date 0001-01-04
(radiology.team_cache.TEAM_DAY), in the same transaction, whatever path made it (admin, the
staff pages, seed commands, a bulk `update()`). An API request reads it with its token, so a
booking that names its room and people takes them from the process's copy for no query while
the counter stands still."""

from django.db import migrations

from radiology.db_triggers import CounterTriggers, run_for_vendor

TABLES = (
    "radiology_room",
    "radiology_staffmember",
    "scheduling_resource",
    "scheduling_resource_capabilities",
    "scheduling_capability",
    "auth_user",
)
_TRIGGERS = CounterTriggers(name="team", day="0001-01-04", tables=TABLES)
POSTGRES_UP, POSTGRES_DOWN = _TRIGGERS.POSTGRES_UP, _TRIGGERS.POSTGRES_DOWN
SQLITE_UP, SQLITE_DOWN = _TRIGGERS.SQLITE_UP, _TRIGGERS.SQLITE_DOWN


def create_triggers(apps, schema_editor):
    run_for_vendor(schema_editor, postgres=POSTGRES_UP, sqlite=SQLITE_UP)


def drop_triggers(apps, schema_editor):
    run_for_vendor(schema_editor, postgres=POSTGRES_DOWN, sqlite=SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [
        ("radiology", "0030_catalog_version"),
        ("scheduling", "0005_reservation_at_most_a_day"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
