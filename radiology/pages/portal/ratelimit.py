"""A small fixed-window rate limit on Django's cache (Redis in deployment), per client address."""

import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils import translation

from radiology.pages.portal.client_address import client_address

PERIODS = {"s": 1, "m": 60, "h": 3600}


def _parse(rate: str) -> tuple[int, int]:
    count, _, unit = rate.partition("/")
    return int(count), PERIODS[unit[:1] or "m"]


def rate_limited(view):
    """At most PATIENT_PAGE_RATE_LIMIT requests (e.g. "30/m") per address; then a 429 page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        limit, period = _parse(settings.PATIENT_PAGE_RATE_LIMIT)
        window = int(time.time() // period)
        key = f"portal-rate:{client_address(request)}:{window}"  # TRUSTED_PROXIES-aware
        cache.add(key, 0, timeout=period + 1)
        try:
            hits = cache.incr(key)
        except ValueError:  # evicted between add and incr
            hits = 1
        if hits > limit:
            with translation.override(translation.get_language_from_request(request)):
                return render(request, "portal/rate_limited.html", status=429)
        return view(request, *args, **kwargs)

    return wrapped
