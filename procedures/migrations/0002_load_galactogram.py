from datetime import time

from django.db import migrations

from procedures.catalog import GALACTOGRAM, GALACTOGRAM_REMINDER_RULES


def load(apps, schema_editor):
    Procedure = apps.get_model("procedures", "Procedure")
    ReminderRule = apps.get_model("procedures", "ReminderRule")
    fields = dict(GALACTOGRAM)
    slug = fields.pop("slug")
    procedure, _ = Procedure.objects.update_or_create(slug=slug, defaults=fields)
    for rule in GALACTOGRAM_REMINDER_RULES:
        rule = dict(rule)
        if rule.get("local_time"):
            hours, minutes = rule["local_time"].split(":")
            rule["local_time"] = time(int(hours), int(minutes))
        ReminderRule.objects.update_or_create(
            procedure=procedure, kind=rule.pop("kind"), audience=rule.pop("audience"), defaults=rule
        )


def unload(apps, schema_editor):
    apps.get_model("procedures", "Procedure").objects.filter(slug=GALACTOGRAM["slug"]).delete()


class Migration(migrations.Migration):
    dependencies = [("procedures", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
