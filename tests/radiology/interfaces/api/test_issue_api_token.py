"""API tokens: issued once by a command, stored hashed, named, several per user, expiring, revocable."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone
from knox.crypto import hash_token
from rest_framework.test import APIClient

from security.models import ApiToken
from tests.factories import StaffMemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def issue(*args) -> str:
    out = StringIO()
    call_command("issue_api_token", *args, stdout=out)
    return out.getvalue().strip()


def revoke(*args) -> str:
    out = StringIO()
    call_command("revoke_api_token", *args, stdout=out)
    return out.getvalue().strip()


def get(token):
    return APIClient().get("/api/v1/appointments", headers={"Authorization": f"Token {token}"})


def test_the_command_prints_a_token_that_authenticates_as_the_user():
    user = StaffMemberFactory(scheduler=True).user

    token = issue(user.username)

    assert get(token).status_code == 200
    assert ApiToken.objects.get(user=user).user == user


def test_only_a_digest_of_the_token_is_stored():
    user = UserFactory()
    token = issue(user.username)
    stored = ApiToken.objects.get(user=user)
    assert stored.digest == hash_token(token)
    assert token not in {stored.digest, stored.token_key}


def test_a_user_can_hold_several_named_tokens():
    user = StaffMemberFactory(scheduler=True).user
    ris = issue(user.username, "--name", "ris")
    hl7 = issue(user.username, "--name", "hl7")
    assert ris != hl7
    assert set(ApiToken.objects.filter(user=user).values_list("name", flat=True)) == {"ris", "hl7"}
    assert get(ris).status_code == 200 and get(hl7).status_code == 200


def test_a_token_expires_after_api_token_days_by_default(settings):
    user = StaffMemberFactory(scheduler=True).user
    token = issue(user.username)
    expiry = ApiToken.objects.get(user=user).expiry
    assert abs(expiry - (timezone.now() + timedelta(days=settings.API_TOKEN_DAYS))) < timedelta(minutes=1)
    with time_machine.travel(expiry + timedelta(minutes=1), tick=False):
        assert get(token).status_code == 401


def test_days_sets_a_shorter_expiry():
    user = StaffMemberFactory(scheduler=True).user
    token = issue(user.username, "--days", "2")
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        assert get(token).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=3), tick=False):
        assert get(token).status_code == 401


def test_using_a_token_records_when_it_was_last_used():
    user = StaffMemberFactory(scheduler=True).user
    token = issue(user.username)
    assert ApiToken.objects.get(user=user).last_used_at is None
    get(token)
    assert ApiToken.objects.get(user=user).last_used_at is not None


def test_rotating_replaces_the_token_with_that_name():
    user = StaffMemberFactory(scheduler=True).user
    old = issue(user.username)
    other = issue(user.username, "--name", "other")

    new = issue(user.username, "--rotate")

    assert new != old
    assert get(old).status_code == 401
    assert get(new).status_code == 200 and get(other).status_code == 200


def test_revoking_a_token_by_name_stops_it_and_keeps_the_others():
    user = StaffMemberFactory(scheduler=True).user
    ris = issue(user.username, "--name", "ris")
    hl7 = issue(user.username, "--name", "hl7")

    assert "Revoked 1" in revoke(user.username, "--name", "ris")

    assert get(ris).status_code == 401
    assert get(hl7).status_code == 200


def test_revoking_by_the_first_characters_of_the_token():
    user = StaffMemberFactory(scheduler=True).user
    token = issue(user.username)
    revoke(user.username, "--token", token[:10])
    assert get(token).status_code == 401


def test_revoke_without_an_option_lists_tokens_without_revealing_them():
    user = UserFactory()
    token = issue(user.username, "--name", "ris")
    listing = revoke(user.username)
    assert "ris" in listing and token not in listing
    assert ApiToken.objects.filter(user=user).exists()


def test_revoking_nothing_is_an_error():
    user = UserFactory()
    with pytest.raises(CommandError, match="No token matched"):
        revoke(user.username, "--all")


def test_an_unknown_user_is_an_error_not_a_token():
    with pytest.raises(CommandError, match="no user “ghost”"):
        issue("ghost")
