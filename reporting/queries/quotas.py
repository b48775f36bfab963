"""Quotas: which fall inside a period, and the quota of a month."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from reporting.metrics import MONEY_PLACES, ZERO, round_half_up
from reporting.periods import Period, whole_months
from reporting.queries.scope import ReportScope
from teams.models import PeriodKind


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
