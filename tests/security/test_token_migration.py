"""Tokens issued before hashing (DRF's authtoken, stored in clear) keep working after the upgrade."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from security.models import ApiToken
from tests.factories import StaffMemberFactory

BEFORE = [("security", "0001_access_log_and_api_tokens"), ("authtoken", "0004_alter_tokenproxy_options")]
AFTER = [("security", "0002_hash_old_tokens_and_manager_permissions")]


@pytest.mark.django_db(transaction=True)
def test_a_token_issued_before_hashing_still_authenticates_and_is_no_longer_stored_in_clear():
    user = StaffMemberFactory(scheduler=True).user
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    Token = executor.loader.project_state(BEFORE).apps.get_model("authtoken", "Token")
    Token.objects.create(user_id=user.pk, key="0123456789abcdef0123456789abcdef01234567")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    assert not Token.objects.exists()
    assert ApiToken.objects.get(user=user).expiry is not None
    response = APIClient().get(
        "/api/v1/appointments", headers={"Authorization": "Token 0123456789abcdef0123456789abcdef01234567"}
    )
    assert response.status_code == 200
