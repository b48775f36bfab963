"""Every read behind the sales dashboard, the CSV export and `manage.py report`.

Deal figures start from `ReportScope.deals()`, which starts from `Deal.objects.visible_to`.
The dashboard runs a fixed number of queries whatever the number of deals, each one
aggregating in SQL into a handful of rows:

1. open deals now, per (owner, team, territory), with the forecast months;
2. deals won or lost in the period and the one before, per (owner, team, territory), with
   the chart's months;
3. one pass over the stage history since the period began, per deal: the stage funnel and
   the pipeline as it stood when the period began;
4. done activities per assignee; then the quotas and the names.

Python only adds those rows up (exactly: counts, Decimals, timedeltas) and derives the
ratios in `reporting.metrics`. Every breakdown (rep, team, territory with its nesting), the
totals and the quota bars are sums of the same cells, so they agree to the cent.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    DurationField,
    F,
    IntegerField,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from activities.models import Activity, ActivityType
from pipeline.models import Deal, DealStatus, Pipeline, Stage
from reporting.metrics import (
    DEFINITIONS,
    LOWER_IS_BETTER,
    METRIC_NAMES,
    MONEY_PLACES,
    ZERO,
    Metrics,
    Totals,
    cents,
    change,
    ratio,
    round_half_up,
)
from reporting.periods import Period, local_today, next_months, whole_months
from teams.access import people_visible_to, teams_visible_to
from teams.models import PeriodKind, Quota, Team, Territory, User

FORECAST_MONTHS = 3
# Sums of a two-decimal value times an integer: exact, and wide enough for any total.
CENTS = DecimalField(max_digits=24, decimal_places=2)
WON_OR_LOST = [DealStatus.WON, DealStatus.LOST]


class Dimension:
    REP = "rep"
    TEAM = "team"
    TERRITORY = "territory"
    NONE = "none"
    CHOICES = [(REP, "Rep"), (TEAM, "Team"), (TERRITORY, "Territory")]


SORT_KEYS = ["name", *METRIC_NAMES, "quota", "attainment", *ActivityType.values]
DEFAULT_SORT = "-won_value"


@contextmanager
def one_snapshot() -> Iterator[None]:
    """Run a report's queries against one consistent state of the data.

    On PostgreSQL: one read-only REPEATABLE READ transaction (when not already inside one),
    so that a deal won between two queries cannot show in one block and not in another; and
    settings for large aggregates: enough memory to hash a quarter of stage history, and no
    JIT compilation, which costs more than it saves on these sub-second queries.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            if not connection.savepoint_ids:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL jit = off")
        yield


# --- Scope --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TerritoryTree:
    """All territories with their nesting, read once per report."""

    names: dict[int, str]
    parents: dict[int, int | None]

    @classmethod
    def load(cls) -> "TerritoryTree":
        rows = list(Territory.objects.values_list("pk", "name", "parent_id"))
        return cls(
            names={pk: name for pk, name, _ in rows},
            parents={pk: parent for pk, _, parent in rows},
        )

    def ancestors_and_self(self, pk: int) -> list[int]:
        chain, seen = [], set()
        current: int | None = pk
        while current is not None and current not in seen:
            seen.add(current)
            chain.append(current)
            current = self.parents.get(current)
        return chain

    def descendants_and_self(self, pk: int) -> set[int]:
        return {t for t in self.parents if pk in self.ancestors_and_self(t)}

    def depth(self, pk: int) -> int:
        return len(self.ancestors_and_self(pk)) - 1


