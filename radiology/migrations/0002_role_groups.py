from django.db import migrations

from radiology.roles import sync_role_groups


def create_groups(apps, schema_editor):
    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("radiology", "0001_initial"),
        ("procedures", "0002_load_galactogram"),
        ("scheduling", "0002_reservation_no_overlap"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
