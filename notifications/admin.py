from django.contrib import admin

from notifications.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["kind", "audience", "channel", "subject", "due_at", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel", "audience", "kind"]
    search_fields = ["subject", "idempotency_key", "provider_id"]
    date_hierarchy = "due_at"
    readonly_fields = [f.name for f in Message._meta.fields]

    def has_add_permission(self, request):
        return False

    # The outbox is the record of what was sent; a deleted row could be planned and sent again.
    def has_delete_permission(self, request, obj=None):
        return False