@dataclass(frozen=True)
class ReportScope:
    """The deals a report covers: those `viewer` may see (all when None), narrowed by filters.

    `viewer=None` is the command line's admin view. Period days are local to `period.tz`.
    """

    viewer: User | None
    period: Period
    territories: TerritoryTree
    pipeline: Pipeline | None = None
    team: Team | None = None
    territory: Territory | None = None
    rep: User | None = None
    currency: str = settings.DEFAULT_CURRENCY
    # The teams whose figures the viewer may see (teams.access.teams_visible_to).
    figure_team_ids: frozenset[int] = frozenset()

    @property
    def previous(self) -> Period:
        return self.period.previous()

    @property
    def per_rep(self) -> bool:
        """Whether quotas are the reps' own (a rep's view, or a rep filter) or the teams'."""
        if self.rep is not None:
            return True
        viewer = self.viewer
        return viewer is not None and not (viewer.is_admin or viewer.is_manager)

    def territory_ids(self) -> set[int]:
        assert self.territory is not None
        return self.territories.descendants_and_self(self.territory.pk)

    def deals(self) -> QuerySet[Deal]:
        """The visible deals in the report's currency that match the filters."""
        viewer = self.viewer
        if viewer is None:
            deals = Deal.objects.all()
        else:
            deals = Deal.objects.visible_to(viewer)
            if not viewer.is_admin and self.team is None:
                # Figures are about the viewer's own deals and the teams whose figures they
                # may see: always true of visible deals, and written with literal ids so
                # that the database can read one team's deals through its indexes.
                deals = deals.filter(Q(owner=viewer) | Q(team_id__in=self.figure_team_ids))
        deals = deals.filter(currency=self.currency)
        if self.pipeline is not None:
            deals = deals.filter(pipeline=self.pipeline)
        if self.team is not None:
            deals = deals.filter(team=self.team)
        if self.territory is not None:
            deals = deals.filter(territory_id__in=self.territory_ids())
        if self.rep is not None:
            deals = deals.filter(owner=self.rep)
        return deals

    def quotas(self) -> QuerySet[Quota]:
        """The quotas the viewer may see that match the filters (quotas are not per pipeline).

        Quotas are amounts in the default currency, so other currencies have none. Like deals:
        a rep sees their own, a manager also those of the teams they manage, an admin all.
        """
        quotas = Quota.objects.all()
        if self.currency != settings.DEFAULT_CURRENCY:
            return quotas.none()
        viewer = self.viewer
        if viewer is not None and not viewer.is_admin:
            if viewer.is_manager:
                quotas = quotas.filter(Q(team__manager=viewer) | Q(rep=viewer))
            else:
                quotas = quotas.filter(rep=viewer)
        if self.team is not None:
            quotas = quotas.filter(team=self.team)
        if self.territory is not None:
            quotas = quotas.filter(team__territory_id__in=self.territory_ids())
        if self.rep is not None:
            quotas = quotas.filter(rep=self.rep)
        return quotas

    def activities(self) -> QuerySet[Activity]:
        """Activities done in the period by the people whose figures the viewer may see.

        Activities count for the person who did them and that person's team; the team,
        territory and rep filters apply to that person, the pipeline filter to the deal.
        """
        activities = Activity.objects.filter(
            done=True, done_at__gte=self.period.start_at, done_at__lt=self.period.end_before
        )
        viewer = self.viewer
        if viewer is not None and not viewer.is_admin:
            activities = activities.filter(assignee__in=people_visible_to(viewer).values("pk"))
        if self.pipeline is not None:
            activities = activities.filter(deal__pipeline=self.pipeline)
        if self.team is not None:
            activities = activities.filter(assignee__team=self.team)
        if self.territory is not None:
            activities = activities.filter(assignee__team__territory_id__in=self.territory_ids())
        if self.rep is not None:
            activities = activities.filter(assignee=self.rep)
        return activities


def report_scope(
    viewer: User | None,
    *,
    period: Period,
    pipeline: Pipeline | None = None,
    team: Team | None = None,
    territory: Territory | None = None,
    rep: User | None = None,
    currency: str | None = None,
) -> ReportScope:
    """The scope of a report for `viewer` (None: everything), with its filters."""
    figure_team_ids: frozenset[int] = frozenset()
    if viewer is not None and not viewer.is_admin:
        figure_team_ids = frozenset(teams_visible_to(viewer).values_list("pk", flat=True))
    return ReportScope(
        viewer=viewer,
        period=period,
        territories=TerritoryTree.load(),
        pipeline=pipeline,
        team=team,
        territory=territory,
        rep=rep,
        currency=currency or settings.DEFAULT_CURRENCY,
        figure_team_ids=figure_team_ids,
    )


# --- The deal cells -----------------------------------------------------------------------


class Cell(NamedTuple):
    """A group of deals with one owner, team and territory (team and territory may be None)."""

    person_id: int
    team_id: int | None
    territory_id: int | None


def closed_in(period: Period) -> Q:
    return Q(closed_at__gte=period.start_at, closed_at__lt=period.end_before)


def weighted(condition: Q) -> Sum:
    """Sum of value times the stage's win probability (in percent) over matching deals."""
    return Sum(F("value") * F("stage__win_probability"), filter=condition, output_field=CENTS)


def open_deal_rows(scope: ReportScope, forecast_months: list[Period], today: date) -> list[dict]:
    """Open deals per cell: count, value, weighted value, and the forecast's months."""
    overdue = Q(expected_close_date__lt=today)
    aggregates = {
        "open_deals": Count("pk"),
        "open_value": Sum("value"),
        "open_value_x_probability": weighted(Q()),
        "overdue_deals": Count("pk", filter=overdue),
        "overdue_value": Sum("value", filter=overdue),
    }
    for i, month in enumerate(forecast_months):
        expected = Q(expected_close_date__range=(month.start, month.end))
        aggregates |= {
            f"expected_deals_{i}": Count("pk", filter=expected),
            f"expected_value_{i}": Sum("value", filter=expected),
            f"expected_x_probability_{i}": weighted(expected),
        }
    return list(
        scope.deals()
        .filter(status=DealStatus.OPEN)
        .values("owner_id", "team_id", "territory_id")
        .annotate(**aggregates)
        .order_by()
    )


