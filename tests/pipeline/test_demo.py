from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Max, Min, Sum
from django.utils import timezone

from pipeline.demo import seed_demo
from pipeline.models import Deal, DealStageChange, DealStatus, Stage
from reporting.periods import Period, Preset, add_months, preset_period
from reporting.queries import breakdown, report_scope, sales_dashboard
from teams.models import PeriodKind, Quota, Role, Team, Territory, User


@pytest.mark.django_db
@time_machine.travel("2026-11-27 09:00:00+00:00", tick=False)
def test_seed_demo_builds_a_lively_organisation_up_to_today():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "ada.admin" in out.getvalue() and "password 'demo'" in out.getvalue()

    assert (
        Territory.objects.count() >= 3 and Territory.objects.filter(parent__isnull=False).exists()
    )
    assert Team.objects.count() >= 3
    assert User.objects.filter(role="manager").count() == Team.objects.count()
    assert 5 <= Stage.objects.count() <= 7
    assert Deal.objects.count() >= 2000
    for stage in Stage.objects.all():
        assert stage.deals.filter(status=DealStatus.OPEN).exists(), stage.name
    assert Deal.objects.filter(status=DealStatus.WON).exists()
    assert Deal.objects.filter(status=DealStatus.LOST).exclude(lost_reason=None).exists()

    span = DealStageChange.objects.aggregate(first=Min("changed_at"), last=Max("changed_at"))
    now = timezone.now()
    assert span["first"] < now - timedelta(days=480)
    assert now - timedelta(days=7) < span["last"] <= now
    assert not Deal.objects.filter(closed_at__gt=now).exists()

    # Every preset period of the dashboard lies inside the history (quotas: see below).
    assert datetime(2025, 1, 1, tzinfo=UTC) <= span["first"] < datetime(2025, 1, 15, tzinfo=UTC)

    # Every deal's history ends where the deal is.
    for deal in Deal.objects.filter(status=DealStatus.OPEN)[:200]:
        assert deal.stage_changes.last().to_stage_id == deal.stage_id


def fingerprint():
    return (
        Deal.objects.aggregate(total=Sum("value"))["total"],
        list(
            Deal.objects.order_by("created_at").values_list("title", "status", "stage__name")[:50]
        ),
        DealStageChange.objects.count(),
        Quota.objects.aggregate(total=Sum("amount"))["total"],
    )


@pytest.mark.django_db
@time_machine.travel("2026-11-27 09:00:00+00:00", tick=False)
def test_seed_demo_is_reproducible_and_refuses_a_full_database():
    with transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        first = fingerprint()
        transaction.set_rollback(True)
    assert not Deal.objects.exists()

    call_command("seed_demo", stdout=StringIO())
    assert fingerprint() == first
    with pytest.raises(CommandError, match="already holds"):
        call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "not seeded" in out.getvalue()
    assert fingerprint() == first


def months_between(first: date, last: date) -> list[date]:
    months = [first]
    while add_months(months[-1], 1) <= last:
        months.append(add_months(months[-1], 1))
    return months


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("today", "first", "last"),
    [
        # The history starts on 1 January of last year (the quarter 18 months ago, Q2 2025,
        # is later); the forecast shows November 2026 to January 2027: quotas up to Q1 2027.
        ("2026-11-27", date(2025, 1, 1), date(2027, 3, 1)),
        # The quarter 18 months ago, Q3 2025, starts before last year; quotas for all of
        # this year, beyond the forecast (February to April).
        ("2027-02-10", date(2025, 7, 1), date(2027, 12, 1)),
    ],
)
def test_demo_quotas_cover_every_period_it_shows(today, first, last):
    with time_machine.travel(f"{today} 09:00:00+00:00", tick=False):
        # Fewer deals than the demo's: the quotas' periods do not depend on them.
        seed_demo(deal_count=400)
        check_quota_periods(months_between(first, last))


