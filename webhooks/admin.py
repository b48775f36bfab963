from django.contrib import admin

from crm.admin import InputRulesAdminMixin
from webhooks.models import OutboxEvent, Webhook, WebhookDelivery


@admin.register(Webhook)
class WebhookAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    """Webhooks are registered by their owners in the app, where admins also see, disable and
    enable everyone's; here they are read for support. The secret is never shown (only its
    owner saw it, once)."""

    list_display = ["url", "owner", "active", "consecutive_failures", "disabled_at", "created_at"]
    list_filter = ["active"]
    list_select_related = ["owner"]
    search_fields = ["url", "description", "owner__username"]
    fields = [
        "owner",
        "url",
        "description",
        "events",
        "active",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "created_at",
    ]
    readonly_fields = [
        "owner",
        "url",
        "events",
        "active",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "created_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False


class ReadOnlyAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    """Written by the dispatcher and the delivery tasks; admin only reads them."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "object_kind", "object_id", "created_at", "fanned_out_at"]
    list_filter = ["name", "object_kind", ("fanned_out_at", admin.EmptyFieldListFilter)]
    search_fields = ["=uuid", "=object_id"]
    date_hierarchy = "created_at"


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "uuid",
        "webhook",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status"]
    list_select_related = ["webhook", "event"]
    search_fields = ["=uuid", "webhook__url"]
    raw_id_fields = ["webhook", "event"]
