"""Reads of deals and pipelines. Every list starts from `Deal.objects.visible_to`."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber

from activities.models import Activity
from activities.queries import with_next_activity
from crm.http import parse_id, parse_ids
from pipeline.models import Deal, DealStageChange, DealStatus, Organization, Pipeline, Stage
from teams.access import people_visible_to, teams_visible_to
from teams.models import Territory

CARDS_PER_COLUMN = 25
CENT = Decimal("0.01")


def deals_for_list(user, *, status: str = "", search: str = "") -> QuerySet[Deal]:
    """Visible deals, newest first, filtered by status and a text search on title or account."""
    deals: QuerySet[Deal] = Deal.objects.visible_to(user).select_related(
        "organization", "owner", "stage"
    )
    if status in DealStatus.values:
        deals = deals.filter(status=status)
    deals = BoardFilters(search=search).apply(deals)  # the board's text search
    return deals.order_by("-created_at", "-id")


def deal_timeline(deal: Deal) -> QuerySet[DealStageChange]:
    """The deal's stage and status changes, oldest first, with who made them."""
    return deal.stage_changes.select_related("from_stage", "to_stage", "changed_by").order_by(
        "changed_at", "id"
    )


@dataclass(frozen=True)
class BoardFilters:
    """What the board is narrowed to; empty means no narrowing. Ids are already validated."""

    owner_id: int | None = None
    team_id: int | None = None
    territory_ids: tuple[int, ...] = ()
    search: str = ""

    @classmethod
    def from_scope(cls, data) -> "BoardFilters":
        """Filters a board sends back with its requests (the `scope_*` fields it was rendered
        with). They only ever narrow `visible_to`, so a crafted id can hide deals, never
        reveal one; malformed ids are ignored."""
        return cls(
            owner_id=parse_id(data.get("scope_owner")),
            team_id=parse_id(data.get("scope_team")),
            territory_ids=parse_ids(data.getlist("scope_territory")),
            search=(data.get("scope_q") or "").strip()[:100],
        )

    def apply(self, deals: QuerySet[Deal]) -> QuerySet[Deal]:
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
        children: dict[int | None, list[int]] = {}
        for territory in self.territories:
            children.setdefault(territory.parent_id, []).append(territory.pk)
        found, pending = [], [territory_id]
        while pending:
            current = pending.pop()
            found.append(current)
            pending.extend(children.get(current, []))
        return tuple(found)


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

    @property
    def last_card(self) -> Deal | None:
        return self.cards[-1] if self.cards else None


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


def card_rows(deals: QuerySet[Deal]) -> QuerySet[Deal]:
    """Deals with what a card shows besides its stage (the caller sets `deal.stage`)."""
    return with_next_activity(deals.select_related("organization", "owner"))


def as_cards(deals, stage: Stage) -> list[Deal]:
    """Give each deal its (known) stage and its next open activity as an Activity."""
    cards = list(deals)
    for deal in cards:
        deal.stage = stage
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
    return cards


def board_columns(
    user, pipeline: Pipeline, stages: list[Stage], filters: BoardFilters
) -> list[Column]:
    """Every column of the board: totals over all matching deals, and its first cards.

    Two queries whatever the number of deals: one grouped aggregate, and one for the cards.
    """
    deals = board_deals(user, pipeline, filters)
    totals = column_totals(deals)
    ranked = first_cards_of_each_column(deals, [stage.pk for stage in stages])
    columns = {stage.pk: Column(stage=stage) for stage in stages}
    for deal in ranked:
        column = columns.get(deal.stage_id)
        if column is None:
            continue
        if len(column.cards) < CARDS_PER_COLUMN:
            column.cards.extend(as_cards([deal], column.stage))
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
    return card_rows(Deal.objects.filter(id__in=first_ids)).order_by("stage_id", "position", "id")


def column_page(
    user, pipeline: Pipeline, stage: Stage, filters: BoardFilters, *, after: tuple[int, int] | None
) -> Column:
    """The first cards of one column, or the next ones after card (position, id): keyset
    pagination, so a deep page costs what the first one does."""
    deals = card_rows(board_deals(user, pipeline, filters)).filter(stage=stage)
    if after is not None:
        position, deal_id = after
        deals = deals.filter(Q(position__gt=position) | Q(position=position, id__gt=deal_id))
    deals = deals.order_by("position", "id")[: CARDS_PER_COLUMN + 1]
    cards = list(deals)
    return Column(
        stage=stage, cards=cards[:CARDS_PER_COLUMN], has_more=len(cards) > CARDS_PER_COLUMN
    )