@pytest.mark.django_db
@time_machine.travel("2026-11-27 09:00:00+00:00", tick=False)
def test_demo_quotas_give_plausible_attainment():
    call_command("seed_demo", stdout=StringIO())
    admin = User.objects.get(username="ada.admin")
    # The finished months and quarters of the history (to October 2026, to Q3 2026).
    months = months_between(date(2025, 1, 1), date(2026, 10, 1))
    utc = admin.zoneinfo
    monthly = [Period(m, add_months(m, 1) - timedelta(days=1), utc) for m in months]
    quarterly = [Period(q, add_months(q, 3) - timedelta(days=1), utc) for q in months[:-3:3]]

    def attainments(by: str, periods: list[Period]) -> list:
        return [
            row.attainment
            for period in periods
            for row in breakdown(report_scope(admin, period=period), by=by).rows
        ]

    # Mostly 50-130 %, nothing absurd.
    for by, periods, share in [
        ("team", quarterly, 0.8),
        ("team", monthly, 0.7),
        ("rep", quarterly, 0.7),
    ]:
        values = attainments(by, periods)
        assert None not in values
        inside = [v for v in values if Decimal("0.5") <= v <= Decimal("1.3")]
        assert len(inside) >= share * len(values), (by, len(periods), sorted(values))
        assert max(values) < 2
    company = [breakdown(report_scope(admin, period=p), by="none").total for p in quarterly]
    assert all(Decimal("0.6") <= t.attainment <= Decimal("1.2") for t in company), [
        t.attainment for t in company
    ]


def check_quota_periods(months: list[date]) -> None:
    quarters = months[::3]
    owners = [(rep.team_id, rep.pk) for rep in User.objects.filter(role=Role.REP)]
    owners += [(team.pk, None) for team in Team.objects.all()]
    quotas = {
        (q.team_id, q.rep_id, q.period, q.period_start): q.amount for q in Quota.objects.all()
    }
    assert set(quotas) == {
        (team, rep, kind, start)
        for team, rep in owners
        for kind, starts in [(PeriodKind.MONTH, months), (PeriodKind.QUARTER, quarters)]
        for start in starts
    }
    for team, rep in owners:
        for quarter in quarters:
            three = [
                quotas[(team, rep, PeriodKind.MONTH, m)]
                for m in months_between(quarter, add_months(quarter, 2))
            ]
            assert quotas[(team, rep, PeriodKind.QUARTER, quarter)] == sum(three)
            assert min(three) > 0
    for team in Team.objects.all():
        reps = [rep for t, rep in owners if t == team.pk and rep]
        for month in months:
            assert quotas[(team.pk, None, PeriodKind.MONTH, month)] == sum(
                quotas[(team.pk, rep, PeriodKind.MONTH, month)] for rep in reps
            )

    # Every preset the dashboard offers, for the admin and a manager: whole quotas only.
    admin, manager = (
        User.objects.get(username="ada.admin"),
        User.objects.get(username="maria.lopez"),
    )
    now = timezone.now()
    for viewer in [admin, manager]:
        for preset in Preset.values:
            if preset == Preset.CUSTOM:
                continue
            period = preset_period(preset, today=now.date(), tz=viewer.zoneinfo)
            report = sales_dashboard(report_scope(viewer, period=period), by="rep", now=now)
            rows = [*report.breakdown.rows, report.breakdown.total]
            assert {r.quota_coverage for r in rows} == {"whole"}, (viewer, preset)
            bars = report.quota_progress.teams + report.quota_progress.reps
            assert bars and not any(bar.partial for bar in bars)
            assert report.quota_progress.without_quota == []
            assert all(m.quota and not m.quota_partial for m in report.forecast.months)
            assert all(m.quota and not m.quota_partial for m in report.won_by_month)
            by_team = breakdown(report_scope(viewer, period=period), by="territory")
            assert {r.quota_coverage for r in [*by_team.rows, by_team.total]} == {"whole"}
