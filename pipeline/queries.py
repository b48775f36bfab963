"""Reads of deals and pipelines. Every list starts from `Deal.objects.visible_to`."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Window,
)
from django.db.models.functions import RowNumber

from activities.models import Activity
from activities.queries import with_next_activity
from crm.http import parse_id, parse_ids
from crm.text import search_text
from customfields.models import FieldDefinition
from customfields.queries import (
    CustomFilter,
    apply_filters,
    parse_filters,
    requested,
    user_names_of,
    with_user_names,
)
from customfields.values import EMPTY, definitions_for, rows_for
from notes import timeline
from notes.timeline import PAGE_SIZE, Cursor, TimelinePage
from pipeline.access import deal_for_user
from pipeline.models import (
    Deal,
    DealFieldChange,
    DealStageChange,
    DealStatus,
    LostReason,
    Organization,
    Pipeline,
    Stage,
    stage_entry,
)
from teams.access import people_visible_to, teams_visible_to
from teams.models import Territory
from teams.queries import TerritoryTree

CARDS_PER_COLUMN = 25
SCOPE_CUSTOM_PREFIX = "scope_cf_"
CENT = Decimal("0.01")


def deals_for_list(
    user, *, status: str = "", search: str = "", custom: tuple[CustomFilter, ...] = ()
) -> QuerySet[Deal]:
    """Visible deals, newest first, filtered by status, a text search on title or account
    and custom fields."""
    deals: QuerySet[Deal] = Deal.objects.visible_to(user).select_related(
        "organization", "owner", "stage"
    )
    if status in DealStatus.values:
        deals = deals.filter(status=status)
    deals = BoardFilters(search=search, custom=custom).apply(deals)  # as the board does
    return deals.order_by("-created_at", "-id")


def deal_timeline(
    deal: Deal, *, show: str = "all", before: Cursor | None = None, limit: int = PAGE_SIZE
) -> TimelinePage:
    """What happened to the deal, newest first: stage and status changes, activities
    scheduled and done, notes, files and changed fields, with who did it. One query."""
    branches = {
        "stage": timeline.branch(
            DealStageChange.objects.filter(deal=deal),
            kind="stage",
            at="changed_at",
            actor="changed_by",
            a="from_stage__name",
            b="to_stage__name",
            c="from_status",
            d="to_status",
        ),
        "activity": timeline.branch(
            Activity.objects.filter(deal=deal),
            kind="activity",
            at="created_at",
            actor="created_by",
            a="type",
            b="subject",
        ),
        # Done by its assignee (who ticked it off is not recorded).
        "activity_done": timeline.branch(
            Activity.objects.filter(deal=deal, done=True),
            kind="activity_done",
            at="done_at",
            actor="assignee",
            a="type",
            b="subject",
        ),
        "field": timeline.branch(
            DealFieldChange.objects.filter(deal=deal),
            kind="field",
            at="changed_at",
            actor="changed_by",
            a="field",
            b="old_value",
            c="new_value",
        ),
        **timeline.notes_and_files({"deal": deal}),
    }
    return timeline.timeline_page(branches, show=show, before=before, limit=limit)


def lost_reasons_offered() -> list[LostReason]:
    """The reasons the mark-lost form offers, in the admins' order."""
    return list(LostReason.objects.filter(active=True).order_by("order", "name"))


