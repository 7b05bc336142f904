"""The workday's action pages read the action table: every row with a page has its address
under /appointments/<id>/, and the page's form follows from the row's inputs (a reason row's
form lists exactly its reason codes)."""

from django.urls import reverse

from radiology.pages.workday import forms
from radiology.pages.workday.action_pages import CONFIRM, FORMS, form_for
from radiology.services.action_table import ACTIONS

ROWS_WITH_A_PAGE = [spec for spec in ACTIONS.values() if spec.path]


def test_every_row_with_a_page_has_its_address_title_and_done_sentence():
    assert {spec.name for spec in ROWS_WITH_A_PAGE} == {
        "check_in",
        "start",
        "exam_done",
        "complete",
        "abort",
        "did_not_proceed",
        "no_show",
        "arrange_follow_up",
    }
    for spec in ROWS_WITH_A_PAGE:
        assert reverse(f"radiology:{spec.url_name}", args=[5]) == f"/appointments/5/{spec.path}/"
        assert spec.title and "{name}" in spec.done, spec.name


def test_a_reason_rows_page_offers_exactly_its_reason_codes():
    for spec in ROWS_WITH_A_PAGE:
        if not spec.reason_choices:
            continue
        page = form_for(spec)
        form = page.form_class(initial=None, reason_choices=spec.reason_choices)
        offered = [code for code, _ in form.fields["reason_code"].choices if code]
        assert page.form_class is forms.ReasonForm and offered == list(spec.reason_choices.values), spec.name


def test_a_row_without_inputs_is_confirmed_with_its_button_and_one_with_inputs_gets_their_form():
    assert form_for(ACTIONS["no_show"]) is CONFIRM
    assert form_for(ACTIONS["check_in"]) is FORMS["checklist"]
    assert form_for(ACTIONS["start"]) is FORMS["radiologist"]
