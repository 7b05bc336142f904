"""More change counters: what a day list or a worklist item shows beyond the appointment,
its patient and her answers.

- An order's facts (side, indication, accession number, referring physician) bump the days
  of its appointments.
- Reference data shown on every day (a room's name or AE title, a person's name, the
  catalog, time off and closures) bumps one counter on the reference date 0001-01-01,
  which every fingerprint includes (radiology/services/day_version.py). These change a few
  times a month; a change costs every cache one rebuild.

Users' last_login changes on every sign-in and is shown nowhere, so only the columns a page
shows bump the counter.
"""

from django.db import migrations

from radiology.db_triggers import run_for_vendor

REFERENCE_TABLES = ("radiology_room", "radiology_staffmember", "procedures_procedure", "scheduling_unavailability")

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION radiology_order_bumps_days() RETURNS trigger AS $$
BEGIN
  PERFORM radiology_bump_days(VARIADIC ARRAY(
    SELECT DISTINCT (start AT TIME ZONE 'UTC')::date FROM radiology_appointment WHERE order_id = NEW.id));
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER radiology_order_bumps_days AFTER UPDATE ON radiology_order
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION radiology_order_bumps_days();
CREATE OR REPLACE FUNCTION radiology_reference_bumps() RETURNS trigger AS $$
BEGIN
  PERFORM radiology_bump_days('0001-01-01'::date);
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER radiology_room_bumps_reference AFTER INSERT OR UPDATE OR DELETE ON radiology_room
  FOR EACH STATEMENT EXECUTE FUNCTION radiology_reference_bumps();
CREATE TRIGGER radiology_staffmember_bumps_reference AFTER INSERT OR UPDATE OR DELETE ON radiology_staffmember
  FOR EACH STATEMENT EXECUTE FUNCTION radiology_reference_bumps();
CREATE TRIGGER procedures_procedure_bumps_reference AFTER INSERT OR UPDATE OR DELETE ON procedures_procedure
  FOR EACH STATEMENT EXECUTE FUNCTION radiology_reference_bumps();
CREATE TRIGGER scheduling_unavailability_bumps_reference AFTER INSERT OR UPDATE OR DELETE ON scheduling_unavailability
  FOR EACH STATEMENT EXECUTE FUNCTION radiology_reference_bumps();
CREATE TRIGGER auth_user_bumps_reference AFTER UPDATE OF first_name, last_name, username, is_active ON auth_user
  FOR EACH ROW WHEN (OLD.first_name IS DISTINCT FROM NEW.first_name OR OLD.last_name IS DISTINCT FROM NEW.last_name
    OR OLD.username IS DISTINCT FROM NEW.username OR OLD.is_active IS DISTINCT FROM NEW.is_active)
  EXECUTE FUNCTION radiology_reference_bumps();
"""
POSTGRES_DOWN = (
    "DROP TRIGGER IF EXISTS auth_user_bumps_reference ON auth_user;\n"
    + "".join(f"DROP TRIGGER IF EXISTS {table}_bumps_reference ON {table};\n" for table in REFERENCE_TABLES)
    + """
DROP TRIGGER IF EXISTS radiology_order_bumps_days ON radiology_order;
DROP FUNCTION IF EXISTS radiology_reference_bumps();
DROP FUNCTION IF EXISTS radiology_order_bumps_days();
"""
)

_BUMP_REFERENCE = (
    "INSERT INTO radiology_dayversion (day, version) VALUES ('0001-01-01', 1) "
    "ON CONFLICT(day) DO UPDATE SET version = version + 1;"
)
SQLITE_UP = [
    """
    CREATE TRIGGER radiology_order_bumps_days AFTER UPDATE ON radiology_order BEGIN
      INSERT INTO radiology_dayversion (day, version) SELECT DISTINCT date(start), 1 FROM radiology_appointment WHERE order_id = NEW.id ON CONFLICT(day) DO UPDATE SET version = version + 1;
    END;
    """,
    *(
        f"CREATE TRIGGER {table}_bumps_reference_{op.lower()} AFTER {op} ON {table} BEGIN {_BUMP_REFERENCE} END;"
        for table in REFERENCE_TABLES
        for op in ("INSERT", "UPDATE", "DELETE")
    ),
    "CREATE TRIGGER auth_user_bumps_reference AFTER UPDATE OF first_name, last_name, username, is_active ON auth_user "
    "WHEN OLD.first_name IS NOT NEW.first_name OR OLD.last_name IS NOT NEW.last_name "
    f"OR OLD.username IS NOT NEW.username OR OLD.is_active IS NOT NEW.is_active BEGIN {_BUMP_REFERENCE} END;",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS radiology_order_bumps_days;",
    "DROP TRIGGER IF EXISTS auth_user_bumps_reference;",
    *(
        f"DROP TRIGGER IF EXISTS {table}_bumps_reference_{op.lower()};"
        for table in REFERENCE_TABLES
        for op in ("INSERT", "UPDATE", "DELETE")
    ),
]


def create_triggers(apps, schema_editor):
    run_for_vendor(schema_editor, postgres=POSTGRES_UP, sqlite=SQLITE_UP)


def drop_triggers(apps, schema_editor):
    run_for_vendor(schema_editor, postgres=POSTGRES_DOWN, sqlite=SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [
        ("radiology", "0015_follow_up_order"),
        ("procedures", "0002_load_galactogram"),
        ("scheduling", "0003_department_words_in_the_admin"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
