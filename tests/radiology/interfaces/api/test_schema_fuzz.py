"""The API's schema tells the truth: schemathesis sends requests generated from
/api/v1/openapi.json (at most 30 per operation, each within a time limit) and checks that no
response is a 5xx, that every response matches the schema, and that requests the schema calls
valid are accepted (where the schema can say what is valid, see RULES_BEYOND_THE_SCHEMA)."""

import json
from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings

from config.wsgi import application
from security.tokens import issue_token
from tests.factories import AppointmentFactory, PatientFactory, StaffMemberFactory, small_department


def _served_schema():
    """The schema /api/v1/openapi.json serves (to signed-in users only), generated as that view
    does: it touches no database, so it can be loaded when the tests are collected."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    raw = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = application
    loaded.location = "/api/v1/openapi.json"
    return loaded


schema = _served_schema()

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # Calls go straight to the WSGI application inside the test's transaction; like Django's
    # test client, keep the handler from closing that connection at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db):
    small_department()
    for _ in range(3):
        AppointmentFactory(patient=PatientFactory())
    # A manager holds every permission of the department: each operation is reachable.
    _, text = issue_token(user=StaffMemberFactory(manager=True).user, name="schemathesis")
    return text


# Rules a JSON schema cannot state: that an id names an existing row, and rules across fields or
# against the clock (end after start, at most 62 days, durations the procedure allows, a time
# between now and two years ahead, a reachable patient). There a schema-valid request may get a
# 400 that names the field, so "valid data is accepted" is checked on the other operations only.
RULES_BEYOND_THE_SCHEMA = {
    "GET /api/v1/slots",
    "GET /api/v1/appointments",
    "POST /api/v1/appointments",
    "POST /api/v1/patients",
    "POST /api/v1/appointments/{id}/reschedule",
    "POST /api/v1/appointments/{id}/staff",  # at least one person, free at that minute
    "POST /api/v1/appointments/{id}/transitions",
    "PUT /api/v1/patients/{id}/needs",  # an interpreter booked only when one is needed
    "POST /api/v1/waiting-list",  # an existing patient (and her order); a body is needed
    "DELETE /api/v1/waiting-list",  # the same, and she must be on the list
}


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=timedelta(seconds=5),  # the time limit for each request
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same examples on every run: a CI failure can be replayed
)
def test_the_api_behaves_as_its_schema_says(case, token):
    beyond = case.operation.label in RULES_BEYOND_THE_SCHEMA
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        excluded_checks=[schemathesis.checks.positive_data_acceptance] if beyond else [],
    )
