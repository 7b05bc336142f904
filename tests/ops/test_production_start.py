"""Issue 9, defect 3: no demo users in production; `create_staff` makes the first manager."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from radiology.models import StaffMember

pytestmark = pytest.mark.django_db


def usernames(settings) -> set[str]:
    # Migration 0019 makes the modality's account (no password, not a person): the only one.
    return set(get_user_model().objects.values_list("username", flat=True)) - {settings.WORKLIST_MODALITY_USERNAME}


def test_make_runs_seed_on_an_empty_production_database_creates_no_user_and_says_how(settings):
    settings.PRODUCTION = True
    out = io.StringIO()

    call_command("seed_demo", "--if-empty", stdout=out)

    assert usernames(settings) == set()
    assert "create_staff USERNAME --role manager" in out.getvalue()


def test_seed_demo_asked_for_explicitly_in_production_refuses(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="never loaded"):
        call_command("seed_demo", stdout=io.StringIO())
    assert usernames(settings) == set()


def create_staff(monkeypatch, *args, password="a-Long-unusual-passphrase-42"):  # noqa: S107
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    out = io.StringIO()
    call_command("create_staff", *args, "--password-stdin", stdout=out)
    return out.getvalue()


def test_create_staff_makes_a_manager_who_can_log_in_to_the_admin(monkeypatch, client):
    output = create_staff(monkeypatch, "chief", "--role", "manager", "--first-name", "Ada", "--last-name", "Ng")

    assert "Created manager “chief”" in output
    member = StaffMember.objects.select_related("user").get(user__username="chief")
    assert member.role == "manager" and member.user.is_staff
    assert member.user.groups.filter(name="manager").exists()
    assert client.login(username="chief", password="a-Long-unusual-passphrase-42")
    assert client.get("/admin/").status_code == 200


def test_create_staff_gives_a_clinical_role_its_calendar(monkeypatch):
    create_staff(monkeypatch, "dr_ng", "--role", "radiologist")
    member = StaffMember.objects.get(user__username="dr_ng")
    assert member.resource is not None and member.resource.working_hours.count() == 5


def test_create_staff_refuses_a_weak_password(monkeypatch):
    with pytest.raises(CommandError, match="too common|too short"):
        create_staff(monkeypatch, "chief", "--role", "manager", password="password")
    assert not get_user_model().objects.filter(username="chief").exists()


def test_create_staff_refuses_an_existing_username(monkeypatch):
    create_staff(monkeypatch, "chief", "--role", "manager")
    with pytest.raises(CommandError, match="already"):
        create_staff(monkeypatch, "chief", "--role", "scheduler")
