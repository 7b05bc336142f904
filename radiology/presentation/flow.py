"""The patient's flow through the department, as the day list and the dashboard show it.

The appointment's state machine has twelve states, most of them about messages; the people
running the day think in six steps (scheduled, arrived, in procedure, done, incomplete, did
not proceed) plus the two ways a patient never comes (cancelled, no-show). This module is the
one place that decides each state's colour and grouping, for every page that shows a state. One colour per flow state,
used by the day list, the badges and the dashboard's charts alike; static/css/app.css carries
the same colours as `.flow-<key>` classes (a test keeps the two in step). Each colour holds
white text at 4.5:1 or better (WCAG AA).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class FlowState:
    key: str
    label: str
    colour: str  # background, white text on it
    meaning: str  # for the legend


FLOW_STATES = {
    state.key: state
    for state in (
        FlowState("scheduled", "Scheduled", "#0a58ca", "booked; not here yet"),
        FlowState("arrived", "Arrived", "#6f42c1", "checked in, waiting"),
        FlowState("in_procedure", "In procedure", "#a34400", "in the room now"),
        FlowState("done", "Done", "#146c43", "exam done (outcome to record, follow-up may follow)"),
        # Begun and stopped: contrast may have been given, so it is not "did not proceed".
        FlowState("incomplete", "Incomplete", "#7a3b00", "started, then stopped early (contrast may have been given)"),
        FlowState("did_not_proceed", "Did not proceed", "#b02a37", "came but the procedure was not done"),
        FlowState("cancelled", "Cancelled", "#5c636a", "will not come; the time is free"),
        FlowState("no_show", "No-show", "#495057", "did not come"),
    )
}

_BY_STATUS = {
    "booked": "scheduled",
    "prep_sent": "scheduled",
    "reminded": "scheduled",
    "checked_in": "arrived",
    "in_procedure": "in_procedure",
    "performed": "done",
    "completed": "done",
    "follow_up": "done",
    "incomplete": "incomplete",
    "did_not_proceed": "did_not_proceed",
    "cancelled": "cancelled",
    "no_show": "no_show",
}

# Colours for things that are not flow states, listed in the day list's legend too.
LATE_COLOUR = "#b02a37"
ALLERGY_COLOUR = "#b02a37"
NOW_COLOUR = "#d63384"


def flow_state(status: str) -> FlowState:
    """Any other ending (e.g. a new "did not proceed" status) reads as did not proceed."""
    return FLOW_STATES[_BY_STATUS.get(status, "did_not_proceed")]


def status_badge_class(status: str) -> str:
    """The one rule for a state's colour wherever a state is shown (badges, the week grid, the
    day list, the charts): its flow state's. Its label is the state's own (AppointmentStatus)."""
    return f"flow-{flow_state(status).key}"
