from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from activities.queries import deal_activity_panel
from crm.csv_safety import csv_lines
from crm.http import parse_id, parse_int, safe_next, toast
from crm.text import search_text
from customfields.forms import PREFIX as CUSTOM_PREFIX
from customfields.forms import custom_after, custom_changes
from customfields.queries import parse_filters, requested, user_names_of, with_user_names
from customfields.values import (
    definitions_for,
    export_cells,
    export_headers,
    merge,
    shown_fields,
)
from notes.queries import subject_history
from notes.subjects import subject_of_object
from notes.views import history_options
from pipeline import services
from pipeline.access import deal_for_user
from pipeline.forms import (
    BoardFilterForm,
    DealForm,
    DealLostForm,
    DealMoveForm,
    DealVersionForm,
)
from pipeline.models import Deal, DealStatus, Pipeline, Stage
from pipeline.queries import (
    BoardFilters,
    Column,
    ColumnTotals,
    board_columns,
    board_deals,
    board_filter_options,
    column_page,
    column_totals,
    deal_card_for_user,
    deals_for_list,
    lost_reasons_offered,
)


@require_GET
def deal_list(request):
    status = request.GET.get("status", "")
    search = search_text(request.GET.get("q"))
    # cf_<key>=value narrows by a custom field (definitions read only when one is asked for).
    definitions = definitions_for("deal") if requested(request.GET) else []
    custom = tuple(parse_filters(request.GET, definitions))
    deals = deals_for_list(request.user, status=status, search=search, custom=custom)
    page = Paginator(deals, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "pipeline/deal_list.html",
        {
            "page": page,
            "status": status,
            "search": search,
            "statuses": DealStatus.choices,
            "custom_query": urlencode({f.param: f.value for f in custom}),
        },
    )


EXPORT_COLUMNS = [
    "id",
    "title",
    "organization",
    "contact",
    "pipeline",
    "stage",
    "status",
    "value",
    "currency",
    "owner",
    "team",
    "expected_close_date",
    "created_at",
    "closed_at",
]


