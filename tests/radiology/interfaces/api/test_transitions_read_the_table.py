"""The API's transitions endpoint reads the action table: the actions it accepts, the body
fields that go with each and the reason codes each takes are the rows', with no copy here."""

import pytest

from radiology.interfaces.api.serializers import TransitionInputSerializer
from radiology.services.action_table import ACTIONS, NAMED_ACTIONS

pytestmark = pytest.mark.django_db
REASON_ACTIONS = [name for name in NAMED_ACTIONS if ACTIONS[name].reason_choices]


def test_the_api_accepts_exactly_the_actions_the_table_names():
    assert list(TransitionInputSerializer().fields["action"].choices) == NAMED_ACTIONS


@pytest.mark.parametrize("action", REASON_ACTIONS)
def test_each_action_takes_its_own_rows_reason_codes_and_no_others(action):
    own = set(ACTIONS[action].reason_choices.values)
    others = {code for name in REASON_ACTIONS for code in ACTIONS[name].reason_choices.values} - own

    for code in own:
        assert TransitionInputSerializer(data={"action": action, "reason_code": code}).is_valid(), code
    for code in others:
        serializer = TransitionInputSerializer(data={"action": action, "reason_code": code})
        assert not serializer.is_valid() and "reason_code" in serializer.errors, code


def test_a_body_field_goes_only_with_the_actions_whose_rows_take_it():
    serializer = TransitionInputSerializer(data={"action": "no_show", "reason_code": "other"})

    assert not serializer.is_valid()
    assert serializer.errors["reason_code"] == ["reason_code goes with abort or did_not_proceed or cancel only."]