def closed_totals(prefix: str, period: Period) -> dict:
    won = Q(status=DealStatus.WON) & closed_in(period)
    lost = Q(status=DealStatus.LOST) & closed_in(period)
    return {
        f"{prefix}won_count": Count("pk", filter=won),
        f"{prefix}won_value": Sum("value", filter=won),
        f"{prefix}won_duration": Sum(
            F("closed_at") - F("created_at"), filter=won, output_field=DurationField()
        ),
        f"{prefix}lost_count": Count("pk", filter=lost),
    }


def closed_deal_rows(scope: ReportScope, buckets: list[Period], this_month: Period) -> list[dict]:
    """Deals won or lost in the period and the previous one, per cell, with the won value of
    each chart bar and of the current month."""
    period, previous = scope.period, scope.previous
    won = Q(status=DealStatus.WON)
    aggregates = {
        **closed_totals("", period),
        **closed_totals("previous_", previous),
        "won_this_month": Sum("value", filter=won & closed_in(this_month)),
    }
    for i, bucket in enumerate(buckets):
        aggregates[f"won_bucket_{i}"] = Sum("value", filter=won & closed_in(bucket))
    start, end = previous.start_at, period.end_before
    if this_month.end_before < start or this_month.start_at > end:
        read = Q(closed_at__gte=start, closed_at__lt=end) | closed_in(this_month)
    else:
        # One range, which a team's (team, closed_at) index can serve.
        start, end = min(start, this_month.start_at), max(end, this_month.end_before)
        read = Q(closed_at__gte=start, closed_at__lt=end)
    return list(
        scope.deals()
        .filter(read, status__in=WON_OR_LOST)
        .values("owner_id", "team_id", "territory_id")
        .annotate(**aggregates)
        .order_by()
    )


def totals_from(row: dict, prefix: str = "") -> Totals:
    def get(name: str):
        return row.get(prefix + name)

    return Totals(
        open_deals=get("open_deals") or 0,
        open_value=cents(get("open_value")),
        open_value_x_probability=cents(get("open_value_x_probability")),
        won_count=get("won_count") or 0,
        won_value=cents(get("won_value")),
        won_duration=get("won_duration") or timedelta(0),
        lost_count=get("lost_count") or 0,
    )


def cell_of(row: dict) -> Cell:
    return Cell(row["owner_id"], row["team_id"], row["territory_id"])


# --- Stage history: funnel, and the pipeline when the period began -------------------------


@dataclass(frozen=True)
class FunnelStage:
    pipeline: str
    stage: str
    entered: int
    moved_on: int
    won: int

    @property
    def moved_on_rate(self) -> Decimal | None:
        return ratio(Decimal(self.moved_on), Decimal(self.entered))

    @property
    def won_rate(self) -> Decimal | None:
        return ratio(Decimal(self.won), Decimal(self.entered))


@dataclass(frozen=True)
class HistoryFigures:
    funnel: list[FunnelStage]
    # Open deals now minus open deals when the period began, from the stage changes since.
    pipeline_growth: Totals


