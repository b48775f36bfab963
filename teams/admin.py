from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from crm.admin import InputRulesAdminMixin
from teams.models import PeriodKind, Quota, Team, Territory, User


@admin.register(User)
class UserAdmin(InputRulesAdminMixin, BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "team", "time_zone", "is_active"]
    list_filter = ["role", "team", "team__territory", "is_active", "is_staff"]
    list_select_related = ["team"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Sales organisation", {"fields": ("role", "team", "time_zone")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Sales organisation", {"fields": ("first_name", "last_name", "role", "team")}),
    )


@admin.register(Territory)
class TerritoryAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    list_display = ["name", "parent"]
    list_select_related = ["parent"]
    search_fields = ["name"]
    list_filter = ["parent"]


class PeriodListFilter(admin.SimpleListFilter):
    """Filter quotas by one month or quarter, e.g. '2026 Q3' or '2026-08'."""

    title = "period"
    parameter_name = "period"

    def lookups(self, request, model_admin):
        # Without its own order_by, DISTINCT would also cover the model's default ordering
        # (team, rep) and list a period once per owner.
        periods = (
            Quota.objects.order_by("-period_start", "-period")
            .values_list("period", "period_start")
            .distinct()
        )
        return [
            (f"{kind}:{start.isoformat()}", period_label(kind, start)) for kind, start in periods
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        kind, _, start = self.value().partition(":")
        return queryset.filter(period=kind, period_start=start)


class PeriodKindListFilter(admin.ChoicesFieldListFilter):
    """Months or quarters: titled apart from the filter by one period."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "month or quarter"


def period_label(kind: str, start) -> str:
    if kind == PeriodKind.QUARTER:
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    return f"{start:%Y-%m}"


@admin.register(Quota)
class QuotaAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    list_display = ["owner_name", "team", "period_label", "period_start", "period_end", "amount"]
    list_display_links = ["owner_name"]
    list_editable = ["amount"]
    list_filter = [
        PeriodListFilter,
        ("period", PeriodKindListFilter),
        "team",
        "team__territory",
    ]
    list_select_related = ["team", "rep"]
    search_fields = ["team__name", "rep__username", "rep__first_name", "rep__last_name"]
    autocomplete_fields = ["rep"]
    list_per_page = 200

    @admin.display(description="Period", ordering="period_start")
    def period_label(self, quota: Quota) -> str:
        return period_label(quota.period, quota.period_start)

    @admin.display(description="Owner")
    def owner_name(self, quota: Quota) -> str:
        return quota.owner_name


class QuotaInlineFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            quota = form.instance
            key = (quota.rep_id, quota.period, quota.period_start)
            if key in seen:
                owner = quota.rep or "the team"
                raise ValidationError(
                    f"Two quotas for {owner} in {period_label(quota.period, quota.period_start)}: "
                    "keep one per owner and period."
                )
            seen.add(key)


class QuotaInline(InputRulesAdminMixin, admin.TabularInline):
    model = Quota
    formset = QuotaInlineFormSet
    fields = ["rep", "period", "period_start", "period_end", "amount"]
    readonly_fields = ["period_end"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("rep")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "rep":
            team_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = (
                User.objects.filter(team_id=team_id) if team_id else User.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Team)
class TeamAdmin(InputRulesAdminMixin, admin.ModelAdmin):
    list_display = ["name", "territory", "manager"]
    list_filter = ["territory"]
    list_select_related = ["territory", "manager"]
    search_fields = ["name", "manager__username", "manager__last_name"]
    autocomplete_fields = ["manager"]
    inlines = [QuotaInline]
