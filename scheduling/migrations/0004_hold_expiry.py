"""Holds: a reservation may expire (earlier-slot offers, FHIR $hold). The exclusion
constraint of 0002 still guards every active row; an expired hold is released by the
dispatcher's sweep or by whoever reserves over it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0003_department_words_in_the_admin")]

    operations = [
        migrations.AddField(
            model_name="reservation",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="reservation",
            index=models.Index(
                condition=models.Q(("active", True), ("expires_at__isnull", False)),
                fields=["expires_at"],
                name="reservation_hold_expiry",
            ),
        ),
    ]
