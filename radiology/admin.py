"""The admin is for looking, and for the department's reference data (rooms, staff).

Appointments, reservations and patients change only through the services that keep their
rules (no overlap, reminders withdrawn on cancel, a reachable patient): the admin shows them
read-only and links to the staff page that does the change. Nothing here deletes an
appointment: it is cancelled, which frees its time.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from radiology.models import (
    Appointment,
    AppointmentTransition,
    EscalationRule,
    FollowUpInterval,
    InterfaceMessage,
    LetterRule,
    Order,
    Patient,
    ResultLetter,
    Room,
    StaffMember,
)


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):
    list_display = ["mrn", "family_name", "given_name", "birth_date", "preferred_channel", "contrast_allergy"]
    search_fields = ["mrn", "family_name", "given_name"]
    list_filter = ["contrast_allergy", "preferred_channel", "language"]

    # Registration checks the MRN case-insensitively and that reminders can reach the patient:
    # patients are registered on the scheduler's page (or the API), and their contact details
    # corrected on the patient's page, through the services that keep those rules and move her
    # pending reminders to the new address. Demographics come from the hospital record (HL7).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "location", "ae_title", "resource"]

    # Booked reservations hang on the resource: moving a room to another resource would leave
    # its appointments on the old calendar.
    def get_readonly_fields(self, request, obj=None):
        return ["resource"] if obj else []


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ["__str__", "role", "resource"]
    list_filter = ["role"]
    list_select_related = ["user", "resource"]

    # As for rooms: the reservations of a radiologist's bookings hang on their resource.
    def get_readonly_fields(self, request, obj=None):
        return ["user", "resource"] if obj else []


class TransitionInline(admin.TabularInline):
    model = AppointmentTransition
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_status", "to_status", "actor", "at", "note"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    """Read-only here: appointments change only through the booking and workflow services."""

    list_display = ["pk", "start", "patient", "room", "radiologist", "technologist", "status"]
    list_filter = ["status", "room"]
    list_select_related = ["patient", "room", "radiologist__user", "technologist__user"]
    date_hierarchy = "start"
    search_fields = ["patient__mrn", "patient__family_name"]
    inlines = [TransitionInline]
    readonly_fields = ["change_on_staff_pages"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, *(f.name for f in self.model._meta.fields)]

    @admin.display(description="Change")
    def change_on_staff_pages(self, obj):
        return format_html(
            '<a href="{}">Open the appointment page</a> to reschedule or cancel it (cancelling frees its time).',
            reverse("radiology:appointment_detail", args=[obj.pk]),
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    # Deleting would leave the appointment's reservations holding the room and staff forever.
    def has_delete_permission(self, request, obj=None):
        return False


# --- orders and interface messages: read-only here; they change through radiology.services.orders


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["accession_number", "patient", "side", "indication", "priority", "status", "received_at"]
    list_filter = ["status", "priority", "side", "indication"]
    list_select_related = ["patient"]
    search_fields = ["accession_number", "placer_order_number", "patient__mrn", "patient__family_name"]
    date_hierarchy = "received_at"


@admin.register(InterfaceMessage)
class InterfaceMessageAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "sender", "message_type", "control_id", "order_control", "outcome"]
    list_filter = ["outcome", "message_type"]
    search_fields = ["control_id", "sender"]
    date_hierarchy = "received_at"


# --- closing the loop (issue 20): the two settings tables managers edit ---------------------


@admin.register(FollowUpInterval)
class FollowUpIntervalAdmin(admin.ModelAdmin):
    """Weeks from the signed report to a recommendation's due date (repeat ductogram and MRI:
    the radiologist's interval in the report wins when she gives one)."""

    list_display = ["kind", "weeks"]
    list_editable = ["weeks"]


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    """When each escalation step happens: days after a follow-up's due date (or a missed visit),
    at a local time. A change applies to loops opened afterwards."""

    list_display = ["loop", "step", "days_after", "local_time", "active"]
    list_editable = ["days_after", "local_time", "active"]
    list_filter = ["loop"]


from radiology import time_off_admin  # noqa: E402, F401 - wraps the scheduling admin with the appointments it affects


@admin.register(LetterRule)
class LetterRuleAdmin(admin.ModelAdmin):
    """When a result letter is due, per assessment: managers change the days here. One row
    per BI-RADS assessment, made by the migration; none is added or removed."""

    list_display = ["assessment", "due_within_days"]
    list_editable = ["due_within_days"]
    list_display_links = None
    fields = ["assessment", "due_within_days"]
    readonly_fields = ["assessment"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ResultLetter)
class ResultLetterAdmin(admin.ModelAdmin):
    """Letters are sent and marked posted on the letters pages (radiology.services.letters)."""

    list_display = ["report", "patient", "status", "due_at", "channel", "sent_at", "posted_at"]
    list_filter = ["status", "channel"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
