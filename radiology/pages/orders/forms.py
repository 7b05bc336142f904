"""Order forms. They shape input; radiology.services.orders checks the rules and saves."""

from django import forms
from django.forms.models import fields_for_model, model_to_dict

from radiology.models import Order

FACT_FIELDS = [
    "side",
    "indication",
    "indication_other",
    "discharge_colour",
    "discharge_ducts",
    "prior_imaging_kind",
    "prior_imaging_date",
    "prior_imaging_where",
    "pregnancy_status",
    "lactating",
    "priority",
    "referring_physician_family_name",
    "referring_physician_given_name",
    "referring_physician_phone",
    "referring_physician_npi",
]


class DateInput(forms.DateInput):
    input_type = "date"


class OrderFactsForm(forms.Form):
    """The clinical facts a scheduler may correct (the EHR's XO changes them too), with the
    model's own choices; saved through update_order."""

    def __init__(self, data=None, *, order: Order):
        super().__init__(data, initial=model_to_dict(order, fields=FACT_FIELDS))
        self.fields.update(
            fields_for_model(
                Order,
                fields=FACT_FIELDS,
                widgets={"side": forms.RadioSelect, "prior_imaging_date": DateInput},
                labels={
                    "prior_imaging_kind": "Prior imaging",
                    "prior_imaging_where": "Where",
                    "indication_other": "Other",
                },
            )
        )
