from django.contrib import admin

from contacts.models import Contact, MergeRecord, Organization
from crm.admin import InputRulesAdminMixin
from customfields.forms import custom_after, with_custom_fields


class CustomFieldsAdminMixin:
    """The record's custom fields on its admin page, saved into `custom` (values of archived
    fields, which the page does not show, are kept)."""

    custom_kind = ""

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = with_custom_fields(
            self.form,  # type: ignore[attr-defined]
            kind=self.custom_kind,
            user=request.user,
            custom=obj.custom if obj else None,
        )
        return super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]

    def save_model(self, request, obj, form, change):
        obj.custom = custom_after(form, obj.custom)
        super().save_model(request, obj, form, change)  # type: ignore[misc]


@admin.register(Organization)
class OrganizationAdmin(CustomFieldsAdminMixin, InputRulesAdminMixin, admin.ModelAdmin):
    custom_kind = "organization"
    list_display = ["name", "sector", "country", "employees", "parent", "owner", "updated_at"]
    list_filter = ["sector", "country"]
    list_select_related = ["parent", "owner"]
    search_fields = ["name"]
    autocomplete_fields = ["parent", "owner"]


@admin.register(Contact)
class ContactAdmin(CustomFieldsAdminMixin, InputRulesAdminMixin, admin.ModelAdmin):
    custom_kind = "contact"
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
