"""A catalogue of bad requests: each gets a 4xx with a JSON body that says what to fix."""

import json

import pytest

from tests.api.conftest import client_for
from tests.factories import AppointmentFactory, PatientFactory, RoomFactory, StaffMemberFactory, a_weekday

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    """Ids that exist, for the requests that must point at something real."""
    day = a_weekday(10)
    return {
        "patient": PatientFactory().pk,
        "room": RoomFactory().pk,
        "radiologist": StaffMemberFactory(radiologist=True).pk,
        "technologist": StaffMemberFactory().pk,
        "appointment": AppointmentFactory().pk,
        "day": day.isoformat(),
        "start": f"{day.isoformat()}T10:00:00-05:00",
    }


def booking_body(world, **changes):
    body = {"patient": world["patient"], "procedure": "galactogram", "start": world["start"], "duration": 45}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def slot_query(world, **changes):
    query = {"procedure": "galactogram", "start": world["day"], "end": world["day"], "duration": "45"}
    query.update(changes)
    return {k: v for k, v in query.items() if v is not ...}


BAD_REQUESTS = [
    # (name, method, path, body or query builder, status, field named in "fields" or None)
    ("slots without a procedure", "get", "/api/v1/slots", lambda w: slot_query(w, procedure=...), 400, "procedure"),
    (
        "slots for an unknown procedure",
        "get",
        "/api/v1/slots",
        lambda w: slot_query(w, procedure="mri"),
        400,
        "procedure",
    ),
    ("slots with a text duration", "get", "/api/v1/slots", lambda w: slot_query(w, duration="long"), 400, "duration"),
    (
        "slots with a 50-minute duration",
        "get",
        "/api/v1/slots",
        lambda w: slot_query(w, duration="50"),
        400,
        "duration",
    ),
    ("slots with a bad date", "get", "/api/v1/slots", lambda w: slot_query(w, start="02/03/2026"), 400, "start"),
    (
        "slots ending before they start",
        "get",
        "/api/v1/slots",
        lambda w: slot_query(w, start="2026-03-10", end="2026-03-01"),
        400,
        "end",
    ),
    (
        "slots over 63 days",
        "get",
        "/api/v1/slots",
        lambda w: slot_query(w, start="2026-03-01", end="2026-05-02"),
        400,
        "end",
    ),
    (
        "slots over years",
        "get",
        "/api/v1/slots",
        lambda w: slot_query(w, start="0001-01-01", end="9999-12-31"),
        400,
        "end",
    ),
    ("slots with limit 0", "get", "/api/v1/slots", lambda w: slot_query(w, limit="0"), 400, "limit"),
    ("slots with limit 1000", "get", "/api/v1/slots", lambda w: slot_query(w, limit="1000"), 400, "limit"),
    (
        "slots for an unknown radiologist",
        "get",
        "/api/v1/slots",
        lambda w: slot_query(w, radiologist="999999"),
        400,
        "radiologist",
    ),
    (
        "slots with a technologist as radiologist",
        "get",
        "/api/v1/slots",
        lambda w: slot_query(w, radiologist=str(w["technologist"])),
        400,
        "radiologist",
    ),
    ("booking without a start", "post", "/api/v1/appointments", lambda w: booking_body(w, start=...), 400, "start"),
    ("booking without anything", "post", "/api/v1/appointments", lambda w: {}, 400, "patient"),
    (
        "booking with a naive start",
        "post",
        "/api/v1/appointments",
        lambda w: booking_body(w, start=w["start"][:19]),
        400,
        "start",
    ),
    (
        "booking with a date as start",
        "post",
        "/api/v1/appointments",
        lambda w: booking_body(w, start=w["day"]),
        400,
        "start",
    ),
    (
        "booking with a number as start",
        "post",
        "/api/v1/appointments",
        lambda w: booking_body(w, start=12),
        400,
        "start",
    ),
    (
        "booking in the year 9999",
        "post",
        "/api/v1/appointments",
        lambda w: booking_body(w, start="9999-01-01T10:00:00Z"),
        400,
        "start",
    ),
    (
        "booking with a text patient id",
        "post",
        "/api/v1/appointments",
        lambda w: booking_body(w, patient="Ana"),
        400,
        "patient",
    ),
    (
        "booking for an unknown patient",
        "post",
        "/api/v1/appointments",
        lambda w: booking_body(w, patient=999999),
        400,
        "patient",
    ),
    (
        "booking an unknown procedure",
        "post",
        "/api/v1/appointments",
        lambda w: booking_body(w, procedure="mri"),
        400,
        "procedure",
    ),
    ("booking an unknown room", "post", "/api/v1/appointments", lambda w: booking_body(w, room=999999), 400, "room"),
    ("booking a list as room", "post", "/api/v1/appointments", lambda w: booking_body(w, room=[1]), 400, "room"),
    (
        "booking a radiologist as technologist",
        "post",
        "/api/v1/appointments",
        lambda w: booking_body(w, technologist=w["radiologist"]),
        400,
        "technologist",
    ),
    ("booking 60 minutes", "post", "/api/v1/appointments", lambda w: booking_body(w, duration=60), 400, "duration"),
    (
        "booking a text duration",
        "post",
        "/api/v1/appointments",
        lambda w: booking_body(w, duration="forty"),
        400,
        "duration",
    ),
    (
        "a patient without names",
        "post",
        "/api/v1/patients",
        lambda w: {"mrn": "X-1", "birth_date": "1980-01-01", "phone": "+12025550100"},
        400,
        "given_name",
    ),
    (
        "a patient with a bad MRN",
        "post",
        "/api/v1/patients",
        lambda w: {
            "mrn": "a b",
            "given_name": "A",
            "family_name": "B",
            "birth_date": "1980-01-01",
            "phone": "+12025550100",
        },
        400,
        "mrn",
    ),
    (
        "a patient with an invalid phone",
        "post",
        "/api/v1/patients",
        lambda w: {"mrn": "X-12", "given_name": "A", "family_name": "B", "birth_date": "1980-01-01", "phone": "12345"},
        400,
        "phone",
    ),
    (
        "a patient with an invalid e-mail",
        "post",
        "/api/v1/patients",
        lambda w: {"mrn": "X-12", "given_name": "A", "family_name": "B", "birth_date": "1980-01-01", "email": "nope"},
        400,
        "email",
    ),
    (
        "a patient with a bad birth date",
        "post",
        "/api/v1/patients",
        lambda w: {
            "mrn": "X-12",
            "given_name": "A",
            "family_name": "B",
            "birth_date": "1980-13-45",
            "phone": "+12025550100",
        },
        400,
        "birth_date",
    ),
    (
        "a patient born in the future",
        "post",
        "/api/v1/patients",
        lambda w: {
            "mrn": "X-12",
            "given_name": "A",
            "family_name": "B",
            "birth_date": "2999-01-01",
            "phone": "+12025550100",
        },
        400,
        "birth_date",
    ),
    (
        "a patient without any contact",
        "post",
        "/api/v1/patients",
        lambda w: {"mrn": "X-12", "given_name": "A", "family_name": "B", "birth_date": "1980-01-01"},
        400,
        "phone",
    ),
    ("a patient search without a query", "get", "/api/v1/patients", lambda w: {}, 400, "q"),
    ("appointments on a bad date", "get", "/api/v1/appointments", lambda w: {"date": "yesterday"}, 400, "date"),
    (
        "a reschedule with a naive start",
        "post",
        "/api/v1/appointments/{appointment}/reschedule",
        lambda w: {"start": w["start"][:19]},
        400,
        "start",
    ),
    (
        "a cancel without a reason",
        "post",
        "/api/v1/appointments/{appointment}/cancel",
        lambda w: {"reason": ""},
        400,
        "reason",
    ),
    (
        "a transition without an action",
        "post",
        "/api/v1/appointments/{appointment}/transitions",
        lambda w: {"note": "x"},
        400,
        "action",
    ),
    (
        "an unknown transition",
        "post",
        "/api/v1/appointments/{appointment}/transitions",
        lambda w: {"action": "teleport"},
        400,
        "action",
    ),
    (
        "a system-only transition",
        "post",
        "/api/v1/appointments/{appointment}/transitions",
        lambda w: {"action": "send_prep"},
        400,
        "action",
    ),
    ("an unknown appointment", "get", "/api/v1/appointments/999999", lambda w: None, 404, None),
    (
        "rescheduling an unknown appointment",
        "post",
        "/api/v1/appointments/999999/reschedule",
        lambda w: {"start": w["start"]},
        404,
        None,
    ),
    (
        "cancelling an unknown appointment",
        "post",
        "/api/v1/appointments/999999/cancel",
        lambda w: {"reason": "x"},
        404,
        None,
    ),
    (
        "moving an unknown appointment",
        "post",
        "/api/v1/appointments/999999/transitions",
        lambda w: {"action": "check_in"},
        404,
        None,
    ),
    ("an unknown patient", "get", "/api/v1/patients/999999", lambda w: None, 404, None),
    ("an unknown endpoint", "get", "/api/v1/nothing-here", lambda w: None, 404, None),
    ("a non-numeric id", "get", "/api/v1/appointments/abc", lambda w: None, 404, None),
    ("a DELETE", "delete", "/api/v1/appointments/{appointment}", lambda w: None, 405, None),
]