def stage_history(scope: ReportScope) -> HistoryFigures:
    """One pass over the scope's stage changes since the period began, grouped per deal.

    Funnel: of the deals that entered each stage in the period (their first row, or a move
    into it), how many later entered a stage further down the same pipeline, and how many are
    won. Pipeline growth: every change adds its deal to the open pipeline (in its new stage)
    or takes it out (of its old one), so the changes since a moment add up to how the open
    pipeline grew since then, valued and weighted at today's values and probabilities.
    """
    period = scope.period
    stages = list(
        Stage.objects.filter(**({"pipeline": scope.pipeline} if scope.pipeline else {}))
        .order_by("pipeline__name", "pipeline_id", "order", "pk")
        .values("pk", "name", "order", "pipeline_id", "pipeline__name")
    )
    change = "stage_changes__"
    is_open_after = Q(**{f"{change}to_status": DealStatus.OPEN})
    was_open_before = Q(**{f"{change}from_status": DealStatus.OPEN})
    # Entering a stage: the deal's first row, or a move between open stages (a move is the
    # only open-to-open change; reopening keeps the stage and is not an entry).
    entry = is_open_after & (Q(**{f"{change}from_stage__isnull": True}) | was_open_before)
    per_stage = {}
    for stage in stages:
        further = [
            s["pk"]
            for s in stages
            if s["pipeline_id"] == stage["pipeline_id"] and s["order"] > stage["order"]
        ]
        per_stage[f"first_{stage['pk']}"] = Min(
            f"{change}changed_at",
            filter=entry
            & Q(**{f"{change}to_stage": stage["pk"], f"{change}changed_at__lt": period.end_before}),
        )
        if further:
            per_stage[f"further_{stage['pk']}"] = Max(
                f"{change}changed_at", filter=entry & Q(**{f"{change}to_stage__in": further})
            )
    one = Value(1, output_field=IntegerField())
    per_deal = (
        scope.deals()
        # Implied by having a change since the period began; it lets the database read only
        # the open deals and those closed since, instead of every deal.
        .filter(
            Q(status=DealStatus.OPEN) | Q(status__in=WON_OR_LOST, closed_at__gte=period.start_at)
        )
        .filter(**{f"{change}changed_at__gte": period.start_at})
        .values("pk", "value", "status")
        .annotate(
            **per_stage,
            open_change=Sum(
                Case(When(is_open_after, then=one), default=0)
                - Case(When(was_open_before, then=one), default=0)
            ),
            probability_change=Sum(
                Case(When(is_open_after, then=F(f"{change}to_stage__win_probability")), default=0)
                - Case(
                    When(was_open_before, then=F(f"{change}from_stage__win_probability")),
                    default=0,
                )
            ),
        )
    )
    totals = {
        "growth_deals": Sum("open_change"),
        "growth_value": Sum(F("value") * F("open_change"), output_field=CENTS),
        "growth_x_probability": Sum(F("value") * F("probability_change"), output_field=CENTS),
    }
    for stage in stages:
        first, further = f"first_{stage['pk']}", f"further_{stage['pk']}"
        entered = Q(**{f"{first}__isnull": False})
        totals |= {
            f"entered_{stage['pk']}": Count("pk", filter=entered),
            f"won_{stage['pk']}": Count("pk", filter=entered & Q(status=DealStatus.WON)),
        }
        if further in per_stage:
            totals[f"moved_on_{stage['pk']}"] = Count(
                "pk", filter=Q(**{f"{further}__gt": F(first)})
            )
    row = per_deal.aggregate(**totals)
    return HistoryFigures(
        funnel=[
            FunnelStage(
                pipeline=stage["pipeline__name"],
                stage=stage["name"],
                entered=row[f"entered_{stage['pk']}"],
                moved_on=row.get(f"moved_on_{stage['pk']}", 0),
                won=row[f"won_{stage['pk']}"],
            )
            for stage in stages
        ],
        pipeline_growth=Totals(
            open_deals=row["growth_deals"] or 0,
            open_value=cents(row["growth_value"]),
            open_value_x_probability=cents(row["growth_x_probability"]),
        ),
    )


# --- Activities, quotas, names ------------------------------------------------------------


def activity_counts(scope: ReportScope) -> dict[int, Counter]:
    """Done activities of the period per person and type."""
    rows = (
        scope.activities()
        .values("assignee_id")
        .annotate(**{kind: Count("pk", filter=Q(type=kind)) for kind in ActivityType.values})
        .order_by()
    )
    return {
        row["assignee_id"]: Counter({kind: row[kind] for kind in ActivityType.values})
        for row in rows
    }


class QuotaRow(NamedTuple):
    team_id: int
    territory_id: int
    rep_id: int | None
    period: str
    start: date
    end: date
    amount: Decimal


def quota_rows(scope: ReportScope, periods: Iterable[Period]) -> list[QuotaRow]:
    """The scope's quotas that overlap any of `periods` (a few rows per rep and team)."""
    periods = list(periods)
    return [
        QuotaRow(*row)
        for row in scope.quotas()
        .filter(
            period_start__lte=max(p.end for p in periods),
            period_end__gte=min(p.start for p in periods),
        )
        .values_list(
            "team_id",
            "team__territory_id",
            "rep_id",
            "period",
            "period_start",
            "period_end",
            "amount",
        )
        .order_by()
    ]


def quota_owner(row: QuotaRow) -> tuple[int, int | None]:
    return (row.team_id, row.rep_id)


def quotas_in(rows: Iterable[QuotaRow], period: Period) -> list[QuotaRow]:
    """The quotas that fall inside `period`; a monthly quota inside a quarter for which the
    same owner has a quarterly quota is part of it and does not count again."""
    inside = [r for r in rows if period.start <= r.start and r.end <= period.end]
    quarters = [(quota_owner(r), r.start, r.end) for r in inside if r.period == PeriodKind.QUARTER]
    return [
        r
        for r in inside
        if r.period != PeriodKind.MONTH
        or not any(
            owner == quota_owner(r) and start <= r.start and r.end <= end
            for owner, start, end in quarters
        )
    ]


