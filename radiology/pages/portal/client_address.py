"""The address a request came from, seen through trusted reverse proxies.

Behind a proxy every request's REMOTE_ADDR is the proxy's, so a per-address limit would
throttle everyone together. X-Forwarded-For is only believed when the request came from a
proxy listed in TRUSTED_PROXIES, and read from the right: each trusted hop appended the
address it saw; the first untrusted one is the client. Anything to its left was written by
the client and could be forged.
"""

from functools import lru_cache
from ipaddress import ip_address, ip_network

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]):
    return tuple(ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _parse(value: str):
    try:
        return ip_address(value.strip())
    except ValueError:
        return None


def client_address(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks:
        return remote

    def trusted(address) -> bool:
        return address is not None and any(address in network for network in networks)

    if not trusted(_parse(remote)):
        return remote
    client = remote
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _parse(hop)
        if address is None:
            break  # garbage: trust nothing further left
        client = str(address)
        if not trusted(address):
            break
    return client
