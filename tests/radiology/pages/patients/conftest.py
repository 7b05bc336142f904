"""The patient pages' tests act as the shared scheduler, logged in on `client`."""

import pytest


@pytest.fixture
def logged_in_scheduler(scheduler_client, scheduler):
    """The shared `scheduler` user, logged in on `client` (scheduler_client is that client)."""
    return scheduler
