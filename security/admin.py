from django.contrib import admin

from security.models import AccessLogEntry, ApiToken


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    """Append-only: shown, never changed or deleted here (the retention purge deletes)."""

    list_display = ["at", "username", "patient", "what", "ip_address"]
    list_filter = ["what"]
    search_fields = ["username", "patient__mrn"]
    list_select_related = ["patient"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by `manage.py issue_api_token` (shown once); revoke here or by command."""

    list_display = ["user", "name", "token_key", "created", "expiry", "last_used_at"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "token_key", "created", "expiry", "last_used_at"]
    exclude = ["digest"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
