"""Holds: reservations with an expiry (issue 21). Busy for everyone until they expire, free
after, even before the sweep; reserving over an expired hold releases it first (the exclusion
constraint, which knows only "active", still has the last word); the sweep names the holders."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from scheduling.models import Reservation
from scheduling.services import Requirement, SlotTaken, fit, release_expired, reserve
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db


def _period():
    start = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    return start, start + timedelta(minutes=45)


def test_a_live_hold_keeps_everyone_else_out():
    room = ResourceFactory()
    start, end = _period()
    reserve(holds=[(room, start, end)], holder="offer:1", expires_at=timezone.now() + timedelta(minutes=20))
    with pytest.raises(SlotTaken), transaction.atomic():
        reserve(holds=[(room, start, end)], holder="appointment:9")


def test_an_expired_hold_is_free_before_the_sweep_and_reserving_over_it_releases_it():
    room = ResourceFactory()
    start, end = _period()
    now = timezone.now()
    reserve(holds=[(room, start, end)], holder="offer:2", expires_at=now + timedelta(minutes=20))
    later = now + timedelta(minutes=21)
    with time_machine.travel(later, tick=False):
        answer = fit(requirements=[Requirement("room", [room])], start=start, duration=end - start)
        assert answer.refusal != "taken"  # free time (outside working hours is another matter)
        reserve(holds=[(room, start, end)], holder="appointment:10", now=later)
    hold = Reservation.objects.get(holder="offer:2")
    assert (hold.active, hold.released_at) == (False, later)


def test_the_sweep_releases_only_expired_holds_and_names_their_holders():
    room, other = ResourceFactory(), ResourceFactory()
    start, end = _period()
    now = timezone.now()
    reserve(holds=[(room, start, end)], holder="offer:3", expires_at=now + timedelta(minutes=5))
    reserve(holds=[(other, start, end)], holder="fhirhold:1:abc", expires_at=now + timedelta(minutes=30))
    reserve(holds=[(other, end, end + timedelta(minutes=30))], holder="appointment:11")
    assert release_expired(now=now + timedelta(minutes=10)) == ["offer:3"]
    assert set(Reservation.objects.filter(active=True).values_list("holder", flat=True)) == {
        "fhirhold:1:abc",
        "appointment:11",
    }
