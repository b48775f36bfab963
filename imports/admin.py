from django.contrib import admin

from crm.admin import InputRulesAdminMixin
from imports.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    """Imports are made and read on /imports/; here they are only looked up for support."""

    list_display = [
        "created_at",
        "kind",
        "original_name",
        "uploaded_by",
        "status",
        "processed_rows",
        "total_rows",
        "rejected_count",
    ]
    list_filter = ["kind", "status"]
    list_select_related = ["uploaded_by"]
    search_fields = ["original_name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
