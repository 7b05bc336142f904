from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from scheduling.models import Reservation
from scheduling.services import SlotTaken, move, release, reserve
from tests.factories import ReservationFactory, ResourceFactory

pytestmark = pytest.mark.django_db


def _period(hours=1):
    start = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    return start, start + timedelta(hours=hours)


def test_reserve_holds_every_resource_for_the_holder():
    a, b = ResourceFactory(), ResourceFactory()
    start, end = _period()
    reserve(holds=[(a, start, end), (b, start, end)], holder="x:1")
    assert Reservation.objects.filter(holder="x:1", active=True).count() == 2


def test_reserve_is_all_or_nothing_when_one_resource_is_taken():
    a, b = ResourceFactory(), ResourceFactory()
    start, end = _period()
    ReservationFactory(resource=b, start=start + timedelta(minutes=30), end=end + timedelta(hours=1))
    with pytest.raises(SlotTaken), transaction.atomic():
        reserve(holds=[(a, start, end), (b, start, end)], holder="x:2")
    assert not Reservation.objects.filter(holder="x:2").exists()


def test_touching_periods_do_not_overlap():
    a = ResourceFactory()
    start, end = _period()
    reserve(holds=[(a, start, end)], holder="x:3")
    reserve(holds=[(a, end, end + timedelta(minutes=30))], holder="x:4")
    assert Reservation.objects.filter(resource=a, active=True).count() == 2


def test_release_frees_the_time_for_someone_else():
    a = ResourceFactory()
    start, end = _period()
    reserve(holds=[(a, start, end)], holder="x:5")
    assert release(holder="x:5", now=timezone.now()) == 1
    reserve(holds=[(a, start, end)], holder="x:6")
    assert Reservation.objects.get(holder="x:5").released_at is not None


def test_move_replaces_the_holders_periods_atomically():
    a = ResourceFactory()
    start, end = _period()
    reserve(holds=[(a, start, end)], holder="x:7")
    move(holder="x:7", holds=[(a, start + timedelta(minutes=30), end + timedelta(minutes=30))], now=timezone.now())
    active = Reservation.objects.get(holder="x:7", active=True)
    assert active.start == start + timedelta(minutes=30)


def test_a_failed_move_keeps_the_old_reservation():
    a = ResourceFactory()
    start, end = _period()
    reserve(holds=[(a, start, end)], holder="x:8")
    ReservationFactory(resource=a, start=end + timedelta(hours=1), end=end + timedelta(hours=2))
    with pytest.raises(SlotTaken), transaction.atomic():
        move(holder="x:8", holds=[(a, end + timedelta(hours=1), end + timedelta(hours=2))], now=timezone.now())
    assert Reservation.objects.get(holder="x:8", active=True).start == start


@pytest.mark.postgres
def test_the_database_rejects_a_direct_overlapping_insert():
    a = ResourceFactory()
    start, end = _period()
    ReservationFactory(resource=a, start=start, end=end)
    with pytest.raises(IntegrityError, match="reservation_no_overlap"), transaction.atomic():
        Reservation.objects.create(resource=a, start=start + timedelta(minutes=10), end=end, holder="direct")


@pytest.mark.postgres
def test_the_database_allows_the_same_period_once_the_first_is_released():
    a = ResourceFactory()
    start, end = _period()
    first = ReservationFactory(resource=a, start=start, end=end)
    Reservation.objects.filter(pk=first.pk).update(active=False, released_at=timezone.now())
    Reservation.objects.create(resource=a, start=start, end=end, holder="again")
    assert Reservation.objects.filter(resource=a, active=True).count() == 1


def test_the_database_refuses_a_period_that_ends_before_it_starts():
    a = ResourceFactory()
    start, end = _period()
    with pytest.raises(IntegrityError), transaction.atomic():
        Reservation.objects.create(resource=a, start=end, end=start, holder="backwards")
