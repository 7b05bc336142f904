from django.contrib import admin

from scheduling.models import Capability, Reservation, Resource, Unavailability, WorkingHours


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class UnavailabilityInline(admin.TabularInline):
    model = Unavailability
    extra = 0


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "active"]
    list_filter = ["kind", "active", "capabilities"]
    search_fields = ["name"]
    filter_horizontal = ["capabilities"]
    inlines = [WorkingHoursInline, UnavailabilityInline]


@admin.register(Unavailability)
class UnavailabilityAdmin(admin.ModelAdmin):
    list_display = ["resource", "kind", "start", "end", "reason"]
    list_filter = ["kind", "resource"]
    date_hierarchy = "start"


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    list_display = ["resource", "start", "end", "holder", "active"]
    list_filter = ["active", "resource"]
    date_hierarchy = "start"
    # Reservations change only through the booking services: deleting or releasing one here
    # would let a second booking into the same room, radiologist and time.
    readonly_fields = ["resource", "start", "end", "holder", "active", "created_at", "released_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(Capability)
