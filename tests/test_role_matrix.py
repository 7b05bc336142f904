"""Who may open what: every staff URL, read from the URL configuration, tried as every role,
as a logged-in user with no role, and as nobody, against one table.

A view added without an entry here fails; a view whose permission check is removed lets the
role-less user in and fails. The table is the department's access policy in one place."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import AppointmentFactory, RoomFactory, StaffMemberFactory, UserFactory

pytestmark = pytest.mark.django_db

S, T, N, R, M = "scheduler", "technologist", "nurse", "radiologist", "manager"
STAFF = {S, T, N, R, M}
ROLES = [S, T, N, R, M, "no role"]

# url name → roles allowed (GET and POST alike; the API lists its own per method).
ACCESS = {
    "radiology:home": STAFF | {"no role"},
    "radiology:appointment_list": STAFF,
    "radiology:appointment_detail": STAFF,
    "radiology:schedule_search": {S, M},
    "radiology:schedule_book": {S, M},
    "radiology:schedule_booked": STAFF,
    "radiology:schedule_patient_search": STAFF,
    "radiology:schedule_patient_new": {S, M},
    "radiology:schedule_week_first": STAFF,
    "radiology:schedule_week": STAFF,
    "radiology:scheduler_todo": {S, M},
    "radiology:scheduler_todo_note": {S, M},
    "radiology:scheduler_todo_patient_note": {S, M},
    "radiology:patient_search": STAFF,
    "radiology:patient_detail": STAFF,
    "radiology:patient_contact": {S, M},
    "radiology:patient_needs": {S, T, N, M},  # whoever books her or checks her in
    "radiology:patient_waiting_list": {S, M},
    "radiology:appointment_reschedule": {S, M},
    "radiology:appointment_cancel": {S, M},
    "radiology:appointment_restaff": {S, M},
    "radiology:outage": {S, M},
    "radiology:day_list": STAFF,
    "radiology:day_list_for": STAFF,
    "radiology:radiologist_list": {T, N, R},  # My list: performers record their outcomes there
    "radiology:check_in": {T, N},
    "radiology:patient_label": {"GET": {T, N}},  # printed at check-in
    "radiology:wristband": {"GET": {T, N}},
    "radiology:did_not_proceed": {T, N},
    "radiology:start_procedure": {T, N, R},
    "radiology:exam_done": {T, N, R},
    "radiology:complete_procedure": {T, N, R},
    "radiology:correct_outcome": {T, N, R},
    "radiology:abort_procedure": {T, N, R},
    "radiology:no_show": {S, T, N},
    "radiology:follow_up": {R},
    "radiology:reports_to_write": {R},
    "radiology:report": {R},
    "radiology:report_addendum": {"POST": {R}},
    "radiology:dashboard": {M},
    "radiology:dashboard_export": {M},
    "radiology:lost_to_follow_up": {M},
    "radiology:follow_up_update": {S, M},
    "radiology:scheduler_todo_step_done": {S, M},
    "radiology:order_queue": {S, M},
    "radiology:order_detail": STAFF,
    "radiology:order_edit": {S, M},
    "radiology:order_cancel": {S, M},
    "radiology:order_invite": {"POST": {S, M}},
    "radiology:scheduler_todo_invitation_done": {"POST": {S, M}},
    "radiology:sms_inbox": {S, M},
    "radiology:sms_inbox_reply": {"POST": {S, M}},
    "radiology:sms_inbox_handled": {"POST": {S, M}},
    "radiology:interface_messages": {S, M},
    "radiology:interface_message": {S, M},
    "dicom:needs_attention": {T, N, R},
    "dicom:complete_step": {T, N, R},
    "dicom:link_step": {T, N, R},
    "dicom:dismiss_step": {T, N, R},
    "calendar_feeds:calendars": {T, N, R, M},
    "calendar_feeds:my_feed": {"POST": {T, N, R}},
    "calendar_feeds:room_feed": {"POST": {M}},
    "security:access_log": {M},
    "security:lockouts": {M},
    "security:unlock": {M},
    "radiology:letters": {S, M},
    "radiology:letter_print_queue": {S, M},
    "radiology:letter_send": {S, M},
    "radiology:letter_posted": {S, M},
    "radiology:letter_pdf": STAFF,
    "notifications:problems": {S, M},
    "notifications:send_again": {M},
    # The API's schema and documentation: any signed-in user (a token or a session), no role needed.
    "api:schema": {"GET": STAFF | {"no role"}},
    "api:docs": {"GET": STAFF | {"no role"}},
    "api:redoc": {"GET": STAFF | {"no role"}},
    "api:slots": {"GET": STAFF},
    "api:patients": {"GET": STAFF, "POST": {S, M}},
    "api:patient": {"GET": STAFF},
    "api:patient_needs": {"PUT": {S, T, N, M}},
    "api:appointments": {"GET": STAFF, "POST": {S, M}},
    "api:appointment": {"GET": STAFF},
    "api:follow_ups": {"GET": STAFF},
    "api:waiting_list": {"POST": {S, M}, "DELETE": {S, M}},
    "api:reschedule": {"POST": {S, M}},
    "api:cancel": {"POST": {S, M}},
    "api:restaff": {"GET": STAFF, "POST": {S, M}},
    "api:transitions": {"POST": STAFF},
    "api:outcome_correction": {"POST": {T, N, R}},
    "api:report": {"POST": {R}},
    "api:report_addendum": {"POST": {R}},
    "api:letters": {"GET": STAFF},
    "api:letter_pdf": {"GET": STAFF},
    # FHIR R4 (its routes are tried with resource type Appointment and the appointment's id).
    "fhir:search": {"GET": STAFF},
    "fhir:read": {"GET": STAFF},
    "fhir:find": {"GET": STAFF, "POST": STAFF},
    "fhir:book": {"POST": {S, M}},
    "fhir:hold": {"POST": {S, M}},
    "fhir:cancel": {"POST": {S, M}},
}
# Not staff pages: the login itself, the patient's signed link.
# The calendar feed is opened by a calendar application with the secret in its address.
PUBLIC = {"login", "logout", "api:not_found", "calendar_feeds:feed"}
# FHIR clients discover the server before they log in; unknown FHIR paths are 404 for anyone.
PUBLIC |= {"fhir:metadata", "fhir:operation", "fhir:not_found"}
# The SMS gateway's inbound webhooks: public but signed (a forged one is 403; tests/radiology/interfaces/sms).
PUBLIC |= {"sms:inbound", "sms:inbound_twilio"}
# Her own unlock link: asked for on the refused log-in page, opened from her e-mail.
PUBLIC |= {"unlock_login_request", "unlock_login"}
# Monitoring: /healthz for load balancers, /metrics behind METRICS_TOKEN; tests/ops.
PUBLIC |= {"healthz", "metrics"}


def _staff_urls():
    def walk(resolver, prefix, namespace):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                ns = ":".join(filter(None, [namespace, pattern.namespace])) if pattern.namespace else namespace
                yield from walk(pattern, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield ":".join(filter(None, [namespace, pattern.name])), prefix + str(pattern.pattern)

    for name, route in walk(get_resolver(), "", ""):
        if name.startswith(("admin:", "radiology:portal:")) or name in PUBLIC:
            continue
        yield name, route


STAFF_URLS = dict(_staff_urls())


def test_every_staff_url_is_in_the_access_table():
    assert set(STAFF_URLS) == set(ACCESS)


def _path(route: str, appointment, room) -> str:
    path = "/" + route.replace("<int:pk>", str(appointment.pk)).replace("<int:room_id>", str(room.pk)).replace(
        "<str:day>", appointment.local_start.date().isoformat()
    ).replace("^", "")
    # FHIR routes: a regex's closing "$" goes, an operation's "$find" stays.
    path = path.replace("<str:resource_type>", "Appointment").replace("<str:resource_id>", str(appointment.pk))
    return path.removesuffix("$")


def _refused(response, anonymous: bool) -> bool:
    if response.status_code in (401, 403):
        return True
    return anonymous and response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", sorted(ACCESS))
def test_each_role_gets_exactly_what_the_table_allows(client, name):
    appointment = AppointmentFactory(status="booked")
    room = RoomFactory()
    path = _path(STAFF_URLS[name], appointment, room)
    allowed = ACCESS[name]
    per_method = allowed if isinstance(allowed, dict) else {"GET": allowed, "POST": allowed}
    users = {role: StaffMemberFactory(role=role).user for role in ROLES if role != "no role"}
    users["no role"] = UserFactory()
    wrong = []
    for method, roles in per_method.items():
        send = {"GET": client.get, "POST": client.post, "PUT": client.put, "DELETE": client.delete}[method]
        client.logout()
        response = send(path)
        if response.status_code != 405 and not _refused(response, anonymous=True):
            wrong.append(f"anonymous {method} was let in")
        for role in ROLES:
            client.force_login(users[role])
            response = send(path)
            if response.status_code == 405:
                continue  # the view does not take this method
            if _refused(response, anonymous=False) == (role in roles):
                wrong.append(f"{role} {method} → {response.status_code}")
    assert not wrong, f"{name} ({path}): " + "; ".join(wrong)