@dataclass(frozen=True)
class BoardFilters:
    """What the board is narrowed to; empty means no narrowing. Ids are already validated."""

    owner_id: int | None = None
    team_id: int | None = None
    territory_ids: tuple[int, ...] = ()
    search: str = ""
    custom: tuple[CustomFilter, ...] = ()  # custom fields: cf_<key>=value

    @classmethod
    def from_scope(
        cls, data, *, definitions: list[FieldDefinition] | None = None
    ) -> "BoardFilters":
        """Filters a board sends back with its requests (the `scope_*` fields it was rendered
        with). They only ever narrow `visible_to`, so a crafted id can hide deals, never
        reveal one; malformed ids are ignored. The deal field definitions are read (one
        query) only if a custom field filter is sent and `definitions` are not given."""
        if definitions is None and requested(data, SCOPE_CUSTOM_PREFIX):
            definitions = definitions_for("deal")
        return cls(
            owner_id=parse_id(data.get("scope_owner")),
            team_id=parse_id(data.get("scope_team")),
            territory_ids=parse_ids(data.getlist("scope_territory")),
            search=search_text(data.get("scope_q")),
            custom=tuple(parse_filters(data, definitions or [], prefix=SCOPE_CUSTOM_PREFIX)),
        )

    def apply(self, deals: QuerySet[Deal]) -> QuerySet[Deal]:
        deals = apply_filters(deals, list(self.custom))
        if self.owner_id:
            deals = deals.filter(owner_id=self.owner_id)
        if self.team_id:
            deals = deals.filter(team_id=self.team_id)
        if self.territory_ids:
            deals = deals.filter(territory_id__in=self.territory_ids)
        if self.search:
            # Organizations are few: match them first, then deals by id (no join per deal).
            matching = Organization.objects.filter(name__icontains=self.search).values("pk")
            deals = deals.filter(Q(title__icontains=self.search) | Q(organization__in=matching))
        return deals


@dataclass
class FilterOptions:
    """The choices a user gets in the board's filters: only people and teams they may see."""

    owners: list
    teams: list
    territories: list[Territory]

    def territory_with_descendants(self, territory_id: int) -> tuple[int, ...]:
        """The territory and those inside it, among the ones offered."""
        return tuple(sorted(TerritoryTree.of(self.territories).descendants_and_self(territory_id)))


def board_filter_options(user) -> FilterOptions:
    """Owners, teams and territories to filter by (a rep has nothing to narrow)."""
    if not (user.is_admin or user.is_manager):
        return FilterOptions(owners=[], teams=[], territories=[])
    owners = list(people_visible_to(user).order_by("first_name", "last_name", "username"))
    teams = list(teams_visible_to(user).select_related("territory").order_by("name"))
    if user.is_admin:
        territories = list(Territory.objects.order_by("name"))
    else:
        territories = sorted({team.territory for team in teams}, key=lambda t: t.name)
    return FilterOptions(owners=owners, teams=teams, territories=territories)


@dataclass(frozen=True)
class ColumnTotals:
    count: int = 0
    total_value: Decimal = Decimal("0.00")
    # Changes whenever a card of the column is added, removed or changed (every write bumps
    # a deal's version): what live boards compare to know which columns to re-fetch.
    fingerprint: str = "0"


@dataclass
class Column:
    stage: Stage
    totals: ColumnTotals = field(default_factory=ColumnTotals)
    cards: list[Deal] = field(default_factory=list)
    has_more: bool = False

    @property
    def weighted_value(self) -> Decimal:
        return (self.totals.total_value * self.stage.win_probability / 100).quantize(CENT)


def board_deals(user, pipeline: Pipeline, filters: BoardFilters) -> QuerySet[Deal]:
    """The open deals of `pipeline` that `user` may see, narrowed by the filters."""
    return filters.apply(
        Deal.objects.visible_to(user).filter(pipeline=pipeline, status=DealStatus.OPEN)
    )


def column_totals(deals: QuerySet[Deal], stage_ids=None) -> dict[int, ColumnTotals]:
    """Count, total value and fingerprint per stage, over every matching deal (one query)."""
    if stage_ids is not None:
        deals = deals.filter(stage_id__in=stage_ids)
    rows = (
        deals.order_by()
        .values("stage_id")
        .annotate(
            count=Count("id"),
            total=Sum("value", default=Decimal("0")),
            versions=Sum("version"),
            ids=Sum("id"),
        )
    )
    return {
        row["stage_id"]: ColumnTotals(
            count=row["count"],
            total_value=row["total"],
            fingerprint=f"{row['count']}.{row['versions']}.{row['ids']}.{row['total']}",
        )
        for row in rows
    }


def _card_rows(deals: QuerySet[Deal], card_fields: list[FieldDefinition]) -> QuerySet[Deal]:
    rows = with_next_activity(deals.select_related("organization", "owner", "stage"))
    return with_user_names(rows, card_fields)


