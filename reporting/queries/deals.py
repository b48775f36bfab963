"""The SQL reads over deals and their stage history: each aggregates into a few rows."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db.models import (
    Case,
    Count,
    DecimalField,
    DurationField,
    F,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)

from activities.models import ActivityType
from pipeline.models import OTHER_LOST_REASON, DealStatus, Stage, stage_entry
from reporting.metrics import ZERO, Totals, cents, ratio
from reporting.periods import Period
from reporting.queries.scope import ReportScope

# Sums of a two-decimal value times an integer: exact, and wide enough for any total.
CENTS = DecimalField(max_digits=24, decimal_places=2)
WON_OR_LOST = [DealStatus.WON, DealStatus.LOST]


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


def open_deal_rows(scope: ReportScope, forecast_months: list[Period], today: date) -> list:
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


def closed_deal_rows(scope: ReportScope, buckets: list[Period], this_month: Period) -> list:
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
    """One grouped pass over the scope's stage changes since the period began.

    Funnel: of the deals that entered each stage in the period (their first row, or a move
    into it), how many later entered a stage further down the same pipeline, and how many
    are won. The entry rows' `entered_before_at` and `moved_on_at`, kept by `deal_move`,
    answer both without grouping per deal. (A later entry in the period moved on only if
    the first one did, so the first entry speaks for the deal.) Pipeline growth: every change
    adds its deal to the open pipeline (in its new stage) or takes it out (of its old one),
    so the changes since a moment add up to how the open pipeline grew since then, valued
    and weighted at today's values and probabilities.
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
    # A deal's first entry into a stage within the period: each deal counts once per stage
    # without a DISTINCT (the row knows when the deal last entered that stage before).
    entered = (
        stage_entry(change)
        & Q(**{f"{change}changed_at__lt": period.end_before})
        & (
            Q(**{f"{change}entered_before_at__isnull": True})
            | Q(**{f"{change}entered_before_at__lt": period.start_at})
        )
    )
    one = Value(1, output_field=IntegerField())
    open_change = Case(When(is_open_after, then=one), default=0) - Case(
        When(was_open_before, then=one), default=0
    )
    probability_change = Case(
        When(is_open_after, then=F(f"{change}to_stage__win_probability")), default=0
    ) - Case(When(was_open_before, then=F(f"{change}from_stage__win_probability")), default=0)
    rows = (
        scope.deals()
        # Implied by having a change since the period began; it lets the database read only
        # the open deals and those closed since, instead of every deal.
        .filter(
            Q(status=DealStatus.OPEN) | Q(status__in=WON_OR_LOST, closed_at__gte=period.start_at)
        )
        .filter(**{f"{change}changed_at__gte": period.start_at})
        .order_by()
        .values(entered_stage=F(f"{change}to_stage"))
        .annotate(
            entered=Count("pk", filter=entered),
            moved_on=Count("pk", filter=entered & Q(**{f"{change}moved_on_at__isnull": False})),
            won=Count("pk", filter=entered & Q(status=DealStatus.WON)),
            growth_deals=Sum(open_change),
            growth_value=Sum(F("value") * open_change, output_field=CENTS),
            growth_x_probability=Sum(F("value") * probability_change, output_field=CENTS),
        )
    )
    by_stage = {row["entered_stage"]: row for row in rows}
    empty = {"entered": 0, "moved_on": 0, "won": 0}
    return HistoryFigures(
        funnel=[
            FunnelStage(
                pipeline=stage["pipeline__name"],
                stage=stage["name"],
                entered=by_stage.get(stage["pk"], empty)["entered"],
                moved_on=by_stage.get(stage["pk"], empty)["moved_on"],
                won=by_stage.get(stage["pk"], empty)["won"],
            )
            for stage in stages
        ],
        pipeline_growth=Totals(
            open_deals=sum(row["growth_deals"] or 0 for row in by_stage.values()),
            open_value=sum((cents(row["growth_value"]) for row in by_stage.values()), ZERO),
            open_value_x_probability=sum(
                (cents(row["growth_x_probability"]) for row in by_stage.values()), ZERO
            ),
        ),
    )


def activity_counts(scope: ReportScope) -> dict[int, Counter]:
    """Done activities of the period per person and type."""
    rows = (
        scope.activities()
        .values("assignee_id")
        .annotate(**{kind: Count("pk", filter=Q(type=kind)) for kind in ActivityType.values})
        .order_by()
    )
    return {
        row["assignee_id"]: Counter({kind: row[kind] for kind in ActivityType.values})  # type: ignore[literal-required]
        for row in rows
    }


@dataclass(frozen=True)
class LostReasonFigure:
    """Deals lost in the period for one reason ("Other": none from the list)."""

    reason: str
    count: int
    value: Decimal


def lost_by_reason(scope: ReportScope) -> list[LostReasonFigure]:
    """Count and value of the deals lost in the period, per reason, most value first."""
    rows = (
        scope.deals()
        .filter(closed_in(scope.period), status=DealStatus.LOST)
        .values("lost_reason_id", "lost_reason__name")
        .annotate(count=Count("pk"), value=Sum("value"))
        .order_by()
    )
    figures = [
        LostReasonFigure(
            reason=row["lost_reason__name"] or OTHER_LOST_REASON,
            count=row["count"],
            value=cents(row["value"]),
        )
        for row in rows
    ]
    return sorted(figures, key=lambda f: (-f.value, -f.count, f.reason.lower()))
