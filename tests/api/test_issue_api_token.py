from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import StaffMemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def issue(*args) -> str:
    out = StringIO()
    call_command("issue_api_token", *args, stdout=out)
    return out.getvalue().strip()


def test_the_command_prints_a_token_that_authenticates_as_the_user():
    user = StaffMemberFactory(scheduler=True).user

    token = issue(user.username)

    client = APIClient()
    response = client.get("/api/v1/appointments", headers={"Authorization": f"Token {token}"})
    assert response.status_code == 200
    assert Token.objects.get(key=token).user == user


def test_issuing_twice_prints_the_same_token():
    user = UserFactory()

    assert issue(user.username) == issue(user.username)


def test_rotating_replaces_the_token():
    user = UserFactory()
    old = issue(user.username)

    new = issue(user.username, "--rotate")

    assert new != old
    assert not Token.objects.filter(key=old).exists()


def test_an_unknown_user_is_an_error_not_a_token():
    with pytest.raises(CommandError, match="no user “ghost”"):
        issue("ghost")
