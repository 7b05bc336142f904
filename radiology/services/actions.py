"""One entry point for a named action on an appointment, for every door that names actions
(the API's transitions endpoint, listeners, scripts). Pages call the same services directly.

The action table (radiology.services.action_table) says which inputs each action requires;
run_action refuses a request without them (naming the missing fields) before anything
changes, then calls the one service that does the whole change. There is no plain
transition here: check-in always stores its checklist, completion its outcome, follow-up its
plan, and every ending its coded reason.
"""

from dataclasses import fields as dataclass_fields

from radiology.errors import AppointmentActionError
from radiology.services import cancellation, workflow
from radiology.services.action_table import ACTIONS, USER_ACTIONS

CHECKLIST_FIELDS = [f.name for f in dataclass_fields(workflow.Checklist)]


def _missing(spec, inputs: dict) -> dict[str, str]:
    missing = {name: f"Required for {spec.name}." for name in spec.inputs if inputs.get(name) in (None, "", {}, [])}
    if "checklist" in spec.inputs and isinstance(inputs.get("checklist"), dict):
        missing.update(
            {f"checklist.{name}": "Required." for name in CHECKLIST_FIELDS if name not in inputs["checklist"]}
        )
    return missing


def run_action(*, appointment_id: int, action: str, actor, inputs: dict | None = None, now=None):
    """Take a named action with its inputs, or raise AppointmentActionError and change nothing.

    inputs: checklist (check_in), outcome (complete), reason_code + note (abort,
    did_not_proceed, cancel), plan (arrange_follow_up), radiologist + technologist (start,
    optional: default the booked ones)."""
    inputs = inputs or {}
    if action not in USER_ACTIONS or ACTIONS[action].transition is None:
        choices = [name for name in USER_ACTIONS if ACTIONS[name].transition]
        raise AppointmentActionError(
            f"Unknown action “{action}”. Use one of: {', '.join(choices)}.",
            code="invalid",
            fields={"action": f"One of: {', '.join(choices)}."},
        )
    spec = ACTIONS[action]
    missing = _missing(spec, inputs)
    if missing:
        raise AppointmentActionError(f"“{action}” needs: {', '.join(missing)}.", code="invalid", fields=missing)
    common = {"appointment_id": appointment_id, "actor": actor, "now": now}
    reason = {"reason_code": inputs.get("reason_code", ""), "note": inputs.get("note", "")}
    if action == "check_in":
        return workflow.check_in_patient(**common, checklist=workflow.Checklist(**inputs["checklist"]))
    if action == "start":
        return workflow.start_procedure(
            **common, radiologist=inputs.get("radiologist"), technologist=inputs.get("technologist")
        )
    if action == "complete":
        return workflow.complete_procedure(**common, **inputs["outcome"])
    if action == "abort":
        return workflow.abort_procedure(**common, **reason)
    if action == "did_not_proceed":
        return workflow.record_not_proceeded(**common, **reason)
    if action == "cancel":
        return cancellation.cancel_appointment(**common, **reason)
    if action == "no_show":
        return cancellation.mark_no_show(**common)
    return workflow.arrange_follow_up(**common, **inputs["plan"])
