"""A performed exam has its time: the constraint comes in a migration of its own, after 0023
has filled the time in for exams completed before the step existed. (In one transaction, the
filling update leaves the day-version triggers' deferred events pending, and PostgreSQL
refuses to ALTER the table they fire on.)

On SQLite a new constraint rebuilds the table (create, copy, drop, rename), and the rename
fails while a trigger elsewhere names the old table: the change counters' triggers that
mention radiology_appointment are set aside for the rebuild and put back as they were."""

from django.db import migrations, models

_SET_ASIDE: list[str] = []


def set_triggers_aside(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%radiology_appointment%'"
        )
        triggers = cursor.fetchall()
    _SET_ASIDE[:] = [sql for _, sql in triggers]
    for name, _ in triggers:
        schema_editor.execute(f'DROP TRIGGER IF EXISTS "{name}"')


def put_triggers_back(apps, schema_editor):
    while _SET_ASIDE:
        schema_editor.execute(_SET_ASIDE.pop(0))


class Migration(migrations.Migration):
    dependencies = [
        ("radiology", "0023_performed_and_reports"),
    ]

    operations = [
        migrations.RunPython(set_triggers_aside, put_triggers_back),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status__in", ["performed", "completed", "follow_up"]), _negated=True),
                    ("performed_at__isnull", False),
                    _connector="OR",
                ),
                name="appointment_performed_has_time",
            ),
        ),
        migrations.RunPython(put_triggers_back, set_triggers_aside),
    ]