def month_quota(rows: Iterable[QuotaRow], month: Period) -> Decimal | None:
    """The quota of one calendar month: each owner's monthly quota, or else a third of their
    quarterly quota for the quarter holding the month (rounded to the cent)."""
    by_owner: dict[tuple, list[QuotaRow]] = defaultdict(list)
    for row in rows:
        if row.start <= month.start and month.end <= row.end:
            by_owner[quota_owner(row)].append(row)
    if not by_owner:
        return None
    total = ZERO
    for owner_rows in by_owner.values():
        monthly = [r for r in owner_rows if r.period == PeriodKind.MONTH]
        if monthly:
            total += sum((r.amount for r in monthly), ZERO)
        else:
            total += sum(
                (round_half_up(Fraction(r.amount) / 3, MONEY_PLACES) for r in owner_rows), ZERO
            )
    return total


def bucket_quota(rows: list[QuotaRow], bucket: Period) -> Decimal | None:
    """The quota of a chart bar: the quotas inside it, or for a lone month a share of its
    quarter's."""
    inside = quotas_in(rows, bucket)
    if inside:
        return sum((r.amount for r in inside), ZERO)
    if whole_months(bucket.start, bucket.end) == 1:
        return month_quota(rows, bucket)
    return None


@dataclass(frozen=True)
class Person:
    name: str
    username: str
    team_id: int | None
    territory_id: int | None


@dataclass(frozen=True)
class Names:
    people: dict[int, Person]
    teams: dict[int, str]

    @classmethod
    def load(cls, person_ids: set[int], team_ids: set[int]) -> "Names":
        people = {
            user.pk: Person(
                str(user),
                user.username,
                user.team_id,
                user.team.territory_id if user.team else None,
            )
            for user in User.objects.filter(pk__in=person_ids)
            .select_related("team")
            .only("username", "first_name", "last_name", "team__territory")
        }
        teams = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name"))
        return cls(people=people, teams=teams)

    def person(self, pk: int) -> str:
        person = self.people.get(pk)
        return person.name if person else f"#{pk}"

    def username(self, pk: int) -> str:
        person = self.people.get(pk)
        return person.username if person else f"#{pk}"


# --- The breakdown table ------------------------------------------------------------------


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    name: str
    metrics: Metrics
    # The row's name for machines: a rep's username, a team's or territory's name.
    code: str = ""
    quota: Decimal | None = None
    activities: Counter = field(default_factory=Counter)
    depth: int = 0
    parent_key: str | None = None

    @property
    def attainment(self) -> Decimal | None:
        """Won value ÷ quota."""
        return ratio(self.metrics.won_value, self.quota)

    def value(self, name: str):
        if name == "name":
            return self.name.lower()
        if name == "quota":
            return self.quota
        if name == "attainment":
            return self.attainment
        if name in ActivityType.values:
            return self.activities[name]
        return self.metrics.value(name)


@dataclass(frozen=True)
class Breakdown:
    by: str
    sort: str
    rows: list[BreakdownRow]
    total: BreakdownRow

    @property
    def sort_key(self) -> str:
        return self.sort.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")


NO_TEAM = "(no team)"
NO_TERRITORY = "(no territory)"


def valid_sort(sort: str) -> str:
    return sort if sort.lstrip("-") in SORT_KEYS else DEFAULT_SORT


def sorted_rows(rows: list[BreakdownRow], sort: str) -> list[BreakdownRow]:
    """Rows ordered by a column; empty figures ("—") last either way; ties by name."""
    sort = valid_sort(sort)
    key = sort.lstrip("-")
    by_name = sorted(rows, key=lambda r: (r.name.lower(), r.key))
    known = [r for r in by_name if r.value(key) is not None]
    unknown = [r for r in by_name if r.value(key) is None]
    known.sort(key=lambda r: r.value(key), reverse=sort.startswith("-"))
    return known + unknown


def sorted_tree(rows: list[BreakdownRow], sort: str) -> list[BreakdownRow]:
    """Territory rows sorted among their siblings, each followed by its children."""
    children: dict[str | None, list[BreakdownRow]] = defaultdict(list)
    keys = {r.key for r in rows}
    for row in rows:
        children[row.parent_key if row.parent_key in keys else None].append(row)
    ordered: list[BreakdownRow] = []

    def visit(parent: str | None) -> None:
        for row in sorted_rows(children[parent], sort):
            ordered.append(row)
            visit(row.key)

    visit(None)
    return ordered


