from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail, read-only: nobody adds, changes or deletes an event, not even here."""

    list_display = ["id", "at", "actor_username", "remote_addr", "action", "patient_id", "summary"]
    list_filter = ["action", "at"]
    search_fields = ["actor_username", "=patient_id"]
    date_hierarchy = "at"
    ordering = ["-id"]
    readonly_fields = [
        "at",
        "actor",
        "actor_username",
        "remote_addr",
        "action",
        "patient_id",
        "object_type",
        "object_id",
        "summary",
        "detail",
        "seq",
        "prev_hash",
        "hash",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
