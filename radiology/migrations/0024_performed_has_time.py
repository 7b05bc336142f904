"""A performed exam has its time: the constraint comes in a migration of its own, after 0023
has filled the time in for exams completed before the step existed. (In one transaction, the
filling update leaves the day-version triggers' deferred events pending, and PostgreSQL
refuses to ALTER the table they fire on.)"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("radiology", "0023_performed_and_reports"),
    ]

    operations = [
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
    ]