@dataclass
class ReportData:
    """What one scope's breakdowns are built from: cells, activities, quotas and names."""

    scope: ReportScope
    current: dict[Cell, Totals]
    previous_closed: Totals
    activities: dict[int, Counter]
    quotas: list[QuotaRow]
    names: Names

    @classmethod
    def build(
        cls,
        scope: ReportScope,
        open_rows: list[dict],
        closed_rows: list[dict],
        activities: dict[int, Counter],
        quotas: list[QuotaRow],
    ) -> "ReportData":
        current: dict[Cell, Totals] = defaultdict(Totals)
        previous_closed = Totals()
        for row in open_rows:
            current[cell_of(row)] += totals_from(row)
        for row in closed_rows:
            current[cell_of(row)] += totals_from(row)
            previous_closed += totals_from(row, "previous_")
        # Deals read only for the previous period or the forecast's month make no cell.
        current = {cell: totals for cell, totals in current.items() if not totals.is_empty}
        person_ids = {c.person_id for c in current} | set(activities)
        person_ids |= {q.rep_id for q in quotas if q.rep_id}
        team_ids = {c.team_id for c in current if c.team_id} | {q.team_id for q in quotas}
        names = Names.load(person_ids, team_ids)
        return cls(scope, current, previous_closed, activities, quotas, names)

    @classmethod
    def load(cls, scope: ReportScope) -> "ReportData":
        """The data of the breakdown alone (the export and the command line)."""
        period = scope.period
        return cls.build(
            scope,
            open_deal_rows(scope, [], local_today(period.end_before, period.tz)),
            closed_deal_rows(scope, [], period),
            activity_counts(scope),
            quota_rows(scope, [period]),
        )

    @property
    def period_quotas(self) -> list[QuotaRow]:
        return quotas_in(self.quotas, self.scope.period)

    def level_quotas(self) -> list[QuotaRow]:
        """The reps' quotas in a rep's scope, else the teams' own."""
        return [r for r in self.period_quotas if (r.rep_id is not None) == self.scope.per_rep]

    def total(self, by: str) -> BreakdownRow:
        """The scope's figures; its quota is the quota column's: the reps' own by rep, else
        the level's (see `level_quotas`)."""
        totals = sum(self.current.values(), Totals())
        activities = sum(self.activities.values(), Counter())
        if by == Dimension.REP:
            quotas = [r for r in self.period_quotas if r.rep_id is not None]
        else:
            quotas = self.level_quotas()
        quota = sum((r.amount for r in quotas), ZERO) if quotas else None
        return BreakdownRow("total", "Total", totals.metrics(), "total", quota, activities)

    def rows(self, by: str, sort: str = DEFAULT_SORT) -> list[BreakdownRow]:
        if by == Dimension.NONE:
            return []
        if by == Dimension.TERRITORY:
            return sorted_tree(self._territory_rows(), sort)
        return sorted_rows(self._flat_rows(by), sort)

    def _group(self, key_of_cell, key_of_person) -> tuple[dict, dict]:
        totals: dict = defaultdict(Totals)
        activities: dict = defaultdict(Counter)
        for cell, cell_totals in self.current.items():
            for key in key_of_cell(cell):
                totals[key] += cell_totals
        for person_id, counts in self.activities.items():
            person = self.names.people.get(person_id, Person("", "", None, None))
            for key in key_of_person(person_id, person):
                activities[key] += counts
        return totals, activities

    def _quotas_by(self, rows: Iterable[QuotaRow], key_of_quota) -> dict:
        amounts: dict = defaultdict(lambda: ZERO)
        for row in rows:
            for key in key_of_quota(row):
                amounts[key] += row.amount
        return amounts

    def _flat_rows(self, by: str) -> list[BreakdownRow]:
        if by == Dimension.REP:
            totals, activities = self._group(lambda c: [c.person_id], lambda pk, _: [pk])
            rep_quotas = [r for r in self.period_quotas if r.rep_id is not None]
            quotas = self._quotas_by(rep_quotas, lambda q: [q.rep_id])

            def label(key):
                return self.names.person(key)

            def code(key):
                return self.names.username(key)

        else:
            totals, activities = self._group(lambda c: [c.team_id], lambda _, p: [p.team_id])
            quotas = self._quotas_by(self.level_quotas(), lambda q: [q.team_id])

            def label(key):
                return NO_TEAM if key is None else self.names.teams.get(key, f"#{key}")

            code = label

        keys = set(totals) | set(activities) | set(quotas)
        return [
            BreakdownRow(
                key=f"{by}:{'' if key is None else key}",
                name=label(key),
                code=code(key),
                metrics=totals.get(key, Totals()).metrics(),
                quota=quotas.get(key),
                activities=activities.get(key, Counter()),
            )
            for key in keys
        ]

    def _territory_rows(self) -> list[BreakdownRow]:
        tree = self.scope.territories

        def lineage(territory_id: int | None) -> list:
            return [None] if territory_id is None else tree.ancestors_and_self(territory_id)

        totals, activities = self._group(
            lambda c: lineage(c.territory_id), lambda _, p: lineage(p.territory_id)
        )
        quotas = self._quotas_by(self.level_quotas(), lambda q: lineage(q.territory_id))
        keys = set(totals) | set(activities) | set(quotas)

        def label(key):
            return NO_TERRITORY if key is None else tree.names.get(key, f"#{key}")

        return [
            BreakdownRow(
                key=f"territory:{'' if key is None else key}",
                name=label(key),
                code=label(key),
                metrics=totals.get(key, Totals()).metrics(),
                quota=quotas.get(key),
                activities=activities.get(key, Counter()),
                depth=0 if key is None else tree.depth(key),
                parent_key=None
                if key is None or tree.parents.get(key) is None
                else f"territory:{tree.parents[key]}",
            )
            for key in keys
        ]


