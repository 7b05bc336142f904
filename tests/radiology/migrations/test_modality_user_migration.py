"""Migration 0019 makes the account modality reports are logged as; the DICOM door only
looks it up."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from radiology.services.performed_steps import modality_actor

BEFORE = [("radiology", "0018_mpps_step_resolution")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db
def test_after_migrate_the_modality_user_exists_as_a_technologist_who_cannot_log_in():
    user = get_user_model().objects.get(username=settings.WORKLIST_MODALITY_USERNAME)
    assert (user.first_name, user.last_name) == ("Modality", "(MPPS)")
    assert list(user.groups.values_list("name", flat=True)) == ["technologist"]
    assert not user.has_usable_password()
    assert user.has_perm("radiology.perform_procedure")
    assert modality_actor() == user


@pytest.mark.django_db(transaction=True)
def test_the_migration_reverses_by_removing_the_user_and_makes_it_again_forwards():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    users = get_user_model().objects.filter(username=settings.WORKLIST_MODALITY_USERNAME)
    _migrate(BEFORE)
    assert not users.exists()
    _migrate(latest)
    assert users.get().groups.filter(name="technologist").exists()


@pytest.mark.django_db
def test_without_the_user_a_modality_report_names_the_setting_and_creates_no_account():
    get_user_model().objects.filter(username=settings.WORKLIST_MODALITY_USERNAME).delete()
    with pytest.raises(ImproperlyConfigured, match="WORKLIST_MODALITY_USERNAME"):
        modality_actor()
    assert not get_user_model().objects.filter(username=settings.WORKLIST_MODALITY_USERNAME).exists()
