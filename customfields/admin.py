from django.contrib import admin, messages
from django.db.models import QuerySet
from django.utils import timezone

from crm.admin import InputRulesAdminMixin
from customfields.models import FieldDefinition


class ArchivedFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("archived", "Archived")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(archived_at__isnull=True)
        if self.value() == "archived":
            return queryset.filter(archived_at__isnull=False)
        return queryset


@admin.register(FieldDefinition)
class FieldDefinitionAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    """Custom fields of deals, organizations and contacts.

    "Delete" archives a field: it disappears from forms, pages, filters, exports and the API,
    but every deal, organization or contact keeps its value, and "Restore" brings the field
    back with them. Key and type are fixed once a field exists (the stored values follow them).
    """

    list_display = [
        "label",
        "kind",
        "key",
        "type",
        "required",
        "show_on_card",
        "order",
        "is_active",
    ]
    list_display_links = ["label"]
    list_editable = ["order"]
    list_filter = ["kind", "type", ArchivedFilter]
    search_fields = ["label", "key"]
    ordering = ["kind", "order", "id"]
    actions = ["archive", "restore"]
    fields = [
        "kind",
        "key",
        "label",
        "type",
        "choices",
        "required",
        "order",
        "help_text",
        "show_on_card",
        "archived_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["archived_at"]
        return ["kind", "key", "type", "archived_at"]

    @admin.display(boolean=True, description="active")
    def is_active(self, obj: FieldDefinition) -> bool:
        return not obj.is_archived

    @admin.action(description="Archive selected fields (their values are kept)")
    def archive(self, request, queryset: QuerySet[FieldDefinition]) -> None:
        count = queryset.filter(archived_at__isnull=True).update(archived_at=timezone.now())
        self.message_user(request, f"Archived {count} field(s); their values are kept.")

    @admin.action(description="Restore selected fields with their values")
    def restore(self, request, queryset: QuerySet[FieldDefinition]) -> None:
        count = queryset.filter(archived_at__isnull=False).update(archived_at=None)
        self.message_user(request, f"Restored {count} field(s) with their values.")

    def delete_model(self, request, obj: FieldDefinition) -> None:
        # The delete button archives: the values stay in the rows and come back on restore.
        if obj.archived_at is None:
            obj.archived_at = timezone.now()
            obj.save(update_fields=["archived_at"])
        messages.info(request, f"“{obj.label}” is archived, not erased: restore it any time.")

    def delete_queryset(self, request, queryset: QuerySet[FieldDefinition]) -> None:
        # "Delete selected" archives too.
        queryset.filter(archived_at__isnull=True).update(archived_at=timezone.now())