def breakdown(scope: ReportScope, *, by: str, sort: str = DEFAULT_SORT) -> Breakdown:
    """The metrics per rep, team or territory (or none: the total only), with quotas."""
    with one_snapshot():
        data = ReportData.load(scope)
    return Breakdown(by=by, sort=valid_sort(sort), rows=data.rows(by, sort), total=data.total(by))


# --- The dashboard ------------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    name: str
    label: str
    help: str
    value: int | Decimal | None
    previous: int | Decimal | None

    @property
    def change(self):
        return change(self.value, self.previous)

    @property
    def is_good(self) -> bool | None:
        """Whether the change is good news (None: no change or unknown)."""
        delta = self.change
        if not delta:
            return None
        return (delta < 0) if self.name in LOWER_IS_BETTER else (delta > 0)


@dataclass(frozen=True)
class QuotaBar:
    name: str
    won_value: Decimal
    quota: Decimal
    # The share of the quota the calendar says should be won by now.
    expected_share: Decimal

    @property
    def attainment(self) -> Decimal | None:
        return ratio(self.won_value, self.quota)

    @property
    def expected_value(self) -> Decimal:
        return round_half_up(Fraction(self.quota) * Fraction(self.expected_share), MONEY_PLACES)

    @property
    def is_behind(self) -> bool:
        return self.won_value < self.expected_value

    @property
    def bar_percent(self) -> Decimal:
        """The bar's width in percent of the track, capped at 100."""
        if not self.quota:
            return Decimal(100)
        return min(Decimal(100), (self.attainment or ZERO) * 100)


@dataclass(frozen=True)
class QuotaProgress:
    reps: list[QuotaBar]
    teams: list[QuotaBar]
    expected_share: Decimal


@dataclass(frozen=True)
class ForecastMonth:
    month: Period
    open_deals: int
    open_value: Decimal
    weighted_value: Decimal
    won_value: Decimal
    quota: Decimal | None

    @property
    def projected(self) -> Decimal:
        """Won already plus the weighted pipeline expected to close in the month."""
        return self.won_value + self.weighted_value

    @property
    def coverage(self) -> Decimal | None:
        return ratio(self.projected, self.quota)


@dataclass(frozen=True)
class Forecast:
    months: list[ForecastMonth]
    overdue_deals: int
    overdue_value: Decimal


@dataclass(frozen=True)
class MonthFigure:
    period: Period
    won_value: Decimal
    quota: Decimal | None


@dataclass(frozen=True)
class RepWinRate:
    name: str
    won_count: int
    lost_count: int
    win_rate: Decimal


@dataclass(frozen=True)
class Dashboard:
    scope: ReportScope
    previous: Period
    tiles: list[Tile]
    breakdown: Breakdown
    quota_progress: QuotaProgress
    forecast: Forecast
    funnel: list[FunnelStage]
    won_by_month: list[MonthFigure]
    win_rate_by_rep: list[RepWinRate]

    @property
    def is_empty(self) -> bool:
        return not self.breakdown.rows

    @property
    def funnel_pipelines(self) -> int:
        return len({stage.pipeline for stage in self.funnel})


