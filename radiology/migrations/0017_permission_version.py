"""A change counter for who may do what: any change to a user's groups, a group's
permissions or a user's own permissions bumps the counter of date 0001-01-02
(radiology.permission_cache.PERMISSIONS_DAY), in the same transaction. The day list's poll
reads it with the day's fingerprint and keeps each user's permissions in memory until it
moves, so a poll costs one small query beyond session and user."""

from django.db import migrations

from radiology.db_triggers import run_for_vendor

TABLES = ("auth_user_groups", "auth_group_permissions", "auth_user_user_permissions")

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION radiology_permissions_bump() RETURNS trigger AS $$
BEGIN
  PERFORM radiology_bump_days('0001-01-02'::date);
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER auth_user_groups_bumps_permissions AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON auth_user_groups FOR EACH STATEMENT EXECUTE FUNCTION radiology_permissions_bump();
CREATE TRIGGER auth_group_permissions_bumps_permissions AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON auth_group_permissions FOR EACH STATEMENT EXECUTE FUNCTION radiology_permissions_bump();
CREATE TRIGGER auth_user_user_permissions_bumps_permissions AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON auth_user_user_permissions FOR EACH STATEMENT EXECUTE FUNCTION radiology_permissions_bump();
"""
POSTGRES_DOWN = "".join(f"DROP TRIGGER IF EXISTS {t}_bumps_permissions ON {t};\n" for t in TABLES) + (
    "DROP FUNCTION IF EXISTS radiology_permissions_bump();\n"
)
_BUMP = (
    "INSERT INTO radiology_dayversion (day, version) VALUES ('0001-01-02', 1) "
    "ON CONFLICT(day) DO UPDATE SET version = version + 1;"
)
SQLITE_UP = [
    f"CREATE TRIGGER {table}_bumps_permissions_{op.lower()} AFTER {op} ON {table} BEGIN {_BUMP} END;"
    for table in TABLES
    for op in ("INSERT", "UPDATE", "DELETE")
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {table}_bumps_permissions_{op.lower()};"
    for table in TABLES
    for op in ("INSERT", "UPDATE", "DELETE")
]


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