@pytest.mark.parametrize(
    ("method", "path", "build", "status", "field"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_REQUESTS],
)
def test_a_bad_request_gets_a_json_error_that_names_the_problem(api, world, method, path, build, status, field):
    path = path.format(**world)
    payload = build(world)
    response = api.get(path, payload) if method == "get" else getattr(api, method)(path, payload, format="json")

    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert isinstance(body["error"], str) and len(body["error"]) > 5
    if field:
        assert field in body["fields"], body


MALFORMED = [
    ("/api/v1/appointments", '{"patient": 1, "start": '),
    ("/api/v1/patients", "not json at all"),
    ("/api/v1/appointments/{appointment}/transitions", "[1, 2"),
]


@pytest.mark.parametrize(("path", "raw"), MALFORMED)
def test_malformed_json_is_a_400_saying_so(api, world, path, raw):
    response = api.post(path.format(**world), raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"].startswith("The request body is not valid JSON")


@pytest.mark.parametrize("body", [[1, 2], "a string", 42, None])
def test_a_json_body_that_is_not_an_object_is_a_400(api, body):
    response = api.post("/api/v1/appointments", json.dumps(body), content_type="application/json")

    assert response.status_code == 400
    assert "error" in response.json()


def test_a_form_encoded_body_is_refused_with_advice(api):
    response = api.post("/api/v1/patients", "mrn=x", content_type="text/plain")

    assert response.status_code == 415
    assert "application/json" in response.json()["error"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/slots"),
        ("get", "/api/v1/appointments"),
        ("post", "/api/v1/appointments"),
        ("get", "/api/v1/patients"),
        ("post", "/api/v1/patients"),
        ("get", "/api/v1/appointments/1"),
        ("post", "/api/v1/appointments/1/cancel"),
    ],
)
def test_an_unauthenticated_request_is_a_401_asking_for_a_token(client, method, path):
    response = getattr(client, method)(path)

    assert response.status_code == 401
    assert "Token" in response.json()["error"]
    assert response["WWW-Authenticate"] == "Token"


def test_a_wrong_token_is_a_401(client):
    response = client.get("/api/v1/appointments", headers={"Authorization": "Token not-a-real-token"})

    assert response.status_code == 401
    assert "token" in response.json()["error"]


@pytest.mark.parametrize(
    ("role", "method", "path"),
    [
        ("technologist", "post", "/api/v1/appointments"),
        ("radiologist", "post", "/api/v1/appointments/{appointment}/reschedule"),
        ("nurse", "post", "/api/v1/appointments/{appointment}/cancel"),
        ("technologist", "post", "/api/v1/patients"),
    ],
)
def test_a_role_without_the_permission_gets_a_403(world, role, method, path):
    client = client_for(StaffMemberFactory(role=role).user)

    response = getattr(client, method)(path.format(**world), {}, format="json")

    assert response.status_code == 403
    assert "role does not allow" in response.json()["error"]


def test_a_user_without_a_role_cannot_read_appointments(world):
    from tests.factories import UserFactory

    response = client_for(UserFactory()).get("/api/v1/appointments")

    assert response.status_code == 403
    assert response.json()["error"].startswith("Your role does not allow this")
