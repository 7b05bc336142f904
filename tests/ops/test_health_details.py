"""/healthz in production (issue #23): a summary for anyone, each check's details only for the
monitoring token or signed-in staff."""

import pytest

from monitoring.tasks import record_heartbeat
from tests.factories import StaffMemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def production_token(settings):
    settings.METRICS_TOKEN = "monitor-secret"
    record_heartbeat(name="beat")


def test_anyone_gets_the_status_and_the_names_of_failed_checks_only(client):
    body = client.get("/healthz").json()

    assert set(body) == {"status", "failed"}


def test_the_monitoring_token_gets_each_checks_details(client):
    body = client.get("/healthz", headers={"Authorization": "Bearer monitor-secret"}).json()

    assert set(body["checks"]) == {"database", "broker", "beat", "outbox", "hl7", "worklist"}


def test_a_wrong_token_gets_the_summary(client):
    assert "checks" not in client.get("/healthz", headers={"Authorization": "Bearer guess"}).json()


def test_signed_in_staff_get_the_details_and_a_user_without_a_role_does_not(client):
    client.force_login(StaffMemberFactory().user)
    staff = client.get("/healthz").json()
    client.force_login(UserFactory())
    other = client.get("/healthz").json()

    assert "checks" in staff and "checks" not in other
