"""A catalogue of bad requests: each gets a 4xx with a JSON body that says what to fix."""

import json
from datetime import date, timedelta

import pytest

from tests.factories import AppointmentFactory, PatientFactory, RoomFactory, StaffMemberFactory, a_weekday
from tests.radiology.interfaces.api.conftest import client_for

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


SLOTS, BOOK, PATIENTS = "/api/v1/slots", "/api/v1/appointments", "/api/v1/patients"
ONE = "/api/v1/appointments/{appointment}"
GHOST = "/api/v1/appointments/999999"
PATIENT = {"mrn": "X-12", "given_name": "A", "family_name": "B", "birth_date": "1980-01-01", "phone": "+12025550100"}


def patient(**changes):
    return lambda w: {k: v for k, v in {**PATIENT, **changes}.items() if v is not ...}


def slots(**changes):
    return lambda w: slot_query(w, **{k: v(w) if callable(v) else v for k, v in changes.items()})


def book(**changes):
    return lambda w: booking_body(w, **{k: v(w) if callable(v) else v for k, v in changes.items()})


def body(value):
    return lambda w: value(w) if callable(value) else value


YEARS_AHEAD = lambda w: (date.fromisoformat(w["day"]) + timedelta(days=3 * 365)).isoformat()  # noqa: E731
NAIVE = lambda w: w["start"][:19]  # noqa: E731 - 2026-03-02T10:00:00, no offset

# (what is wrong, method, path, body or query, expected status, field named in "fields" or None)
BAD_REQUESTS = [
    ("slots without a procedure", "get", SLOTS, slots(procedure=...), 400, "procedure"),
    ("slots for an unknown procedure", "get", SLOTS, slots(procedure="mri"), 400, "procedure"),
    ("slots with a text duration", "get", SLOTS, slots(duration="long"), 400, "duration"),
    ("slots with a 50-minute duration", "get", SLOTS, slots(duration="50"), 400, "duration"),
    ("slots with a bad date", "get", SLOTS, slots(start="02/03/2026"), 400, "start"),
    ("slots ending before they start", "get", SLOTS, slots(start="2026-03-10", end="2026-03-01"), 400, "end"),
    ("slots over 63 days", "get", SLOTS, slots(start="2026-03-01", end="2026-05-02"), 400, "end"),
    ("slots over millennia", "get", SLOTS, slots(start="0001-01-01", end="9999-12-31"), 400, "end"),
    ("slots with limit 0", "get", SLOTS, slots(limit="0"), 400, "limit"),
    ("slots with limit 1000", "get", SLOTS, slots(limit="1000"), 400, "limit"),
    ("slots for an unknown radiologist", "get", SLOTS, slots(radiologist="999999"), 400, "radiologist"),
    ("slots for a technologist", "get", SLOTS, slots(radiologist=lambda w: w["technologist"]), 400, "radiologist"),
    ("booking without a start", "post", BOOK, book(start=...), 400, "start"),
    ("booking an empty body", "post", BOOK, body({}), 400, "patient"),
    ("booking with a naive start", "post", BOOK, book(start=NAIVE), 400, "start"),
    ("booking with a date as start", "post", BOOK, book(start=lambda w: w["day"]), 400, "start"),
    ("booking with a number as start", "post", BOOK, book(start=12), 400, "start"),
    ("booking in the year 9999", "post", BOOK, book(start="9999-01-01T10:00:00Z"), 400, "start"),
    ("booking with a text patient id", "post", BOOK, book(patient="Ana"), 400, "patient"),
    ("booking for an unknown patient", "post", BOOK, book(patient=999999), 400, "patient"),
    ("booking an unknown procedure", "post", BOOK, book(procedure="mri"), 400, "procedure"),
    ("booking an unknown room", "post", BOOK, book(room=999999), 400, "room"),
    ("booking a list as room", "post", BOOK, book(room=[1]), 400, "room"),
    ("booking a radiologist as tech", "post", BOOK, book(technologist=lambda w: w["radiologist"]), 400, "technologist"),
    ("booking 60 minutes", "post", BOOK, book(duration=60), 400, "duration"),
    ("booking a text duration", "post", BOOK, book(duration="forty"), 400, "duration"),
    ("a patient without a first name", "post", PATIENTS, patient(given_name=...), 400, "given_name"),
    ("a patient with a bad MRN", "post", PATIENTS, patient(mrn="a b"), 400, "mrn"),
    ("a patient with an invalid phone", "post", PATIENTS, patient(phone="12345"), 400, "phone"),
    ("a patient with an invalid e-mail", "post", PATIENTS, patient(email="nope"), 400, "email"),
    ("a patient with a bad birth date", "post", PATIENTS, patient(birth_date="1980-13-45"), 400, "birth_date"),
    ("a patient born in the future", "post", PATIENTS, patient(birth_date="2999-01-01"), 400, "birth_date"),
    ("a patient without any contact", "post", PATIENTS, patient(phone=...), 400, "phone"),
    ("a patient search with one letter", "get", PATIENTS, body({"q": "a"}), 400, "q"),
    ("a patient search with an empty MRN", "get", PATIENTS, body({"mrn": ""}), 400, "mrn"),
    ("appointments on a bad date", "get", BOOK, body({"date": "yesterday"}), 400, "date"),
    ("appointments at the end of time", "get", BOOK, body({"date": "9999-12-31"}), 400, "date"),
    ("slots at the end of time", "get", SLOTS, slots(start="9999-12-31", end="9999-12-31"), 400, "start"),
    ("slots in year one", "get", SLOTS, slots(start="0001-01-01", end="0001-01-01"), 400, "start"),
    ("slots three years ahead", "get", SLOTS, slots(start=YEARS_AHEAD, end=YEARS_AHEAD), 400, "start"),
    ("a huge patient id", "post", BOOK, book(patient=10**25), 400, "patient"),
    ("a huge appointment id", "get", "/api/v1/appointments/" + "9" * 25, body(None), 404, None),
    ("a reschedule with a naive start", "post", ONE + "/reschedule", lambda w: {"start": NAIVE(w)}, 400, "start"),
    ("a cancel without a reason", "post", ONE + "/cancel", body({"note": "x"}), 400, "reason_code"),
    ("a cancel with a made-up reason", "post", ONE + "/cancel", body({"reason_code": "bored"}), 400, "reason_code"),
    ("an other reason without a note", "post", ONE + "/cancel", body({"reason_code": "other"}), 400, "note"),
    ("a transition without an action", "post", ONE + "/transitions", body({"note": "x"}), 400, "action"),
    ("an unknown transition", "post", ONE + "/transitions", body({"action": "teleport"}), 400, "action"),
    ("a system-only transition", "post", ONE + "/transitions", body({"action": "send_prep"}), 400, "action"),
    ("an unknown appointment", "get", GHOST, body(None), 404, None),
    ("rescheduling an unknown appointment", "post", GHOST + "/reschedule", lambda w: {"start": w["start"]}, 404, None),
    (
        "cancelling an unknown appointment",
        "post",
        GHOST + "/cancel",
        body({"reason_code": "patient_request"}),
        404,
        None,
    ),
    ("moving an unknown appointment", "post", GHOST + "/transitions", body({"action": "check_in"}), 404, None),
    ("an unknown patient", "get", "/api/v1/patients/999999", body(None), 404, None),
    ("an unknown endpoint", "get", "/api/v1/nothing-here", body(None), 404, None),
    ("a non-numeric id", "get", "/api/v1/appointments/abc", body(None), 404, None),
    ("a DELETE", "delete", ONE, body(None), 405, None),
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
