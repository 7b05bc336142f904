"""A service's refusal at a page: on the form, or as the 403 page. Every page uses these two,
so a refusal reads the same wherever it happens (the API has its own mapper, to JSON)."""

from django.forms import HiddenInput
from django.shortcuts import render

from radiology.errors import ServiceRefusal


def show_on_form(form, refusal: ServiceRefusal) -> None:
    """Put the refusal next to the fields it names that the person can see and change, else
    its sentence at the top of the form (a hidden field's error would never be read)."""
    placed = False
    for name, text in refusal.fields.items():
        if name in form.fields and not isinstance(form.fields[name].widget, HiddenInput):
            form.add_error(name, str(text))
            placed = True
    if not placed:
        form.add_error(None, refusal.message)


def forbidden(request, refusal: ServiceRefusal | str):
    """The 403 page, saying what the role does not allow (Django's handler403 cannot: it is
    given no message)."""
    message = refusal.message if isinstance(refusal, ServiceRefusal) else refusal
    return render(request, "403.html", {"message": message}, status=403)