def quota_progress(data: ReportData, now: datetime) -> QuotaProgress:
    """Won value against quota for the period, per rep and per team, with the calendar pace."""
    share = round_half_up(data.scope.period.elapsed(now), 4)
    won_by_rep: dict[int, Decimal] = defaultdict(lambda: ZERO)
    won_by_team: dict[int | None, Decimal] = defaultdict(lambda: ZERO)
    for cell, totals in data.current.items():
        won_by_rep[cell.person_id] += totals.won_value
        won_by_team[cell.team_id] += totals.won_value
    rep_quotas: dict[int, Decimal] = defaultdict(lambda: ZERO)
    team_quotas: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in data.period_quotas:
        if row.rep_id is None:
            team_quotas[row.team_id] += row.amount
        else:
            rep_quotas[row.rep_id] += row.amount
    if data.scope.per_rep:
        team_quotas.clear()

    def bars(quotas, won, name_of) -> list[QuotaBar]:
        return sorted(
            (QuotaBar(name_of(key), won[key], amount, share) for key, amount in quotas.items()),
            key=lambda bar: (-(bar.attainment or 0), bar.name.lower()),
        )

    return QuotaProgress(
        reps=bars(rep_quotas, won_by_rep, data.names.person),
        teams=bars(team_quotas, won_by_team, lambda pk: data.names.teams.get(pk, f"#{pk}")),
        expected_share=share,
    )


def column_sum(rows: list[dict], name: str) -> Decimal:
    return cents(sum((row[name] or ZERO for row in rows), ZERO))


def sales_dashboard(
    scope: ReportScope, *, by: str, sort: str = DEFAULT_SORT, now: datetime
) -> Dashboard:
    """Everything on the dashboard for one scope: a fixed number of queries."""
    period, previous = scope.period, scope.previous
    today = local_today(now, period.tz)
    months = next_months(today, FORECAST_MONTHS, period.tz)
    buckets = period.chart_buckets()
    with one_snapshot():
        open_rows = open_deal_rows(scope, months, today)
        closed_rows = closed_deal_rows(scope, buckets, months[0])
        history = stage_history(scope)
        data = ReportData.build(
            scope,
            open_rows,
            closed_rows,
            activity_counts(scope),
            quota_rows(scope, [period, *months, *buckets]),
        )
    total = data.total(by)
    # Pipeline figures are "now"; they compare with the pipeline when the period began
    # (the end of the previous one): today's open pipeline minus its growth since.
    open_now = sum(data.current.values(), Totals())
    previous_totals = data.previous_closed + Totals(
        open_deals=open_now.open_deals - history.pipeline_growth.open_deals,
        open_value=open_now.open_value - history.pipeline_growth.open_value,
        open_value_x_probability=open_now.open_value_x_probability
        - history.pipeline_growth.open_value_x_probability,
    )
    previous_metrics = previous_totals.metrics()
    tiles = [
        Tile(
            name=name,
            label=DEFINITIONS[name][0],
            help=DEFINITIONS[name][1],
            value=total.metrics.value(name),
            previous=previous_metrics.value(name),
        )
        for name in METRIC_NAMES
    ]
    rep_rows = data.rows(Dimension.REP)
    quota_level = [r for r in data.quotas if (r.rep_id is not None) == scope.per_rep]
    forecast = Forecast(
        months=[
            ForecastMonth(
                month=month,
                open_deals=sum(row[f"expected_deals_{i}"] for row in open_rows),
                open_value=column_sum(open_rows, f"expected_value_{i}"),
                weighted_value=round_half_up(
                    Fraction(column_sum(open_rows, f"expected_x_probability_{i}")) / 100,
                    MONEY_PLACES,
                ),
                won_value=column_sum(closed_rows, "won_this_month") if i == 0 else ZERO,
                quota=month_quota(quota_level, month),
            )
            for i, month in enumerate(months)
        ],
        overdue_deals=sum(row["overdue_deals"] for row in open_rows),
        overdue_value=column_sum(open_rows, "overdue_value"),
    )
    return Dashboard(
        scope=scope,
        previous=previous,
        tiles=tiles,
        breakdown=Breakdown(by=by, sort=valid_sort(sort), rows=data.rows(by, sort), total=total),
        quota_progress=quota_progress(data, now),
        forecast=forecast,
        funnel=history.funnel,
        won_by_month=[
            MonthFigure(
                bucket,
                column_sum(closed_rows, f"won_bucket_{i}"),
                bucket_quota(quota_level, bucket),
            )
            for i, bucket in enumerate(buckets)
        ],
        win_rate_by_rep=sorted(
            (
                RepWinRate(r.name, r.metrics.won_count, r.metrics.lost_count, r.metrics.win_rate)
                for r in rep_rows
                if r.metrics.win_rate is not None
            ),
            key=lambda r: (-r.win_rate, r.name.lower()),
        ),
    )
