"""The day list's change counters with the triggers that bump them, the schedulers' call log,
and accent-insensitive patient search (PostgreSQL's unaccent; SQLite gets a Python function
registered on each connection, see radiology/search.py)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from radiology.db_triggers import run_for_vendor

# Counters are keyed by UTC date (a local day spans at most two), so the triggers do not
# need to know the clinic's zone, which is a setting and may change.
POSTGRES_UP = """
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE OR REPLACE FUNCTION radiology_bump_days(VARIADIC days date[]) RETURNS void AS $$
  -- Sorted, so two transactions touching the same two days lock them in the same order.
  INSERT INTO radiology_dayversion (day, version)
  SELECT d, 1 FROM unnest(days) AS d WHERE d IS NOT NULL GROUP BY d ORDER BY d
  ON CONFLICT (day) DO UPDATE SET version = radiology_dayversion.version + 1;
$$ LANGUAGE sql;
CREATE OR REPLACE FUNCTION radiology_appointment_bumps_day() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM radiology_bump_days((NEW.start AT TIME ZONE 'UTC')::date);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM radiology_bump_days((OLD.start AT TIME ZONE 'UTC')::date);
  ELSE
    PERFORM radiology_bump_days((OLD.start AT TIME ZONE 'UTC')::date, (NEW.start AT TIME ZONE 'UTC')::date);
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER radiology_appointment_bumps_day AFTER INSERT OR UPDATE OR DELETE ON radiology_appointment
  FOR EACH ROW EXECUTE FUNCTION radiology_appointment_bumps_day();
CREATE OR REPLACE FUNCTION radiology_readiness_bumps_day() RETURNS trigger AS $$
BEGIN
  PERFORM radiology_bump_days(VARIADIC ARRAY(
    SELECT (start AT TIME ZONE 'UTC')::date FROM radiology_appointment WHERE id = NEW.appointment_id));
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER radiology_readiness_bumps_day AFTER INSERT OR UPDATE ON radiology_readinessresponse
  FOR EACH ROW EXECUTE FUNCTION radiology_readiness_bumps_day();
CREATE OR REPLACE FUNCTION radiology_patient_bumps_days() RETURNS trigger AS $$
BEGIN
  PERFORM radiology_bump_days(VARIADIC ARRAY(
    SELECT DISTINCT (start AT TIME ZONE 'UTC')::date FROM radiology_appointment WHERE patient_id = NEW.id));
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER radiology_patient_bumps_days AFTER UPDATE ON radiology_patient
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION radiology_patient_bumps_days();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS radiology_patient_bumps_days ON radiology_patient;
DROP TRIGGER IF EXISTS radiology_readiness_bumps_day ON radiology_readinessresponse;
DROP TRIGGER IF EXISTS radiology_appointment_bumps_day ON radiology_appointment;
DROP FUNCTION IF EXISTS radiology_patient_bumps_days();
DROP FUNCTION IF EXISTS radiology_readiness_bumps_day();
DROP FUNCTION IF EXISTS radiology_appointment_bumps_day();
DROP FUNCTION IF EXISTS radiology_bump_days(VARIADIC date[]);
"""
SQLITE_UP = [
    """
    CREATE TRIGGER radiology_appointment_bumps_day_ins AFTER INSERT ON radiology_appointment BEGIN
      INSERT INTO radiology_dayversion (day, version) VALUES (date(NEW.start), 1) ON CONFLICT(day) DO UPDATE SET version = version + 1;
    END;
    """,
    """
    CREATE TRIGGER radiology_appointment_bumps_day_upd AFTER UPDATE ON radiology_appointment BEGIN
      INSERT INTO radiology_dayversion (day, version) VALUES (date(OLD.start), 1) ON CONFLICT(day) DO UPDATE SET version = version + 1;
      INSERT INTO radiology_dayversion (day, version) SELECT date(NEW.start), 1 WHERE date(NEW.start) <> date(OLD.start) ON CONFLICT(day) DO UPDATE SET version = version + 1;
    END;
    """,
    """
    CREATE TRIGGER radiology_appointment_bumps_day_del AFTER DELETE ON radiology_appointment BEGIN
      INSERT INTO radiology_dayversion (day, version) VALUES (date(OLD.start), 1) ON CONFLICT(day) DO UPDATE SET version = version + 1;
    END;
    """,
    """
    CREATE TRIGGER radiology_readiness_bumps_day AFTER INSERT ON radiology_readinessresponse BEGIN
      INSERT INTO radiology_dayversion (day, version) SELECT date(start), 1 FROM radiology_appointment WHERE id = NEW.appointment_id ON CONFLICT(day) DO UPDATE SET version = version + 1;
    END;
    """,
    """
    CREATE TRIGGER radiology_patient_bumps_days AFTER UPDATE ON radiology_patient BEGIN
      INSERT INTO radiology_dayversion (day, version) SELECT DISTINCT date(start), 1 FROM radiology_appointment WHERE patient_id = NEW.id ON CONFLICT(day) DO UPDATE SET version = version + 1;
    END;
    """,
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {name};"
    for name in (
        "radiology_appointment_bumps_day_ins",
        "radiology_appointment_bumps_day_upd",
        "radiology_appointment_bumps_day_del",
        "radiology_readiness_bumps_day",
        "radiology_patient_bumps_days",
    )
]


def create_triggers(apps, schema_editor):
    run_for_vendor(schema_editor, postgres=POSTGRES_UP, sqlite=SQLITE_UP)


def drop_triggers(apps, schema_editor):
    run_for_vendor(schema_editor, postgres=POSTGRES_DOWN, sqlite=SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [
        ("radiology", "0013_outcome_findings_impression"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DayVersion",
            fields=[
                ("day", models.DateField(primary_key=True, serialize=False)),
                ("version", models.BigIntegerField(default=1)),
            ],
            options={
                "verbose_name": "day-list change counter",
            },
        ),
        migrations.CreateModel(
            name="TodoNote",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("outcome", models.CharField(choices=[("called", "Called"), ("resolved", "Resolved")], max_length=10)),
                ("note", models.CharField(blank=True, max_length=500)),
                ("at", models.DateTimeField()),
                (
                    "appointment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="todo_notes",
                        to="radiology.appointment",
                    ),
                ),
                (
                    "by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["-at", "-pk"],
                "indexes": [models.Index(fields=["appointment", "at"], name="todonote_appointment_at")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("outcome", "resolved"), _negated=True),
                            models.Q(("note", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="todonote_resolved_has_note",
                    )
                ],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
