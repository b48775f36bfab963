from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from crm.admin import InputRulesAdminMixin
from customfields.forms import PREFIX as CUSTOM_PREFIX
from customfields.forms import custom_changes, with_custom_fields
from customfields.values import merge
from pipeline import services
from pipeline.models import (
    Deal,
    DealFieldChange,
    DealStageChange,
    LostReason,
    Pipeline,
    Product,
    Stage,
)

CONFLICT = (
    "Someone else changed this deal while you were editing. Reload the page to see their "
    "changes, then apply yours again."
)


class StageInline(InputRulesAdminMixin, admin.TabularInline):
    model = Stage
    fields = ["order", "name", "win_probability", "rotting_days"]
    extra = 0
    ordering = ["order", "id"]


@admin.register(Pipeline)
class PipelineAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    inlines = [StageInline]


@admin.register(Stage)
class StageAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    list_display = ["name", "pipeline", "order", "win_probability", "rotting_days"]
    list_editable = ["order", "win_probability", "rotting_days"]
    list_filter = ["pipeline"]
    list_select_related = ["pipeline"]
    ordering = ["pipeline__name", "order", "id"]
    search_fields = ["name", "pipeline__name"]


@admin.register(LostReason)
class LostReasonAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    """The reasons the mark-lost form offers. A reason deals already have cannot be deleted:
    make it inactive and it is no longer offered, while reports keep counting it."""

    list_display = ["name", "active", "order"]
    list_editable = ["active", "order"]
    list_filter = ["active"]
    search_fields = ["name"]
    ordering = ["order", "name"]


@admin.register(Product)
class ProductAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    list_display = ["name", "series", "list_price", "currency"]
    list_filter = ["series"]
    search_fields = ["name"]


class DealStageChangeInline(InputRulesAdminMixin, admin.TabularInline):
    model = DealStageChange
    fields = ("changed_at", "from_stage", "from_status", "to_stage", "to_status", "changed_by")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("from_stage__pipeline", "to_stage__pipeline", "changed_by")
        )

    def has_add_permission(self, request, obj=None):
        return False


class DealAdminForm(forms.ModelForm):
    # The version the page was drawn with: a change made meanwhile is refused, not overwritten.
    seen_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    class Meta:
        model = Deal
        fields = [
            "title",
            "organization",
            "contact",
            "product",
            "value",
            "currency",
            "owner",
            "expected_close_date",
            "lost_reason",
            "lost_reason_text",
            "external_id",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("seen_version", self.instance.version)

    def clean(self):
        data = super().clean()
        if data.get("seen_version") not in (None, self.instance.version):
            raise forms.ValidationError(CONFLICT)
        return data


@admin.register(Deal)
class DealAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    form = DealAdminForm
    list_display = [
        "title",
        "organization",
        "owner",
        "team",
        "stage",
        "status",
        "value",
        "currency",
        "expected_close_date",
        "closed_at",
    ]
    list_filter = ["status", "pipeline", "stage", "team", "territory"]
    list_select_related = ["organization", "owner", "team", "stage__pipeline"]
    search_fields = ["title", "organization__name", "external_id"]
    autocomplete_fields = ["organization", "contact", "product", "owner"]
    date_hierarchy = "created_at"
    readonly_fields = ["version", "updated_at"]
    show_full_result_count = False
    inlines = [DealStageChangeInline]

    # Stage and status change through the board and the deal page, which record the history
    # that reports read (the deal entered the pipeline when its first row says); team and
    # territory are the owner's. Admin edits the rest.
    history_fields = (
        "pipeline",
        "stage",
        "status",
        "created_at",
        "closed_at",
        "stage_entered_at",
        "position",
    )
    owner_fields = ("team", "territory")

    def get_readonly_fields(self, request, obj=None):
        return [
            *super().get_readonly_fields(request, obj),
            *self.history_fields,
            *self.owner_fields,
        ]

    def has_add_permission(self, request):
        return False  # deals are added from the board, which records where they entered

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = with_custom_fields(
            self.form, kind="deal", user=request.user, custom=obj.custom if obj else None
        )
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        # Through the service, as the deal page does: it bumps the version boards watch, and
        # a new owner brings their team and territory and takes over the open activities.
        changed = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if not name.startswith(CUSTOM_PREFIX)
        }
        changed.pop("seen_version", None)
        if custom := custom_changes(form):
            changed["custom"] = merge(obj.custom, custom)
        if not changed:
            return
        try:
            services.deal_update(
                deal=obj, version=form.cleaned_data["seen_version"], actor=request.user, **changed
            )
        except services.DealConflict:
            # Changed in the instant between the form's check and this write.
            obj.conflict = True

    def response_change(self, request, obj):
        if getattr(obj, "conflict", False):
            messages.error(request, CONFLICT)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)


@admin.register(DealStageChange)
class DealStageChangeAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    list_display = [
        "deal",
        "from_stage",
        "from_status",
        "to_stage",
        "to_status",
        "changed_by",
        "changed_at",
    ]
    list_filter = ["to_status", "to_stage"]
    list_select_related = ["deal", "from_stage__pipeline", "to_stage__pipeline", "changed_by"]
    search_fields = ["deal__title"]
    raw_id_fields = ["deal"]
    date_hierarchy = "changed_at"
    show_full_result_count = False


@admin.register(DealFieldChange)
class DealFieldChangeAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    """The record of deals' changed details: read only, written by the deal services."""

    list_display = ["deal", "field", "old_value", "new_value", "changed_by", "changed_at"]
    list_filter = ["field"]
    list_select_related = ["deal", "changed_by"]
    search_fields = ["deal__title"]
    raw_id_fields = ["deal"]
    date_hierarchy = "changed_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
