"""The patient-page rate limit counts per client, also behind trusted reverse proxies."""

import pytest
from django.test import RequestFactory

from radiology.pages.portal.client_address import client_address


def request(remote, forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/p/1/x/", **headers)


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_address(request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_from_a_trusted_proxy_the_client_is_the_address_it_forwarded(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(request("10.0.0.5", "198.51.100.7")) == "198.51.100.7"


def test_a_client_cannot_forge_its_address_through_the_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended what it saw.
    assert client_address(request("10.0.0.5", "1.2.3.4, 198.51.100.7")) == "198.51.100.7"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.168.1.1"]
    assert client_address(request("10.0.0.5", "198.51.100.7, 192.168.1.1, 10.1.1.1")) == "198.51.100.7"


def test_a_request_from_an_untrusted_address_keeps_its_own_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_address(request("198.51.100.8", "10.9.9.9")) == "198.51.100.8"


def test_garbage_in_the_header_stops_the_walk(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_address(request("10.0.0.5", "198.51.100.7, not-an-ip")) == "10.0.0.5"


@pytest.mark.django_db
def test_patients_behind_one_proxy_are_limited_separately(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    settings.PATIENT_PAGE_RATE_LIMIT = "2/m"
    from django.core.cache import cache

    cache.clear()

    def get(forwarded):
        return client.get("/p/1/bad-token/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert [get("198.51.100.1") for _ in range(3)][-1] == 429
    assert get("198.51.100.2") != 429
