from django.contrib import admin

from crm.admin import InputRulesAdminMixin
from notes.models import Attachment, Note


@admin.register(Note)
class NoteAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "deal", "organization", "contact", "author", "created_at"]
    list_select_related = ["deal", "organization", "contact", "author"]
    raw_id_fields = ["deal", "organization", "contact", "author"]
    search_fields = ["body"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(Attachment)
class AttachmentAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    """Files are added and deleted on their subject's page (checked and streamed there)."""

    list_display = ["original_name", "content_type", "size", "deal", "uploaded_by", "created_at"]
    list_select_related = ["deal", "uploaded_by"]
    readonly_fields = ["file", "original_name", "content_type", "size", "uploaded_by", "created_at"]
    raw_id_fields = ["deal", "organization", "contact"]
    search_fields = ["original_name"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False