def _as_card(deal: Any) -> Deal:
    # `deal` carries the annotations of `with_next_activity`, which mypy cannot see.
    deal.next_activity = (
        Activity(
            pk=deal.next_activity_id,
            type=deal.next_activity_type,
            subject=deal.next_activity_subject,
            due_date=deal.next_activity_due_date,
            due_at=deal.next_activity_due_at,
        )
        if deal.next_activity_id
        else None
    )
    return deal


def deal_cards(
    deals: QuerySet[Deal],
    *,
    limit: int | None = None,
    definitions: list[FieldDefinition] | None = None,
) -> list[Deal]:
    """These deals (in their order, at most `limit`) as board cards, in one query, plus one
    for the custom fields shown on cards (and one for the names of users they name, if any).

    Every card a board draws comes from here or `deal_card_for_user` (the same rows, built
    the same way): the first render, a refreshed column, "load more" and a moved card. Each
    card has its stage, organization and owner, `next_activity` (an unsaved Activity, or
    None) with `next_activity_is_overdue`, and `card_fields`: (label, value) of the custom
    fields marked "show on board card" that have a value. Pass the deal field `definitions`
    when the request has read them already.
    """
    card_fields = _card_field_definitions(definitions)
    rows = _card_rows(deals, card_fields)
    cards = [_as_card(deal) for deal in (rows if limit is None else rows[:limit])]
    for card in cards:
        _with_card_fields(card, card_fields)
    return cards


def _card_field_definitions(
    definitions: list[FieldDefinition] | None = None,
) -> list[FieldDefinition]:
    if definitions is None:
        definitions = definitions_for("deal")
    return [d for d in definitions if d.show_on_card]


def _with_card_fields(card: Deal, definitions: list[FieldDefinition]) -> None:
    users = user_names_of(card, definitions)
    card.card_fields = [  # type: ignore[attr-defined]
        (label, value)
        for label, value in rows_for(card, definitions, currency=card.currency, users=users)
        if value != EMPTY
    ]


def deal_card_for_user(
    user, deal_id: int, *, write: bool = False, drop: tuple[int, int | None] | None = None
) -> Deal:
    """One deal as a board card, read through `deal_for_user` (404/403 as it answers).

    With `drop` (a stage id and the id of the card to drop it after, or None), the same query
    reads where the card would land there (`with_drop_target`), for `deal_move`.
    """
    card_fields = _card_field_definitions()
    rows = _card_rows(Deal.objects.all(), card_fields)
    if drop is not None:
        rows = with_drop_target(rows, stage_id=drop[0], after_id=drop[1], actor=user)
    deal = _as_card(deal_for_user(user, deal_id, write=write, deals=rows))
    _with_card_fields(deal, card_fields)
    if drop is not None:
        deal.drop_for = drop  # type: ignore[attr-defined]
    return deal


def with_drop_target(
    deals: QuerySet[Deal], *, stage_id: int, after_id: int | None, actor
) -> QuerySet[Deal]:
    """Annotate each deal with where it would land if dropped in stage `stage_id` just after
    card `after_id`: `drop_stage` (the stage, None unless it is in the deal's pipeline),
    `drop_top` (the column's top position), `drop_anchor` and `drop_following` (the
    positions of that card, if `actor` sees it, and of the next), and `drop_last_entry`
    (when the deal last entered the stage). Subqueries of the same query, no extra one.
    """

    def open_cards(deal_ref, cards: QuerySet[Deal] | None = None) -> QuerySet[Deal]:
        cards = Deal.objects.all() if cards is None else cards
        return cards.filter(stage_id=stage_id, status=DealStatus.OPEN).exclude(pk=deal_ref)

    column = open_cards(OuterRef("pk"))
    last_entry = (
        DealStageChange.objects.filter(stage_entry(), deal=OuterRef("pk"), to_stage_id=stage_id)
        .order_by("-changed_at")
        .values("changed_at")[:1]
    )
    annotations: dict[str, Any] = {
        "drop_stage": FilteredRelation(
            "pipeline__stages", condition=Q(pipeline__stages__pk=stage_id)
        ),
        "drop_top": Subquery(column.order_by("position", "id").values("position")[:1]),
        "drop_last_entry": Subquery(last_entry),
    }
    if after_id is not None:
        visible = Deal.objects.visible_to(actor).filter(pk=after_id)
        anchor = open_cards(OuterRef("pk"), visible).values("position")[:1]
        # Nested one level deeper, the moved deal is the outer query's outer query.
        anchor_inside_following = open_cards(OuterRef(OuterRef("pk")), visible).values("position")[
            :1
        ]
        following = (
            column.filter(position__gte=Subquery(anchor_inside_following))
            .exclude(pk=after_id)
            .order_by("position", "id")
            .values("position")[:1]
        )
        annotations |= {"drop_anchor": Subquery(anchor), "drop_following": Subquery(following)}
    # django-stubs knows no relation named by a FilteredRelation.
    return deals.annotate(**annotations).select_related("drop_stage")  # type: ignore[misc]


