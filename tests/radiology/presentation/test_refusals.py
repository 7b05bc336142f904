"""A service's refusal on a page: next to the fields it names, or at the top of the form;
a forbidden one as the 403 page with its sentence. One helper each, for every page."""

import pytest
from django import forms
from django.test import RequestFactory

from radiology.errors import ServiceRefusal
from radiology.presentation.refusals import forbidden, show_on_form
from tests.factories import StaffMemberFactory


class ContactForm(forms.Form):
    phone = forms.CharField(required=False)
    email = forms.CharField(required=False)
    patient = forms.IntegerField(required=False, widget=forms.HiddenInput)


def _bound_form() -> ContactForm:
    form = ContactForm({"phone": "1", "email": "a@b.c", "patient": "3"})
    assert form.is_valid()
    return form


def test_a_refusal_goes_next_to_each_visible_field_it_names():
    form = _bound_form()

    show_on_form(form, ServiceRefusal("Check the contact.", code="invalid", fields={"phone": "Too short."}))

    assert form.errors == {"phone": ["Too short."]}


def test_a_refusal_about_a_hidden_or_absent_field_is_said_at_the_top_of_the_form():
    form = _bound_form()
    refusal = ServiceRefusal("Pick the patient again.", code="invalid", fields={"patient": "Gone.", "order": "No."})

    show_on_form(form, refusal)

    assert form.non_field_errors() == ["Pick the patient again."]
    assert "patient" not in form.errors


def test_a_refusal_without_fields_is_said_at_the_top_of_the_form():
    form = _bound_form()

    show_on_form(form, ServiceRefusal("The appointment is cancelled."))

    assert form.non_field_errors() == ["The appointment is cancelled."]


@pytest.mark.django_db
def test_the_403_page_says_what_the_role_may_not_do():
    request = RequestFactory().get("/schedule/")
    request.user = StaffMemberFactory(role="technologist").user

    response = forbidden(request, ServiceRefusal("Your role does not allow booking.", code="forbidden"))

    assert response.status_code == 403
    assert "Your role does not allow booking." in response.content.decode()
