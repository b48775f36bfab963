from django.contrib import admin

from activities.models import Activity, Delivery, Digest, Notification, Reminder
from crm.admin import InputRulesAdminMixin


class ReminderInline(InputRulesAdminMixin, admin.TabularInline):
    model = Reminder
    fields = ("remind_at", "recipient", "state", "attempts", "queued_at", "sent_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Activity)
class ActivityAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    list_display = ["subject", "type", "deal", "lead", "assignee", "due_date", "due_at", "done"]
    list_filter = ["type", "done", "due_date"]
    list_select_related = ["deal", "lead", "assignee"]
    search_fields = [
        "subject",
        "deal__title",
        "lead__title",
        "assignee__username",
        "assignee__last_name",
    ]
    autocomplete_fields = ["deal", "lead", "assignee"]
    date_hierarchy = "due_date"
    # Reminders follow from the due time and offset only when changed through the app's
    # services; admin edits of those fields are read-only to keep the two in step.
    readonly_fields = ["due_date", "due_at", "reminder_offset", "done", "done_at", "created_by"]
    inlines = [ReminderInline]


class DeliveryInline(InputRulesAdminMixin, admin.TabularInline):
    model = Delivery
    fields = ("channel", "delivered_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Reminder)
class ReminderAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    """Reminders are written by the dispatcher; admin shows them for support, read-only."""

    list_display = ["id", "activity", "recipient", "remind_at", "state", "attempts", "sent_at"]
    list_filter = ["state"]
    list_select_related = ["activity", "recipient"]
    search_fields = ["activity__subject", "recipient__username"]
    date_hierarchy = "remind_at"
    inlines = [DeliveryInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    list_display = ["text", "recipient", "created_at", "read_at"]
    list_filter = [("read_at", admin.EmptyFieldListFilter)]
    list_select_related = ["recipient"]
    search_fields = ["text", "recipient__username"]
    raw_id_fields = ["reminder", "deal", "lead", "activity"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Digest)
class DigestAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    list_display = ["recipient", "day", "state", "attempts", "queued_at", "sent_at"]
    list_filter = ["state", "day"]
    list_select_related = ["recipient"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
