"""One entry point for a named action on an appointment, for every door that names actions
(the API's transitions endpoint, the workday's action pages, listeners, scripts).

The action table (radiology.services.action_table) says which inputs each action requires
and which service does it; run_action refuses a request without them (naming the missing
fields) before anything changes, then calls the row's service, which does the whole change.
There is no plain transition here: check-in always stores its checklist, completion its
outcome, follow-up its plan, and every ending its coded reason.
"""

from dataclasses import MISSING
from dataclasses import fields as dataclass_fields

from radiology.errors import ServiceRefusal
from radiology.services import workflow
from radiology.services.action_table import ACTIONS, NAMED_ACTIONS

# Required in a checklist: the confirmations (the questions have defaults: "not asked", and
# the service says when one must be asked).
CHECKLIST_FIELDS = [f.name for f in dataclass_fields(workflow.Checklist) if f.default is MISSING]

# How an input reaches its service, per kind of input (not per action): the checklist as
# the workflow's Checklist, an outcome's or a plan's parts as the service's own arguments.
# Any other input is passed by its name.
_AS_ARGUMENTS = {
    "checklist": lambda value: {"checklist": workflow.Checklist(**value)},
    "outcome": dict,
    "plan": dict,
}


def _missing(spec, inputs: dict) -> dict[str, str]:
    missing = {name: f"Required for {spec.name}." for name in spec.inputs if inputs.get(name) in (None, "", {}, [])}
    if "checklist" in spec.inputs and isinstance(inputs.get("checklist"), dict):
        missing.update(
            {f"checklist.{name}": "Required." for name in CHECKLIST_FIELDS if name not in inputs["checklist"]}
        )
    return missing


def _arguments(spec, inputs: dict) -> dict:
    arguments = {}
    for name in spec.body_fields:
        if name in inputs:
            as_arguments = _AS_ARGUMENTS.get(name, lambda value, name=name: {name: value})
            arguments.update(as_arguments(inputs[name]))
    if spec.reason_choices:
        arguments["note"] = inputs.get("note", "")
    return arguments


def run_action(*, appointment_id: int, action: str, actor, inputs: dict | None = None, now=None):
    """Take a named action with its inputs, or raise ServiceRefusal and change nothing.

    inputs: the row's `inputs` (required) and `optional_inputs`; a note goes with a
    coded reason (abort, did_not_proceed, cancel)."""
    inputs = inputs or {}
    if action not in NAMED_ACTIONS:
        raise ServiceRefusal(
            f"Unknown action “{action}”. Use one of: {', '.join(NAMED_ACTIONS)}.",
            code="invalid",
            fields={"action": f"One of: {', '.join(NAMED_ACTIONS)}."},
        )
    spec = ACTIONS[action]
    missing = _missing(spec, inputs)
    if missing:
        raise ServiceRefusal(f"“{action}” needs: {', '.join(missing)}.", code="invalid", fields=missing)
    return spec.service(appointment_id=appointment_id, actor=actor, now=now, **_arguments(spec, inputs))
