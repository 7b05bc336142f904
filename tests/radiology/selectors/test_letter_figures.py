"""The dashboard's "result letters on time" (issue #20): of the letters due in the period, the
share sent by their due time; withdrawn letters (she died) do not count against it."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from radiology.selectors.letters import letters_on_time
from radiology.selectors.loops import loop_figures
from tests.factories import ResultLetterFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
START, END = datetime(2027, 2, 1, tzinfo=NY), datetime(2027, 3, 1, tzinfo=NY)


def letter(due, sent=None, **fields):
    extra = {"status": "sent", "channel": "link", "sent_at": sent} if sent else {}
    return ResultLetterFactory(due_at=due, **extra, **fields)


def test_letters_on_time_count_those_sent_by_their_due_time_among_those_due_in_the_period():
    due = START + timedelta(days=10)
    letter(due, sent=due - timedelta(days=3))  # on time
    letter(due, sent=due)  # on the due time itself: on time
    letter(due, sent=due + timedelta(hours=1))  # late
    letter(due)  # not sent
    letter(due, status="withdrawn", withdrawn_reason="The patient has died.")  # not counted
    letter(END + timedelta(days=1), sent=END)  # due after the period

    assert letters_on_time(start=START, end=END) == 50.0
    assert loop_figures(start=START, end=END, now=END).letters_on_time == 50.0


def test_no_letter_due_is_no_figure_not_zero():
    assert letters_on_time(start=START, end=END) is None
