"""Dates at the ends of Python's calendar: refused with a message or a default period, never a 500."""

import pytest

from radiology.presentation.date_range import FIRST_DAY, LAST_DAY, OUT_OF_RANGE
from tests.factories import StaffMemberFactory

pytestmark = pytest.mark.django_db

EDGE_ADDRESSES = [
    "/day/9999-12-31/",
    "/day/0001-01-01/",
    "/appointments/?start=9999-12-31",
    "/appointments/?start=0001-01-01",
    "/appointments/?end=0001-01-01",
    "/appointments/?start=9999-12-30&end=9999-12-31",
    "/dashboard/?start=9999-12-01&end=9999-12-31",
    "/dashboard/export.csv?start=9999-12-01&end=9999-12-31",
    "/dashboard/?start=0001-01-01&end=0001-01-31",
    "/dashboard/export.csv?start=0001-01-01&end=0001-01-02",
    "/schedule/?procedure=galactogram&duration=45&start=9999-12-31&end=9999-12-31",
    "/schedule/?procedure=galactogram&duration=45&start=0001-01-01&end=0001-01-01",
    "/schedule/week/?week=9999-12-31",
    "/schedule/week/?week=0001-01-01",
    "/api/v1/appointments?date=9999-12-31",
    "/api/v1/appointments?date=0001-01-01",
    "/api/v1/slots?procedure=galactogram&start=9999-12-01&end=9999-12-31&duration=45",
]


@pytest.fixture
def manager_client(client):
    client.force_login(StaffMemberFactory(manager=True).user)
    return client


@pytest.mark.parametrize("path", EDGE_ADDRESSES)
def test_dates_at_the_ends_of_the_calendar_never_give_a_500(manager_client, path):
    assert manager_client.get(path).status_code < 500


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2201-01-01"])
def test_a_day_list_outside_the_supported_years_is_a_400_that_says_which_years(manager_client, day):
    response = manager_client.get(f"/day/{day}/")
    assert response.status_code == 400
    assert OUT_OF_RANGE in response.content.decode()


@pytest.mark.parametrize("day", [FIRST_DAY, LAST_DAY])
def test_the_first_and_last_supported_days_have_a_day_list(manager_client, day):
    assert manager_client.get(f"/day/{day.isoformat()}/").status_code == 200


def test_a_dashboard_period_at_the_end_of_time_is_explained_on_the_form(manager_client):
    response = manager_client.get("/dashboard/?start=9999-12-01&end=9999-12-31")
    assert response.status_code == 200
    assert OUT_OF_RANGE in response.content.decode()


def test_the_csv_export_for_a_period_at_the_end_of_time_falls_back_to_the_default_period(manager_client):
    response = manager_client.get("/dashboard/export.csv?start=9999-12-01&end=9999-12-31")
    assert response.status_code == 200
    assert "9999" not in response["Content-Disposition"]


def test_the_appointment_list_explains_a_start_at_the_end_of_time(manager_client):
    response = manager_client.get("/appointments/?start=9999-12-31")
    assert response.status_code == 200
    assert OUT_OF_RANGE in response.content.decode()


def test_the_api_refuses_a_date_at_the_end_of_time_with_a_400(manager_client):
    response = manager_client.get("/api/v1/appointments?date=9999-12-31")
    assert response.status_code == 400
    assert OUT_OF_RANGE in response.json()["error"] + str(response.json())
