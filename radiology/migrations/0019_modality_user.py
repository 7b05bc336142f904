"""The account that modality-reported changes (DICOM MPPS) are logged as, made once here
rather than by the DICOM door while it answers an N-CREATE: in the technologist group (it
may start, complete and abort), with no password to log in with."""

from contextlib import suppress

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import migrations
from django.db.models import ProtectedError


def create_modality_user(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Group = apps.get_model("auth", "Group")
    user, created = User.objects.get_or_create(
        username=settings.WORKLIST_MODALITY_USERNAME,
        defaults={"first_name": "Modality", "last_name": "(MPPS)", "password": make_password(None)},
    )
    # An installation where the first N-CREATE already made it keeps that account as it is.
    if created:
        user.groups.add(Group.objects.get(name="technologist"))


def remove_modality_user(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    # Where the log names it as the actor of appointments it changed, that history stays.
    with suppress(ProtectedError):
        User.objects.filter(username=settings.WORKLIST_MODALITY_USERNAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("radiology", "0018_mpps_step_resolution"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(create_modality_user, remove_modality_user)]
