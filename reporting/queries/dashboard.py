"""Everything on the dashboard for one scope."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from reporting.metrics import (
    DEFINITIONS,
    LOWER_IS_BETTER,
    METRIC_NAMES,
    MONEY_PLACES,
    ZERO,
    Totals,
    cents,
    change,
    ratio,
    round_half_up,
)
from reporting.periods import Period, local_today, next_months
from reporting.queries.breakdowns import (
    DEFAULT_SORT,
    NO_TEAM,
    Breakdown,
    Dimension,
    ReportData,
    quota_fields,
    valid_sort,
)
from reporting.queries.deals import (
    FunnelStage,
    LostReasonFigure,
    activity_counts,
    closed_deal_rows,
    lost_by_reason,
    open_deal_rows,
    stage_history,
)
from reporting.queries.quotas import Owner, QuotaRow, quota_figure, quota_owner, quota_rows
from reporting.queries.scope import ReportScope, one_snapshot

FORECAST_MONTHS = 3


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
    # The quota covers only some of the period: no attainment, no pace.
    partial: bool = False

    @property
    def attainment(self) -> Decimal | None:
        return None if self.partial else ratio(self.won_value, self.quota)

    @property
    def expected_value(self) -> Decimal | None:
        if self.partial:
            return None
        return round_half_up(Fraction(self.quota) * Fraction(self.expected_share), MONEY_PLACES)

    @property
    def is_behind(self) -> bool:
        expected = self.expected_value
        return expected is not None and self.won_value < expected

    @property
    def bar_percent(self) -> Decimal:
        """The bar's width in percent of the track, capped at 100 (0 without attainment)."""
        return min(Decimal(100), (self.attainment or Decimal(0)) * 100)


@dataclass(frozen=True)
class QuotaProgress:
    reps: list[QuotaBar]
    teams: list[QuotaBar]
    expected_share: Decimal
    # The teams (or, in a rep's view, reps) with figures in the period but no quota for it.
    without_quota: list[str]


@dataclass(frozen=True)
class ForecastMonth:
    month: Period
    open_deals: int
    open_value: Decimal
    weighted_value: Decimal
    won_value: Decimal
    quota: Decimal | None
    quota_partial: bool = False

    @property
    def projected(self) -> Decimal:
        """Won already plus the weighted pipeline expected to close in the month."""
        return self.won_value + self.weighted_value

    @property
    def coverage(self) -> Decimal | None:
        return None if self.quota_partial else ratio(self.projected, self.quota)


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
    quota_partial: bool = False


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
    lost_reasons: list[LostReasonFigure]

    @property
    def is_empty(self) -> bool:
        return not self.breakdown.rows

    @property
    def funnel_pipelines(self) -> int:
        return len({stage.pipeline for stage in self.funnel})


def quota_progress(data: ReportData, now: datetime) -> QuotaProgress:
    """Won value against quota for the period, per rep and per team, with the calendar pace."""
    period = data.scope.period
    share = round_half_up(period.elapsed(now), 4)
    won: dict[Owner, Decimal] = defaultdict(lambda: ZERO)
    for cell, totals in data.current.items():
        won[("rep", cell.person_id)] += totals.won_value
        won[("team", cell.team_id)] += totals.won_value
    quotas: dict[Owner, list[QuotaRow]] = defaultdict(list)
    for row in data.quotas:
        if row.rep_id is not None or not data.scope.per_rep:
            quotas[quota_owner(row)].append(row)

    def name_of(owner: Owner) -> str:
        kind, pk = owner
        if pk is None:
            return NO_TEAM
        if kind == "rep":
            return data.names.person(pk)
        return data.names.teams.get(pk, f"#{pk}")

    bars: dict[str, list[QuotaBar]] = {"rep": [], "team": []}
    for owner, rows in quotas.items():
        figure = quota_figure(rows, period)
        if figure is not None:
            bars[owner[0]].append(
                QuotaBar(name_of(owner), won[owner], figure.amount, share, not figure.whole)
            )
    for listed in bars.values():
        # Best attainment first; partial quotas, which have none, last.
        listed.sort(
            key=lambda bar: (bar.attainment is None, -(bar.attainment or 0), bar.name.lower())
        )
    level_owners = data.owners(data.scope.per_rep)
    return QuotaProgress(
        reps=bars["rep"],
        teams=bars["team"],
        expected_share=share,
        without_quota=sorted(
            (name_of(o) for o in level_owners if quota_figure(quotas.get(o, ()), period) is None),
            key=str.lower,
        ),
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
        lost_reasons = lost_by_reason(scope)
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
    quota_level = data.level_quotas(scope.per_rep)
    owners = data.owners(scope.per_rep)
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
                **quota_fields(quota_figure(quota_level, month, owners)),
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
                **quota_fields(quota_figure(quota_level, bucket, owners)),
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
        lost_reasons=lost_reasons,
    )
