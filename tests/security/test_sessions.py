"""Shared workstations: a session idle for SESSION_IDLE_MINUTES ends; it ends at browser close."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.factories import DEFAULT_PASSWORD, StaffMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def idle_limit(settings):
    settings.SESSION_IDLE_MINUTES = 30
    return 30


def log_in(client):
    user = StaffMemberFactory().user
    client.post("/accounts/login/", {"username": user.username, "password": DEFAULT_PASSWORD})
    return user


def test_a_session_idle_for_longer_than_the_limit_ends_at_the_next_request(client, idle_limit):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        log_in(client)
        assert client.get("/day/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = client.get("/day/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert client.get("/day/").status_code == 302  # really logged out


def test_activity_keeps_the_session_alive(client, idle_limit):
    start = timezone.now()
    for minutes in (0, 20, 40, 60):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            if minutes == 0:
                log_in(client)
            assert client.get("/day/").status_code == 200


def test_the_day_lists_background_refresh_does_not_count_as_activity(client, idle_limit):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        log_in(client)
    for minutes in (10, 20, 29):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert (
                client.get("/day/", headers={"HX-Request": "true", "X-Background-Refresh": "true"}).status_code == 200
            )
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = client.get("/day/", headers={"HX-Request": "true", "X-Background-Refresh": "true"})
        # htmx follows HX-Redirect: the whole screen goes to the log-in page, no patient left on it.
        assert response.headers.get("HX-Redirect") == "/accounts/login/"


def test_the_session_cookie_ends_when_the_browser_closes(client):
    log_in(client)
    cookie = client.cookies["sessionid"]
    assert not cookie["expires"] and not cookie["max-age"]
