"""Log-in throttling: 5 failed passwords for one username or 20 from one address in 15 minutes
refuse log-ins for 15 minutes, even with the right password; a manager can unlock."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.factories import DEFAULT_PASSWORD, StaffMemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def attempt(client, username, password, *, path="/accounts/login/", address="10.0.0.1"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(response) -> bool:
    return response.status_code == 302 and "login" not in response["Location"]


def test_the_sixth_try_after_five_wrong_passwords_is_refused_even_with_the_right_one(client):
    user = StaffMemberFactory().user
    for _ in range(4):
        assert attempt(client, user.username, "wrong").status_code == 200
    assert attempt(client, user.username, "wrong").status_code == 429  # the fifth failure locks
    response = attempt(client, user.username, DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert "Too many failed passwords" in response.content.decode()
    assert "refused for 15 minutes" in response.content.decode()


def test_four_wrong_passwords_do_not_lock_the_user_out(client):
    user = StaffMemberFactory().user
    for _ in range(4):
        attempt(client, user.username, "wrong")
    assert logged_in(attempt(client, user.username, DEFAULT_PASSWORD))


def test_a_username_is_locked_whatever_address_the_tries_come_from(client):
    user = StaffMemberFactory().user
    for n in range(5):
        attempt(client, user.username, "wrong", address=f"10.0.1.{n}")
    assert attempt(client, user.username, DEFAULT_PASSWORD, address="10.0.2.1").status_code == 429


def test_twenty_failures_from_one_address_lock_that_address_for_every_username(client):
    for n in range(20):
        attempt(client, f"guess{n}", "wrong", address="10.9.9.9")
    user = StaffMemberFactory().user
    assert attempt(client, user.username, DEFAULT_PASSWORD, address="10.9.9.9").status_code == 429
    assert logged_in(attempt(client, user.username, DEFAULT_PASSWORD, address="10.9.9.10"))


def test_the_admin_login_is_throttled_too(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    for _ in range(5):
        attempt(client, user.username, "wrong", path="/admin/login/")
    assert attempt(client, user.username, DEFAULT_PASSWORD, path="/admin/login/").status_code == 429


def test_the_lock_lifts_after_fifteen_minutes(client):
    user = StaffMemberFactory().user
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            attempt(client, user.username, "wrong")
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert attempt(client, user.username, DEFAULT_PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        assert logged_in(attempt(client, user.username, DEFAULT_PASSWORD))


def test_a_manager_unlocks_a_user_on_the_lockouts_page(client):
    user = StaffMemberFactory().user
    for _ in range(5):
        attempt(client, user.username, "wrong")
    manager = StaffMemberFactory(manager=True).user
    client.force_login(manager)
    page = client.get("/security/lockouts/")
    assert user.username in page.content.decode()
    client.post("/security/lockouts/unlock/", {"username": user.username, "ip_address": "10.0.0.1"})
    client.logout()
    assert logged_in(attempt(client, user.username, DEFAULT_PASSWORD))


def test_other_roles_cannot_open_the_lockouts_page(client):
    client.force_login(StaffMemberFactory(scheduler=True).user)
    assert client.get("/security/lockouts/").status_code == 403
    assert client.post("/security/lockouts/unlock/", {"username": "x"}).status_code == 403


def test_behind_a_proxy_failures_are_counted_per_client_address_from_its_header(client, settings):
    settings.LOGIN_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    for n in range(20):
        client.post(
            "/accounts/login/",
            {"username": f"g{n}", "password": "x"},
            REMOTE_ADDR="10.0.0.254",
            HTTP_X_REAL_IP="192.168.1.7",
        )
    user = StaffMemberFactory().user
    other = client.post(
        "/accounts/login/",
        {"username": user.username, "password": DEFAULT_PASSWORD},
        REMOTE_ADDR="10.0.0.254",
        HTTP_X_REAL_IP="192.168.1.8",
    )
    assert logged_in(other)
