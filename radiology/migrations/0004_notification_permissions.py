from django.db import migrations

from radiology.roles import sync_role_groups


def sync_groups(apps, schema_editor):
    # Schedulers and managers see messages (notifications.view_message) now that it exists.
    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("radiology", "0003_workflow_records"),
        ("notifications", "0001_outbox"),
    ]

    operations = [migrations.RunPython(sync_groups, migrations.RunPython.noop)]
