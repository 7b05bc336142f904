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
from django.db import transaction
from django.utils import timezone

from radiology import selectors
from radiology.services import offer_rounds
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


class OffersFreedTime:
    """Time off that ends early, starts late or is removed gives hours back: they are offered
    to the waiting list (radiology.services.offer_rounds), in the save's transaction."""

    def save_model(self, request, obj, form, change):
        old = _period(obj.pk)
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if old:
                offer_rounds.on_time_off_shortened(old=old, new=(obj.start, obj.end), now=timezone.now())

    def delete_model(self, request, obj):
        old = _period(obj.pk)
        with transaction.atomic():
            super().delete_model(request, obj)
            if old:
                offer_rounds.on_time_off_shortened(old=old, new=None, now=timezone.now())


def _period(pk):
    if pk is None:
        return None
    return Unavailability.objects.filter(pk=pk).values_list("start", "end").first()


class TimeOffInline(UnavailabilityInline):
    form = TimeOffForm


class DepartmentResourceAdmin(ResourceAdmin):
    inlines = [ResourceAdmin.inlines[0], TimeOffInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not Unavailability:
            return super().save_formset(request, form, formset, change)
        before = {f.instance.pk: _period(f.instance.pk) for f in formset.initial_forms if f.instance.pk}
        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            now = timezone.now()
            for pk, old in before.items():
                if old:
                    new = Unavailability.objects.filter(pk=pk).values_list("start", "end").first()
                    if new != old:
                        offer_rounds.on_time_off_shortened(old=old, new=new, now=now)


class TimeOffAdmin(OffersFreedTime, UnavailabilityAdmin):
    form = TimeOffForm


admin.site.unregister(Resource)
admin.site.register(Resource, DepartmentResourceAdmin)
admin.site.unregister(Unavailability)
admin.site.register(Unavailability, TimeOffAdmin)
