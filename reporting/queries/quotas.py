"""Quotas: how much of a period a set of quotas covers, and what it adds up to.

One rule gives every quota on the dashboard, the export and the command line. An owner (a
team, or one rep) has for a period:

- for each quarter inside the period, its quarterly quota, or else its months' quotas;
- for each other month inside the period, its monthly quota, or else a third of its
  quarter's (rounded to the cent);
- for days that do not make a whole month, nothing.

A figure's quota is whole when every owner counted in it (those with a quota, and those with
figures but no quota) has one for every day of the period; otherwise it is partial, and no
attainment is computed against it. A figure with no quota at all has None.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from reporting.metrics import MONEY_PLACES, ZERO, round_half_up
from reporting.periods import Period, add_months
from reporting.queries.scope import ReportScope
from teams.models import PeriodKind, quarter_bounds

# Whose quota a row is: ("rep", user id) or ("team", team id); ("team", None) for deals
# without a team, which no quota can cover.
Owner = tuple[str, int | None]


class QuotaRow(NamedTuple):
    team_id: int
    territory_id: int
    rep_id: int | None
    period: str
    start: date
    end: date
    amount: Decimal


class QuotaFigure(NamedTuple):
    amount: Decimal
    # Every owner counted has a quota for every day of the period.
    whole: bool


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


def quota_owner(row: QuotaRow) -> Owner:
    return ("rep", row.rep_id) if row.rep_id is not None else ("team", row.team_id)


def whole_months_in(period: Period) -> tuple[list[date], bool]:
    """The first days of the calendar months that lie inside `period`, and whether they
    make up all of it."""
    first = period.start if period.start.day == 1 else add_months(period.start, 1)
    months = []
    while add_months(first, 1) - timedelta(days=1) <= period.end:
        months.append(first)
        first = add_months(first, 1)
    filled = bool(months) and months[0] == period.start and first - timedelta(days=1) == period.end
    return months, filled


def owner_quota(rows: Iterable[QuotaRow], period: Period) -> QuotaFigure | None:
    """One owner's quota for `period` (see the module's rule), or None when it has none."""
    quarterly = {r.start: r.amount for r in rows if r.period == PeriodKind.QUARTER}
    monthly = {r.start: r.amount for r in rows if r.period == PeriodKind.MONTH}
    months, whole = whole_months_in(period)
    amount, found = ZERO, False
    counted_quarters: set[date] = set()
    for month in months:
        quarter_start, quarter_end = quarter_bounds(month)
        quarter_inside = period.start <= quarter_start and quarter_end <= period.end
        if quarter_inside and quarter_start in quarterly:
            if quarter_start not in counted_quarters:
                counted_quarters.add(quarter_start)
                amount += quarterly[quarter_start]
        elif month in monthly:
            amount += monthly[month]
        elif quarter_start in quarterly:
            amount += round_half_up(Fraction(quarterly[quarter_start]) / 3, MONEY_PLACES)
        else:
            whole = False
            continue
        found = True
    return QuotaFigure(amount, whole) if found else None


def quota_figure(
    rows: Iterable[QuotaRow], period: Period, owners: Collection[Owner] = ()
) -> QuotaFigure | None:
    """The quota of the owners of `rows` for `period`; partial when one of them, or one of
    `owners` (those with figures), lacks a quota for part of it. None: no quota at all."""
    by_owner: dict[Owner, list[QuotaRow]] = defaultdict(list)
    for row in rows:
        by_owner[quota_owner(row)].append(row)
    amount, whole, found = ZERO, True, False
    for owner in by_owner.keys() | set(owners):
        share = owner_quota(by_owner.get(owner, ()), period)
        if share is None:
            # An owner whose quotas all lie outside the period and who has no figures in it
            # takes no part.
            whole = whole and owner not in owners
            continue
        found = True
        amount += share.amount
        whole = whole and share.whole
    return QuotaFigure(amount, whole) if found else None