def board_columns(
    user,
    pipeline: Pipeline,
    stages: list[Stage],
    filters: BoardFilters,
    *,
    definitions: list[FieldDefinition] | None = None,
) -> list[Column]:
    """Every column of the board: totals over all matching deals, and its first cards.

    Two queries whatever the number of deals: one grouped aggregate, and one for the cards.
    """
    deals = board_deals(user, pipeline, filters)
    totals = column_totals(deals)
    ranked = first_cards_of_each_column(deals, [stage.pk for stage in stages])
    columns = {stage.pk: Column(stage=stage) for stage in stages}
    for deal in deal_cards(ranked, definitions=definitions):
        column = columns.get(deal.stage_id)
        if column is None:
            continue
        if len(column.cards) < CARDS_PER_COLUMN:
            column.cards.append(deal)
        else:
            column.has_more = True
    for stage_id, stage_totals in totals.items():
        if stage_id in columns:
            columns[stage_id].totals = stage_totals
    return list(columns.values())


def first_cards_of_each_column(deals: QuerySet[Deal], stage_ids: list[int]) -> QuerySet[Deal]:
    """The first CARDS_PER_COLUMN + 1 cards of every column, in one query.

    On PostgreSQL, a UNION ALL of one LIMITed index scan per column finds only those cards,
    however many deals there are. SQLite cannot LIMIT inside a UNION, so it ranks every
    matching card with a window function instead (fine at the sizes SQLite serves).
    """
    if not stage_ids:
        return Deal.objects.none()
    if connection.features.supports_slicing_ordering_in_compound:
        per_column = [
            deals.filter(stage_id=stage_id)
            .order_by("position", "id")
            .values("id")[: CARDS_PER_COLUMN + 1]
            for stage_id in stage_ids
        ]
        first_ids = per_column[0].union(*per_column[1:], all=True)
    else:
        rank = Window(RowNumber(), partition_by=[F("stage_id")], order_by=[F("position"), F("id")])
        first_ids = (
            deals.annotate(column_rank=rank)
            .filter(column_rank__lte=CARDS_PER_COLUMN + 1)
            .values("id")
        )
    return Deal.objects.filter(id__in=first_ids).order_by("stage_id", "position", "id")


def column_page(
    user,
    pipeline: Pipeline,
    stage: Stage,
    filters: BoardFilters,
    *,
    after: tuple[int, int] | None,
    definitions: list[FieldDefinition] | None = None,
) -> Column:
    """The first cards of one column, or the next ones after card (position, id): keyset
    pagination, so a deep page costs what the first one does. Without `after`, the column's
    totals too (a refreshed column redraws its header)."""
    deals = board_deals(user, pipeline, filters)
    column_deals = deals.filter(stage=stage)
    if after is not None:
        position, deal_id = after
        column_deals = column_deals.filter(
            Q(position__gt=position) | Q(position=position, id__gt=deal_id)
        )
    cards = deal_cards(
        column_deals.order_by("position", "id"),
        limit=CARDS_PER_COLUMN + 1,
        definitions=definitions,
    )
    column = Column(
        stage=stage, cards=cards[:CARDS_PER_COLUMN], has_more=len(cards) > CARDS_PER_COLUMN
    )
    if after is None:
        column.totals = column_totals(deals, [stage.pk]).get(stage.pk, ColumnTotals())
    return column
