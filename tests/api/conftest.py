import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(scheduler):
    """An API client authenticated with the scheduler's token."""
    return client_for(scheduler)


@pytest.fixture
def tech_api(technologist):
    return client_for(technologist)
