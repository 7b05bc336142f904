"""Taking an appointment action in tests the way every door does: through run_action with
valid inputs for user actions, through perform_transition for the system's own steps."""

from decimal import Decimal

from radiology.services.action_table import ACTIONS
from radiology.services.actions import run_action
from radiology.services.transitions import perform_transition

CHECKLIST = {
    "identity_confirmed": True,
    "contrast_allergy_asked": True,
    "contrast_allergy_reported": False,
    "discharge_present_today": True,
    "not_expressed_last_48h": True,
    "consent_signed": True,
    "side_confirmed": True,
    # Asked at check-in (an answer given counts whatever the order and her age settle).
    "pregnancy": "not_pregnant",
    "breastfeeding": False,
}
# The same checklist as the check-in page posts it: ticks for confirmations, Yes/No answers
# for the questions to the patient.
CHECKLIST_FORM = {
    "identity_confirmed": "on",
    "contrast_allergy_reported": "no",
    "discharge_present_today": "yes",
    "expressed_last_48h": "no",
    "consent_signed": "on",
    "side_confirmed": "on",
    "pregnancy": "not_pregnant",
    "breastfeeding": "no",
}
VALID_INPUTS = {
    "check_in": {"checklist": CHECKLIST},
    "start": {},
    "exam_done": {},
    "complete": {"outcome": {"ducts": "single", "contrast_volume_ml": Decimal("1.5"), "complications": ["none"]}},
    "abort": {"reason_code": "could_not_cannulate"},
    "did_not_proceed": {"reason_code": "no_discharge"},
    "cancel": {"reason_code": "patient_request"},
    "no_show": {},
    "arrange_follow_up": {"plan": {"kind": "none", "reason": "Normal ductogram"}},
}


def take_action(appointment_id: int, action: str, actor, **overrides):
    if ACTIONS[action].url_name is None:
        return perform_transition(appointment_id=appointment_id, action=action, actor=actor)
    return run_action(
        appointment_id=appointment_id, action=action, actor=actor, inputs={**VALID_INPUTS[action], **overrides}
    )
