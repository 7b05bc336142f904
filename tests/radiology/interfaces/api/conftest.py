import pytest
from rest_framework.test import APIClient

from security.tokens import issue_token


def client_for(user) -> APIClient:
    client = APIClient()
    _, token = issue_token(user=user, name="tests")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def api(scheduler):
    """An API client authenticated with the scheduler's token."""
    return client_for(scheduler)


@pytest.fixture
def tech_api(technologist):
    return client_for(technologist)
