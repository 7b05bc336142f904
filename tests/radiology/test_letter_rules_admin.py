"""The department's letter rules are a settings table a manager edits in the admin: the days
per assessment, one row each (none added or removed there); other roles cannot change them."""

import pytest

from radiology.models import LetterRule
from tests.factories import StaffMemberFactory

pytestmark = pytest.mark.django_db


def staff_client(client, role):
    user = StaffMemberFactory(role=role).user
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    return client


def test_a_manager_changes_the_days_for_an_assessment(client):
    rule = LetterRule.objects.get(assessment="3")
    manager = staff_client(client, "manager")

    response = manager.post(f"/admin/radiology/letterrule/{rule.pk}/change/", {"due_within_days": 14})

    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.due_within_days == 14


def test_the_rules_are_listed_and_none_is_added_or_removed(client):
    manager = staff_client(client, "manager")

    listing = manager.get("/admin/radiology/letterrule/")
    assert listing.status_code == 200
    assert "BI-RADS 4: suspicious" in listing.content.decode()
    assert manager.get("/admin/radiology/letterrule/add/").status_code == 403
    rule = LetterRule.objects.get(assessment="4")
    assert manager.post(f"/admin/radiology/letterrule/{rule.pk}/delete/", {"post": "yes"}).status_code == 403
    assert LetterRule.objects.count() == 7


def test_a_scheduler_cannot_change_the_rules(client):
    rule = LetterRule.objects.get(assessment="3")
    scheduler = staff_client(client, "scheduler")

    scheduler.post(f"/admin/radiology/letterrule/{rule.pk}/change/", {"due_within_days": 1})

    rule.refresh_from_db()
    assert rule.due_within_days == 30
