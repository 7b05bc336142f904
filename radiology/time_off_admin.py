"""Time off and closures, entered in the admin, against the appointments already booked.

The scheduling engine knows nothing of appointments, so the department wraps its admin: before
a time off, maintenance or closure is saved over booked appointments, the form lists them and
asks for a confirmation; once saved, those appointments are on the schedulers' to-do list
(radiology.selectors.scheduler_todo) until they are re-staffed or moved: as needing new staff,
with a one-click re-staff, when someone free can take over at the same time
(radiology.services.restaffing.offer_on_todo), else as needing a new time. A whole outage with
its appointments handled in one step is the outage page's (radiology.services.outages)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from radiology import selectors
from scheduling.admin import ResourceAdmin, UnavailabilityAdmin, UnavailabilityInline
from scheduling.clinic_time import to_local
from scheduling.models import Resource, Unavailability


class TimeOffForm(forms.ModelForm):
    confirm_affected = forms.BooleanField(
        required=False,
        label="Save anyway",
        help_text="The appointments listed then appear on the schedulers' to-do list: re-staffed in one click "
        "where someone free can take over at the same time, else to be moved.",
    )

    class Meta:
        model = Unavailability
        fields = ["resource", "kind", "start", "end", "reason"]

    def clean(self):
        data = super().clean()
        resource, start, end = data.get("resource"), data.get("start"), data.get("end")
        if not (resource and start and end and start < end) or data.get("confirm_affected"):
            return data
        affected = selectors.appointments_affected_by(resource_id=resource.pk, start=start, end=end)
        if affected:
            listed = "; ".join(
                f"{to_local(a.start):%a %d %b %H:%M} {a.room.name}, {a.patient.family_name} (#{a.pk})" for a in affected
            )
            raise ValidationError(
                f"{len(affected)} booked appointment(s) need {resource.name} then: {listed}. "
                "Tick “Save anyway” to save; they go on the schedulers' to-do list to be re-staffed or moved "
                "(or declare an outage from the to-do list, which handles them in one step)."
            )
        return data


class TimeOffInline(UnavailabilityInline):
    form = TimeOffForm


class DepartmentResourceAdmin(ResourceAdmin):
    inlines = [ResourceAdmin.inlines[0], TimeOffInline]


class TimeOffAdmin(UnavailabilityAdmin):
    form = TimeOffForm


admin.site.unregister(Resource)
admin.site.register(Resource, DepartmentResourceAdmin)
admin.site.unregister(Unavailability)
admin.site.register(Unavailability, TimeOffAdmin)
