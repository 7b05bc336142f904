from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from radiology.models import Appointment, AppointmentTransition, InterfaceMessage, Order, Patient, Room, StaffMember


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):
    list_display = ["mrn", "family_name", "given_name", "birth_date", "preferred_channel", "contrast_allergy"]
    search_fields = ["mrn", "family_name", "given_name"]
    list_filter = ["contrast_allergy", "preferred_channel", "language"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "location", "ae_title", "resource"]


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ["__str__", "role", "resource"]
    list_filter = ["role"]
    list_select_related = ["user", "resource"]


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

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
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
