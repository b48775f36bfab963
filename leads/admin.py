from django.contrib import admin
from django.utils.html import format_html

from crm.admin import InputRulesAdminMixin
from leads import services
from leads.models import Lead, LeadLabel, LeadSource


@admin.register(LeadSource)
class LeadSourceAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    list_display = ["name", "weight", "is_active"]
    list_editable = ["weight", "is_active"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Stored scores carry the source's weight and name: open leads follow at once.
        if change and {"name", "weight"} & set(form.changed_data):
            services.lead_source_changed(source=obj)


@admin.register(LeadLabel)
class LeadLabelAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    list_display = ["name", "badge", "colour"]
    list_editable = ["colour"]
    search_fields = ["name"]

    @admin.display(description="Looks like")
    def badge(self, obj: LeadLabel) -> str:
        return format_html('<span class="badge text-bg-{}">{}</span>', obj.colour, obj.name)


@admin.register(Lead)
class LeadAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "organization",
        "source",
        "owner",
        "team",
        "status",
        "score",
        "value",
        "currency",
        "created_at",
    ]
    list_filter = ["status", "source", "labels", "team", "territory"]
    list_select_related = ["organization", "source", "owner", "team"]
    search_fields = ["title", "organization__name", "contact__last_name"]
    autocomplete_fields = ["organization", "contact", "owner", "deal"]
    filter_horizontal = ["labels"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    # Status, decision and score change only through the app (qualify, disqualify, the
    # scorer), which keep them consistent with the deal and the score breakdown.
    decision_fields = (
        "status",
        "disqualify_reason",
        "deal",
        "decided_at",
        "decided_by",
        "team",
        "territory",
    )
    readonly_fields = ["score", "scored_at", "version", "created_by", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *self.decision_fields]

    def has_add_permission(self, request):
        return False  # leads are added in the app, which scores them

    def save_model(self, request, obj, form, change):
        obj.version += 1
        obj.team = obj.owner.team
        obj.territory = obj.team.territory if obj.team else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.lead_rescore(lead=form.instance)