@require_GET
def deal_export(request):
    """The deals of the list (same filters, visible ones only) as CSV, with a column per
    custom field (header: its label). Streamed in a fixed number of queries."""
    status = request.GET.get("status", "")
    search = search_text(request.GET.get("q"))
    definitions = definitions_for("deal")
    custom = tuple(parse_filters(request.GET, definitions))
    deals = with_user_names(
        deals_for_list(request.user, status=status, search=search, custom=custom)
        .select_related("contact", "pipeline", "team")
        .order_by("id"),
        definitions,
    )

    def rows():
        yield [*EXPORT_COLUMNS, *export_headers(definitions)]
        for deal in deals.iterator(chunk_size=2000):
            yield [
                deal.pk,
                deal.title,
                deal.organization.name if deal.organization else "",
                str(deal.contact) if deal.contact else "",
                deal.pipeline.name,
                deal.stage.name,
                deal.status,
                deal.value,
                deal.currency,
                str(deal.owner),
                deal.team.name if deal.team else "",
                deal.expected_close_date.isoformat() if deal.expected_close_date else "",
                deal.created_at.isoformat(),
                deal.closed_at.isoformat() if deal.closed_at else "",
                *export_cells(deal, definitions, users=user_names_of(deal, definitions)),
            ]

    response = StreamingHttpResponse(csv_lines(rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="deals.csv"'
    return response


# --- The board -------------------------------------------------------------------------


@require_GET
def board(request, pipeline_id: int | None = None):
    pipelines = list(Pipeline.objects.order_by("name"))
    if pipeline_id is None:
        pipeline = pipelines[0] if pipelines else None
    else:
        pipeline = next((p for p in pipelines if p.pk == pipeline_id), None)
        if pipeline is None:
            raise Http404("No such pipeline.")
    if pipeline is None:
        return render(request, "pipeline/board.html", {"pipelines": [], "pipeline": None})

    stages = list(pipeline.stages.order_by("order", "id"))
    definitions = definitions_for("deal")  # filters and cards: read once
    filter_form = BoardFilterForm(
        request.GET,
        options=board_filter_options(request.user),
        definitions=definitions,
        viewer=request.user,
    )
    filters = filter_form.filters()
    context = {
        "pipelines": pipelines,
        "pipeline": pipeline,
        "stages": stages,
        "filter_form": filter_form,
        "filters": filters,
        "columns": board_columns(request.user, pipeline, stages, filters, definitions=definitions),
    }
    if request.htmx and request.htmx.target == "board":
        return render(request, "pipeline/board.html#board", context)
    return render(request, "pipeline/board.html", context)


def _board_stage(pipeline_id: int, stage_id: int) -> Stage:
    return get_object_or_404(
        Stage.objects.select_related("pipeline"), pk=stage_id, pipeline_id=pipeline_id
    )


@require_GET
def board_column(request, pipeline_id: int, stage_id: int):
    """One column: whole (to refresh it live) or, with ?after=POSITION_ID, its next cards."""
    stage = _board_stage(pipeline_id, stage_id)
    definitions = definitions_for("deal")  # filters and cards: read once
    filters = BoardFilters.from_scope(request.GET, definitions=definitions)
    after = _parse_cursor(request.GET.get("after"))
    context = {
        "pipeline": stage.pipeline,
        "filters": filters,
        "stage": stage,
        "column": column_page(
            request.user, stage.pipeline, stage, filters, after=after, definitions=definitions
        ),
    }
    if after is None:
        return render(request, "pipeline/board.html#column", context)
    if request.htmx:
        return render(request, "pipeline/board.html#cards", context)
    return render(request, "pipeline/board_column.html", context)


def _parse_cursor(value: str | None) -> tuple[int, int] | None:
    position, _, deal_id = (value or "").partition("_")
    parsed = parse_int(position), parse_id(deal_id)
    if parsed[0] is None or parsed[1] is None:
        return None
    return parsed[0], parsed[1]


@require_GET
def board_changes(request, pipeline_id: int):
    """Live updates: which columns differ from the fingerprints the board was drawn with.

    The board polls this every few seconds; 204 means nothing changed. Otherwise the
    `board:stale` event names the columns to re-fetch.
    """
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id)
    filters = BoardFilters.from_scope(request.GET)
    shown = dict(item.partition(":")[::2] for item in request.GET.getlist("fp"))
    totals = column_totals(board_deals(request.user, pipeline, filters))
    stale = [
        stage_id
        for stage_id, fingerprint in shown.items()
        if fingerprint != _fingerprint_of(totals, stage_id)
    ]
    if not stale:
        return HttpResponse(status=204)
    return trigger_client_event(HttpResponse(), "board:stale", {"stages": stale})


def _fingerprint_of(totals, stage_id: str) -> str:
    try:
        column_total = totals.get(int(stage_id))
    except ValueError:
        return ""
    return (column_total or ColumnTotals()).fingerprint


def _refused(request, message: str, *, status: int, fallback: str) -> HttpResponse:
    """Tell the user why their change was not saved; the board re-reads where things are."""
    if not request.htmx:
        messages.error(request, message)
        return redirect(safe_next(request, fallback))
    response = HttpResponse(message, status=status, content_type="text/plain")
    toast(response, message, "error")
    return trigger_client_event(response, "board:reload", {})


@require_POST
def deal_move(request, deal_id: int):
    form = DealMoveForm(request.POST)
    valid = form.is_valid()
    # Read as a card (the response draws the moved card), with where it lands, in one query.
    drop = (form.cleaned_data["stage"], form.cleaned_data["after"]) if valid else None
    deal = deal_card_for_user(request.user, deal_id, write=True, drop=drop)
    board_url = reverse("pipeline:board", args=[deal.pipeline_id])
    if not valid:
        return _refused(
            request,
            "That move was not understood; nothing changed.",
            status=400,
            fallback=board_url,
        )
    from_stage = deal.stage
    try:
        deal = services.deal_move(
            deal=deal,
            stage_id=form.cleaned_data["stage"],
            after_id=form.cleaned_data["after"],
            version=form.cleaned_data["version"],
            actor=request.user,
        )
    except services.DealConflict:
        return _refused(
            request,
            f"Someone else changed “{deal.title}” a moment ago; your board now shows where it is.",
            status=409,
            fallback=board_url,
        )
    except services.DealChangeRefused as refusal:
        return _refused(request, str(refusal), status=400, fallback=board_url)

    message = f"Moved “{deal.title}” to {deal.stage.name}."
    if not request.htmx:
        messages.success(request, message)
        return redirect(safe_next(request, board_url))
    filters = BoardFilters.from_scope(request.POST)
    totals = column_totals(
        board_deals(request.user, deal.pipeline, filters), [from_stage.pk, deal.stage.pk]
    )
    columns = [
        Column(stage=stage, totals=totals.get(stage.pk, ColumnTotals()))
        for stage in {from_stage.pk: from_stage, deal.stage.pk: deal.stage}.values()
    ]
    response = render(
        request,
        "pipeline/deal_moved.html",
        {
            "deal": deal,
            "columns": columns,
            "pipeline": deal.pipeline,
            "filters": filters,
        },
    )
    toast(response, message)
    if request.POST.get("via") == "menu":
        trigger_client_event(response, "board:stale", {"stages": [from_stage.pk, deal.stage.pk]})
    return response


# --- One deal ----------------------------------------------------------------------------


def render_deal_page(
    request, deal: Deal, *, lost_form: DealLostForm | None = None, status: int = 200
) -> HttpResponse:
    """The deal's page: the one place its context is built, for a GET and every re-render."""
    subject = subject_of_object(request.user, "deal", deal)
    return render(
        request,
        "pipeline/deal_detail.html",
        {
            "deal": deal,
            "custom_fields": shown_fields(deal),
            "history_panel": subject_history(
                subject, user=request.user, **history_options(request)
            ),
            "can_change": subject.can_change,
            "lost_form": lost_form
            or DealLostForm(initial={"version": deal.version}, reasons=lost_reasons_offered()),
            "stages": deal.pipeline.stages.order_by("order", "id"),
            "activity_panel": deal_activity_panel(deal, user=request.user),
        },
        status=status,
    )


@require_GET
def deal_detail(request, deal_id: int):
    return render_deal_page(request, deal_for_user(request.user, deal_id))


@require_http_methods(["GET", "POST"])
def deal_create(request):
    pipeline = _pipeline_from(request)
    initial = {"stage": request.GET.get("stage")} if request.GET.get("stage") else {}
    form = DealForm(request.POST or None, user=request.user, pipeline=pipeline, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        deal = services.deal_create(
            title=data["title"],
            owner=data["owner"],
            stage=data["stage"],
            value=data["value"],
            currency=data["currency"],
            organization=data["organization"],
            contact=data["contact"],
            product=data["product"],
            expected_close_date=data["expected_close_date"],
            custom=custom_after(form, {}),
            actor=request.user,
        )
        message = f"Added “{deal.title}” to {deal.stage.name}."
        if request.htmx:
            response = HttpResponse(status=204)
            toast(response, message)
            trigger_client_event(response, "deal-dialog:close", {})
            return trigger_client_event(response, "board:stale", {"stages": [deal.stage_id]})
        messages.success(request, message)
        return redirect("pipeline:deal-detail", deal.pk)
    template = "pipeline/deal_form.html#form" if request.htmx else "pipeline/deal_form.html"
    return render(request, template, {"form": form, "pipeline": pipeline, "deal": None})


def _pipeline_from(request) -> Pipeline:
    pipeline_id = request.GET.get("pipeline") or request.POST.get("pipeline")
    pipelines = Pipeline.objects.order_by("name")
    if pipeline_id:
        return get_object_or_404(pipelines, pk=parse_id(pipeline_id) or 0)
    pipeline = pipelines.first()
    if pipeline is None:
        raise Http404("There is no pipeline yet.")
    return pipeline


@require_http_methods(["GET", "POST"])
def deal_edit(request, deal_id: int):
    deal = deal_for_user(request.user, deal_id, write=True)
    form = DealForm(request.POST or None, instance=deal, user=request.user, pipeline=deal.pipeline)
    if request.method == "POST" and form.is_valid():
        changed = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name != "version" and not name.startswith(CUSTOM_PREFIX)
        }
        if custom := custom_changes(form):
            changed["custom"] = merge(deal.custom, custom)
        try:
            services.deal_update(
                deal=deal, version=form.cleaned_data["version"], actor=request.user, **changed
            )
        except services.DealConflict:
            form.add_error(
                None,
                "Someone else changed this deal while you were editing. Reload the page to see "
                "their changes, then apply yours again.",
            )
        else:
            messages.success(request, f"Saved “{deal.title}”.")
            return redirect("pipeline:deal-detail", deal.pk)
    return render(
        request, "pipeline/deal_form.html", {"form": form, "pipeline": deal.pipeline, "deal": deal}
    )


def _close_or_reopen(request, deal_id: int, action) -> HttpResponse:
    deal = deal_for_user(request.user, deal_id, write=True)
    form = DealVersionForm(request.POST)
    detail_url = reverse("pipeline:deal-detail", args=[deal.pk])
    if not form.is_valid():
        messages.error(request, "That request was not understood; nothing changed.")
        return redirect(detail_url)
    try:
        deal = action(deal=deal, version=form.cleaned_data["version"], actor=request.user)
    except services.DealConflict:
        messages.error(
            request, "Someone else changed this deal a moment ago; here it is as it is now."
        )
    except services.DealChangeRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"“{deal.title}” is now {deal.get_status_display().lower()}.")
    return redirect(detail_url)


@require_POST
def deal_mark_won(request, deal_id: int):
    return _close_or_reopen(request, deal_id, services.deal_mark_won)


@require_POST
def deal_reopen(request, deal_id: int):
    return _close_or_reopen(request, deal_id, services.deal_reopen)


@require_POST
def deal_mark_lost(request, deal_id: int):
    deal = deal_for_user(request.user, deal_id, write=True)
    form = DealLostForm(request.POST, reasons=lost_reasons_offered())
    if form.is_valid():
        try:
            services.deal_mark_lost(
                deal=deal,
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
                reason_text=form.cleaned_data["reason_text"],
                actor=request.user,
            )
        except services.DealConflict:
            form.add_error(None, "Someone else changed this deal a moment ago; reload to see it.")
        except services.DealChangeRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"“{deal.title}” is now lost.")
            return redirect("pipeline:deal-detail", deal.pk)
    return render_deal_page(request, deal, lost_form=form, status=400)
