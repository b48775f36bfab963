from django.contrib import admin

from pipeline.models import Deal, DealStageChange, Pipeline, Product, Stage


class StageInline(admin.TabularInline):
    model = Stage
    fields = ["order", "name", "win_probability", "rotting_days"]
    extra = 0
    ordering = ["order", "id"]


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    inlines = [StageInline]


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "pipeline", "order", "win_probability", "rotting_days"]
    list_editable = ["order", "win_probability", "rotting_days"]
    list_filter = ["pipeline"]
    list_select_related = ["pipeline"]
    ordering = ["pipeline__name", "order", "id"]
    search_fields = ["name", "pipeline__name"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "series", "list_price", "currency"]
    list_filter = ["series"]
    search_fields = ["name"]


class DealStageChangeInline(admin.TabularInline):
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


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
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
    # that reports read; admin edits the rest.
    history_fields = ("pipeline", "stage", "status", "closed_at", "stage_entered_at", "position")

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *self.history_fields]

    def has_add_permission(self, request):
        return False  # deals are added from the board, which records where they entered

    def save_model(self, request, obj, form, change):
        # Boards notice changed cards by their version; an admin's edit counts too.
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)


@admin.register(DealStageChange)
class DealStageChangeAdmin(admin.ModelAdmin):
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
