from django.contrib import admin

from contacts.models import Contact, MergeRecord, Organization
from crm.admin import InputRulesAdminMixin


@admin.register(Organization)
class OrganizationAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    list_display = ["name", "sector", "country", "employees", "parent", "owner", "updated_at"]
    list_filter = ["sector", "country"]
    list_select_related = ["parent", "owner"]
    search_fields = ["name"]
    autocomplete_fields = ["parent", "owner"]


@admin.register(Contact)
class ContactAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "organization", "job_title", "email", "phone", "owner"]
    list_select_related = ["organization", "owner"]
    search_fields = ["first_name", "last_name", "email", "organization__name"]
    autocomplete_fields = ["organization", "owner"]


@admin.register(MergeRecord)
class MergeRecordAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    """Merges are history: read them here, make them from a record's page."""

    list_display = ["merged_at", "kind", "removed_label", "organization", "contact", "merged_by"]
    list_filter = ["kind"]
    list_select_related = ["organization", "contact", "merged_by"]
    search_fields = ["removed_label"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
