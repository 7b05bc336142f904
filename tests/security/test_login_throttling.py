"""Log-in throttling (issue #23): failures counted per username and address pair, a soft
doubling wait after three, the hard lock after ten for that pair (or twenty from one address);
someone guessing elsewhere cannot lock her out; she unlocks herself by an e-mailed link;
managers still see and unlock."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from notifications.models import Message
from notifications.services import deliver_now
from security.models import UnlockRequest
from tests.factories import DEFAULT_PASSWORD, StaffMemberFactory, UserFactory

pytestmark = pytest.mark.django_db
PAST_ANY_WAIT = timedelta(minutes=3)  # longer than the longest soft wait, shorter than the lock


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def attempt(client, username, password, *, path="/accounts/login/", address="10.0.0.1"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, clock, username, times, **kwargs):
    """Wrong passwords, each after the soft wait of the one before: the count, not the pace."""
    codes = []
    for _ in range(times):
        codes.append(attempt(client, username, "wrong", **kwargs).status_code)
        clock.shift(PAST_ANY_WAIT)
    return codes


def logged_in(response) -> bool:
    return response.status_code == 302 and "login" not in response["Location"]


def test_a_username_guessed_from_elsewhere_still_logs_in_at_her_own_computer(client, clock):
    user = StaffMemberFactory().user
    fail(client, clock, user.username, 10, address="203.0.113.9")

    assert attempt(client, user.username, DEFAULT_PASSWORD, address="203.0.113.9").status_code == 429
    assert logged_in(attempt(client, user.username, DEFAULT_PASSWORD, address="10.0.0.1"))


def test_the_tenth_wrong_password_of_a_pair_locks_it_even_with_the_right_one(client, clock):
    user = StaffMemberFactory().user

    codes = fail(client, clock, user.username, 10)
    response = attempt(client, user.username, DEFAULT_PASSWORD)

    assert codes == [200] * 9 + [429]
    assert response.status_code == 429
    assert "Log-in refused for 15 minutes" in response.text


def test_after_three_failures_each_try_waits_twice_as_long(client, clock):
    user = StaffMemberFactory().user
    for _ in range(3):
        attempt(client, user.username, "wrong")  # no wait yet: typos happen

    waits = []
    for expected in (1, 2, 4):
        too_soon = attempt(client, user.username, DEFAULT_PASSWORD)
        waits.append((too_soon.status_code, too_soon["Retry-After"]))
        clock.shift(timedelta(seconds=expected))
        attempt(client, user.username, "wrong")

    assert waits == [(429, "1"), (429, "2"), (429, "4")]
    assert "Wait 8 seconds before the next try" in attempt(client, user.username, DEFAULT_PASSWORD).text


def test_a_try_within_the_wait_is_not_counted_and_the_right_password_then_logs_in(client, clock):
    user = StaffMemberFactory().user
    for _ in range(3):
        attempt(client, user.username, "wrong")
    for _ in range(20):
        assert attempt(client, user.username, "wrong").status_code == 429  # all within the wait

    clock.shift(timedelta(seconds=1))

    assert logged_in(attempt(client, user.username, DEFAULT_PASSWORD))


def test_twenty_failures_from_one_address_lock_that_address_for_every_username(client, clock):
    for n in range(20):
        attempt(client, f"guess{n}", "wrong", address="10.9.9.9")
    user = StaffMemberFactory().user
    assert attempt(client, user.username, DEFAULT_PASSWORD, address="10.9.9.9").status_code == 429
    assert logged_in(attempt(client, user.username, DEFAULT_PASSWORD, address="10.9.9.10"))


def test_the_admin_login_is_throttled_too(client, clock):
    user = UserFactory(is_staff=True, is_superuser=True)
    fail(client, clock, user.username, 10, path="/admin/login/")
    assert attempt(client, user.username, DEFAULT_PASSWORD, path="/admin/login/").status_code == 429


def test_the_lock_lifts_after_fifteen_minutes(client, clock):
    user = StaffMemberFactory().user
    fail(client, clock, user.username, 10)
    clock.shift(timedelta(minutes=14) - PAST_ANY_WAIT)
    assert attempt(client, user.username, DEFAULT_PASSWORD).status_code == 429
    clock.shift(timedelta(minutes=16))
    assert logged_in(attempt(client, user.username, DEFAULT_PASSWORD))


def test_a_manager_unlocks_a_user_on_the_lockouts_page(client, clock):
    user = StaffMemberFactory().user
    fail(client, clock, user.username, 10)
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


# --- her own unlock link ---------------------------------------------------------------------


def _emailed_link(user) -> str:
    (message,) = Message.objects.filter(recipient=user.email, kind="unlock_login")
    deliver_now(message_ids=[message.pk])
    (sent,) = [m for m in mail.outbox if user.email in m.to]
    return re.search(r"https?://\S+/accounts/unlock/\S+/", sent.body).group(0).split("testserver", 1)[-1]


@pytest.fixture
def locked_user(client, clock, settings):
    settings.SITE_URL = "http://testserver"
    user = StaffMemberFactory().user
    fail(client, clock, user.username, 10)
    return user


def test_she_unlocks_herself_by_the_emailed_link(client, locked_user, settings):
    page = attempt(client, locked_user.username, DEFAULT_PASSWORD)
    assert 'data-testid="unlock-request"' in page.text

    client.post("/accounts/unlock/", {"username": locked_user.username}, REMOTE_ADDR="10.0.0.1")
    link = _emailed_link(locked_user).removeprefix(settings.SITE_URL)
    shown = client.get(link)
    still_locked = attempt(client, locked_user.username, DEFAULT_PASSWORD)  # opening the link changes nothing
    client.post(link, REMOTE_ADDR="10.0.0.1")

    assert shown.status_code == 200 and 'data-testid="unlock"' in shown.text
    assert still_locked.status_code == 429
    assert logged_in(attempt(client, locked_user.username, DEFAULT_PASSWORD))


def test_the_unlock_link_works_once(client, locked_user, settings, clock):
    client.post("/accounts/unlock/", {"username": locked_user.username}, REMOTE_ADDR="10.0.0.1")
    link = _emailed_link(locked_user).removeprefix(settings.SITE_URL)
    client.post(link, REMOTE_ADDR="10.0.0.1")
    client.logout()
    fail(client, clock, locked_user.username, 10)

    again = client.post(link, REMOTE_ADDR="10.0.0.1")

    assert again.status_code == 404
    assert attempt(client, locked_user.username, DEFAULT_PASSWORD).status_code == 429


def test_the_unlock_link_expires(client, locked_user, settings, clock):
    client.post("/accounts/unlock/", {"username": locked_user.username}, REMOTE_ADDR="10.0.0.1")
    link = _emailed_link(locked_user).removeprefix(settings.SITE_URL)
    clock.shift(timedelta(minutes=settings.LOGIN_UNLOCK_LINK_MINUTES + 1))

    assert client.get(link).status_code == 404
    assert client.post(link).status_code == 404
    assert UnlockRequest.objects.get().used_at is None


def test_asking_for_a_link_says_the_same_for_any_username_and_sends_only_to_the_owner(client, locked_user):
    known = client.post("/accounts/unlock/", {"username": locked_user.username}, follow=True)
    unknown = client.post("/accounts/unlock/", {"username": "nobody-here"}, follow=True)

    assert known.status_code == unknown.status_code == 200
    sentence = "If this username has an e-mail address, a link to unlock it is on its way."
    assert sentence in known.text and sentence in unknown.text
    assert list(Message.objects.values_list("recipient", flat=True)) == [locked_user.email]
    assert "/accounts/unlock/" not in str(Message.objects.get().context)  # signed when sent, never stored


def test_at_most_three_links_are_open_at_a_time(client, locked_user):
    for _ in range(5):
        client.post("/accounts/unlock/", {"username": locked_user.username})

    assert Message.objects.filter(kind="unlock_login").count() == 3
