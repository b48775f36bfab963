"""Quotas and their pace, the forecast, the stage funnel, the pipeline when the period began,
and activity counts, each on a hand-built data set (Q1 2026, UTC, unless a test says)."""

from decimal import Decimal

import pytest

from activities.models import ActivityType
from reporting.queries import breakdown, sales_dashboard
from teams.models import PeriodKind
from tests.reporting.conftest import at, make_activity, make_quota, scope

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def quotas_and_wins(cast, history, stages):
    negotiation = stages["Negotiation"]
    make_quota(team=cast.team_a, amount="10000.00", start="2026-01-01")
    make_quota(team=cast.team_a, rep=cast.rep_a, amount="6000.00", start="2026-01-01")
    # Part of rep_a's quarterly quota: it does not count again.
    make_quota(
        team=cast.team_a,
        rep=cast.rep_a,
        amount="2000.00",
        start="2026-01-01",
        kind=PeriodKind.MONTH,
    )
    make_quota(
        team=cast.team_a,
        rep=cast.rep_a2,
        amount="1500.00",
        start="2026-02-01",
        kind=PeriodKind.MONTH,
    )
    # Q2: does not fall inside Q1.
    make_quota(team=cast.team_b, amount="9000.00", start="2026-04-01")
    history.won(
        owner=cast.rep_a,
        stage=negotiation,
        value="3000.00",
        created="2026-01-10",
        closed="2026-01-20",
    )
    history.won(
        owner=cast.rep_a2,
        stage=negotiation,
        value="1000.00",
        created="2026-01-10",
        closed="2026-02-10",
    )
    history.won(
        owner=cast.rep_b,
        stage=negotiation,
        value="500.00",
        created="2026-01-10",
        closed="2026-01-15",
    )


def test_quota_and_attainment_per_rep_and_per_team(cast, quotas_and_wins):
    q1 = scope(cast.admin, "2026-01-01", "2026-03-31")
    by_rep = breakdown(q1, by="rep", sort="name")
    assert [(r.name, r.quota, r.quota_coverage, r.attainment) for r in by_rep.rows] == [
        (str(cast.rep_a), D("6000.00"), "whole", D("0.5000")),
        # Only February has a quota: 1,500.00 is not Q1's quota, so no attainment.
        (str(cast.rep_a2), D("1500.00"), "partial", None),
        (str(cast.rep_b), None, None, None),
    ]
    # rep_a2's months without a quota and rep_b's won deal are not covered.
    assert (by_rep.total.quota, by_rep.total.quota_coverage, by_rep.total.attainment) == (
        D("7500.00"),
        "partial",
        None,
    )
    by_team = breakdown(q1, by="team", sort="name")
    assert [(r.name, r.quota, r.quota_coverage, r.attainment) for r in by_team.rows] == [
        ("Team A", D("10000.00"), "whole", D("0.4000")),  # 4,000 of 10,000
        ("Team B", None, None, None),
    ]
    # Team B won 500.00 without a quota: 10,000.00 is not the quota of all that was won.
    assert (by_team.total.quota, by_team.total.quota_coverage, by_team.total.attainment) == (
        D("10000.00"),
        "partial",
        None,
    )
    # Seen by team A's manager, team A is all there is: the total is whole.
    mine = breakdown(scope(cast.manager_a, "2026-01-01", "2026-03-31"), by="team")
    assert (mine.total.quota, mine.total.quota_coverage, mine.total.attainment) == (
        D("10000.00"),
        "whole",
        D("0.4000"),
    )


def test_a_quarter_of_three_monthly_quotas_is_whole(cast, quotas_and_wins):
    for month, amount in [
        ("2026-01-01", "100.00"),
        ("2026-02-01", "200.00"),
        ("2026-03-01", "700.00"),
    ]:
        make_quota(team=cast.team_b, amount=amount, start=month, kind=PeriodKind.MONTH)
    by_team = breakdown(scope(cast.admin, "2026-01-01", "2026-03-31"), by="team", sort="name")
    assert [(r.name, r.quota, r.quota_coverage, r.attainment) for r in by_team.rows] == [
        ("Team A", D("10000.00"), "whole", D("0.4000")),
        ("Team B", D("1000.00"), "whole", D("0.5000")),
    ]
    assert (by_team.total.quota, by_team.total.quota_coverage, by_team.total.attainment) == (
        D("11000.00"),
        "whole",
        D("0.4091"),  # 4,500 / 11,000
    )
    # Two of those months: their own quotas, and team A's two thirds of its quarter.
    two_months = breakdown(scope(cast.admin, "2026-01-01", "2026-02-28"), by="team", sort="name")
    assert [(r.name, r.quota, r.quota_coverage) for r in two_months.rows] == [
        ("Team A", D("6666.66"), "whole"),  # 3,333.33 twice
        ("Team B", D("300.00"), "whole"),
    ]


def test_a_period_not_made_of_whole_months_has_a_partial_quota(cast, quotas_and_wins):
    # 1 January to 15 February: January's share counts, half of February has no quota.
    by_team = breakdown(scope(cast.admin, "2026-01-01", "2026-02-15"), by="team", sort="name")
    assert [(r.name, r.quota, r.quota_coverage, r.attainment) for r in by_team.rows] == [
        ("Team A", D("3333.33"), "partial", None),
        ("Team B", None, None, None),
    ]
    # Less than a month: no quota at all.
    days = breakdown(scope(cast.admin, "2026-01-05", "2026-01-25"), by="team", sort="name")
    assert [(r.name, r.quota, r.attainment) for r in days.rows] == [
        ("Team A", None, None),
        ("Team B", None, None),
    ]


def test_a_month_without_its_own_quota_has_a_third_of_its_quarters(cast, quotas_and_wins):
    february = breakdown(scope(cast.admin, "2026-02-01", "2026-02-28"), by="rep", sort="name")
    # The same month's quota as the forecast and the chart: rep_a's monthly quota is
    # January's, so February has a third of the quarter's 6,000.00.
    assert [(r.name, r.quota, r.quota_coverage, r.attainment) for r in february.rows] == [
        (str(cast.rep_a), D("2000.00"), "whole", D("0.0000")),
        (str(cast.rep_a2), D("1500.00"), "whole", D("0.6667")),
    ]
    january = breakdown(scope(cast.admin, "2026-01-01", "2026-01-31"), by="rep", sort="name")
    assert [(r.name, r.quota, r.attainment) for r in january.rows] == [
        (str(cast.rep_a), D("2000.00"), D("1.5000")),  # its own monthly quota
        (str(cast.rep_b), None, None),
    ]


def test_territory_rows_are_partial_when_a_team_in_them_has_no_quota(cast, quotas_and_wins):
    rows = breakdown(scope(cast.admin, "2026-01-01", "2026-03-31"), by="territory", sort="name")
    assert [(r.name, r.quota, r.quota_coverage, r.attainment) for r in rows.rows] == [
        ("East", D("10000.00"), "whole", D("0.4000")),
        ("West", None, None, None),
    ]


def test_quota_bars_mark_who_is_behind_the_calendar(cast, quotas_and_wins):
    # 15 February: 45 of Q1's 90 days have passed, so half of each quota is expected.
    report = sales_dashboard(
        scope(cast.admin, "2026-01-01", "2026-03-31"), by="rep", now=at("2026-02-15")
    )
    progress = report.quota_progress
    assert progress.expected_share == D("0.5000")
    assert [
        (b.name, b.won_value, b.quota, b.expected_value, b.is_behind) for b in progress.teams
    ] == [
        ("Team A", D("4000.00"), D("10000.00"), D("5000.00"), True),
    ]
    assert [(b.name, b.expected_value, b.is_behind, b.partial) for b in progress.reps] == [
        (str(cast.rep_a), D("3000.00"), False, False),  # exactly on pace
        # A quota for February only: neither attainment nor pace, listed last.
        (str(cast.rep_a2), None, False, True),
    ]
    assert progress.reps[1].attainment is None
    # Team B won 500.00 with no quota: said so, not drawn as a bar.
    assert progress.without_quota == ["Team B"]


def test_a_zero_quota_gives_no_attainment(cast, quotas_and_wins):
    make_quota(team=cast.team_b, amount="0.00", start="2026-01-01")
    report = sales_dashboard(
        scope(cast.admin, "2026-01-01", "2026-03-31"), by="team", now=at("2026-02-15")
    )
    team_b = next(b for b in report.quota_progress.teams if b.name == "Team B")
    assert (team_b.quota, team_b.attainment, team_b.bar_percent) == (D("0.00"), None, D("0"))
    row = next(r for r in report.breakdown.rows if r.name == "Team B")
    assert (row.quota, row.attainment) == (D("0.00"), None)


def test_a_rep_sees_their_own_quota_only(cast, quotas_and_wins):
    report = sales_dashboard(
        scope(cast.rep_a, "2026-01-01", "2026-03-31"), by="team", now=at("2026-02-15")
    )
    assert report.quota_progress.teams == []
    assert [b.name for b in report.quota_progress.reps] == [str(cast.rep_a)]
    # Their team row carries their own quota, not the team's.
    assert [(r.name, r.quota, r.quota_coverage) for r in report.breakdown.rows] == [
        ("Team A", D("6000.00"), "whole")
    ]


def test_a_manager_sees_their_teams_quotas(cast, quotas_and_wins):
    report = sales_dashboard(
        scope(cast.manager_a, "2026-01-01", "2026-03-31"), by="rep", now=at("2026-02-15")
    )
    assert [b.name for b in report.quota_progress.teams] == ["Team A"]
    assert sorted(b.name for b in report.quota_progress.reps) == [str(cast.rep_a), str(cast.rep_a2)]
    assert report.quota_progress.without_quota == []
    other = sales_dashboard(
        scope(cast.manager_b, "2026-01-01", "2026-03-31"), by="rep", now=at("2026-02-15")
    )
    assert other.quota_progress.teams == other.quota_progress.reps == []
    assert other.quota_progress.without_quota == ["Team B"]


def test_forecast_of_this_month_and_the_next_two(cast, history, stages):
    lead, proposal, negotiation = stages["Lead"], stages["Proposal"], stages["Negotiation"]
    for stage, value, expected in [
        (proposal, "1000.00", "2026-02-20"),
        (negotiation, "2000.00", "2026-03-05"),
        (lead, "500.00", "2026-04-30"),
        (lead, "999.00", "2026-05-01"),  # after the third month
        (proposal, "300.00", "2026-01-31"),  # overdue on 15 February
    ]:
        history.create(
            owner=cast.rep_a,
            stage=stage,
            value=value,
            when="2026-01-05",
            expected_close_date=at(expected).date(),
        )
    history.won(
        owner=cast.rep_a,
        stage=negotiation,
        value="700.00",
        created="2026-01-10",
        closed="2026-02-03",
    )
    make_quota(team=cast.team_a, amount="9000.00", start="2026-01-01")
    make_quota(team=cast.team_a, amount="12000.00", start="2026-04-01")
    make_quota(team=cast.team_a, amount="4000.00", start="2026-04-01", kind=PeriodKind.MONTH)

    report = sales_dashboard(
        scope(cast.admin, "2026-01-01", "2026-03-31"), by="rep", now=at("2026-02-15")
    )
    forecast = report.forecast
    assert [
        (m.month.short_label, m.open_value, m.weighted_value, m.won_value, m.quota, m.coverage)
        for m in forecast.months
    ] == [
        # A third of the 9,000.00 quarter; (700 won + 500 weighted) / 3,000.
        ("Feb 2026", D("1000.00"), D("500.00"), D("700.00"), D("3000.00"), D("0.4000")),
        ("Mar 2026", D("2000.00"), D("1600.00"), D("0.00"), D("3000.00"), D("0.5333")),
        # April has its own monthly quota, which wins over a third of Q2's.
        ("Apr 2026", D("500.00"), D("50.00"), D("0.00"), D("4000.00"), D("0.0125")),
    ]
    assert (forecast.overdue_deals, forecast.overdue_value) == (1, D("300.00"))
    assert [(m.period.short_label, m.won_value, m.quota) for m in report.won_by_month] == [
        ("Jan 2026", D("0.00"), D("3000.00")),
        ("Feb 2026", D("700.00"), D("3000.00")),
        ("Mar 2026", D("0.00"), D("3000.00")),
    ]


def test_forecast_and_chart_months_missing_a_teams_quota_are_partial(cast, history, stages):
    for owner, expected in [(cast.rep_a, "2026-02-20"), (cast.rep_b, "2026-03-10")]:
        history.create(
            owner=owner,
            stage=stages["Proposal"],
            value="1000.00",
            when="2026-01-05",
            expected_close_date=at(expected).date(),
        )
    make_quota(team=cast.team_a, amount="9000.00", start="2026-01-01")
    make_quota(team=cast.team_b, amount="500.00", start="2026-03-01", kind=PeriodKind.MONTH)
    report = sales_dashboard(
        scope(cast.admin, "2026-01-01", "2026-03-31"), by="team", now=at("2026-02-15")
    )
    # Team B has open deals but a quota for March only.
    assert [
        (m.month.short_label, m.quota, m.quota_partial, m.coverage) for m in report.forecast.months
    ] == [
        ("Feb 2026", D("3000.00"), True, None),
        ("Mar 2026", D("3500.00"), False, D("0.1429")),  # 500 weighted / 3,500
        ("Apr 2026", None, False, None),
    ]
    assert [(m.period.short_label, m.quota, m.quota_partial) for m in report.won_by_month] == [
        ("Jan 2026", D("3000.00"), True),
        ("Feb 2026", D("3000.00"), True),
        ("Mar 2026", D("3500.00"), False),
    ]
    # The chart draws no quota it cannot stand behind.
    from reporting.views import chart_data

    assert chart_data(report)["wonByMonth"]["quota"] == [None, None, "3500.00"]


@pytest.fixture
def funnel_deals(cast, history, stages):
    lead, proposal, negotiation = stages["Lead"], stages["Proposal"], stages["Negotiation"]
    rep = cast.rep_a
    # F1: Lead, then Proposal, then won.
    f1 = history.create(owner=rep, stage=lead, value="100.00", when="2026-01-05")
    history.move(f1, proposal, "2026-01-20")
    history.win(f1, "2026-02-01")
    # F2: in Lead since 2025; Proposal, back to Lead, then Negotiation; still open.
    f2 = history.create(owner=rep, stage=lead, value="200.00", when="2025-12-10")
    history.move(f2, proposal, "2026-01-03")
    history.move(f2, lead, "2026-01-10")
    history.move(f2, negotiation, "2026-02-05")
    # F3: Lead, lost.
    history.lost(owner=rep, stage=lead, value="300.00", created="2026-01-15", closed="2026-01-30")
    # F4: enters Proposal in Q1, moves on after Q1 ended.
    f4 = history.create(owner=rep, stage=proposal, value="400.00", when="2026-03-20")
    history.move(f4, negotiation, "2026-04-05")
    # F5: enters Lead twice in Q1 (counted once), Proposal in between.
    f5 = history.create(owner=rep, stage=lead, value="500.00", when="2026-02-01")
    history.move(f5, proposal, "2026-02-02")
    history.move(f5, lead, "2026-02-03")
    # F6: in Negotiation since 2025, won in Q1: no stage entered in Q1.
    history.won(
        owner=rep, stage=negotiation, value="600.00", created="2025-11-01", closed="2026-01-10"
    )
    # F7: lost before Q1, reopened in Q1. F8: lost and reopened in Q1. Reopening is no entry.
    f7 = history.lost(
        owner=rep, stage=proposal, value="700.00", created="2025-12-01", closed="2025-12-15"
    )
    history.reopen(f7, "2026-01-15")
    f8 = history.lost(
        owner=rep, stage=proposal, value="800.00", created="2025-12-01", closed="2026-01-05"
    )
    history.reopen(f8, "2026-01-06")


def test_stage_funnel_from_the_history(cast, funnel_deals):
    report = sales_dashboard(
        scope(cast.admin, "2026-01-01", "2026-03-31"), by="rep", now=at("2026-04-15")
    )
    assert [(f.stage, f.entered, f.moved_on, f.won) for f in report.funnel] == [
        # F1, F2, F3, F5 entered; F1 (Proposal), F2 (Negotiation), F5 (Proposal) went further.
        ("Lead", 4, 3, 1),
        # F1, F2, F4, F5 entered; F2 and F4 later entered Negotiation; F1 is won.
        ("Proposal", 4, 2, 1),
        ("Negotiation", 1, 0, 0),
    ]
    lead = report.funnel[0]
    assert (lead.moved_on_rate, lead.won_rate) == (D("0.7500"), D("0.2500"))


def test_the_pipeline_when_the_period_began_is_rebuilt_from_the_history(cast, funnel_deals):
    report = sales_dashboard(
        scope(cast.admin, "2026-01-01", "2026-03-31"), by="rep", now=at("2026-04-15")
    )
    tiles = {t.name: (t.value, t.previous) for t in report.tiles}
    # Now: F2 and F4 in Negotiation, F5 in Lead, F7 and F8 (reopened) in Proposal.
    # At the end of 2025: F2 (in Lead), F6 (Negotiation) and F8 (Proposal, lost only on
    # 5 January); F7 was lost then.
    assert tiles["open_deals"] == (5, 3)
    assert tiles["open_value"] == (D("2600.00"), D("1600.00"))
    # Now 160 + 320 + 50 + 350 + 400; then 20 + 480 + 400.
    assert tiles["weighted_value"] == (D("1280.00"), D("900.00"))


def test_activity_counts_per_person_and_type_in_the_period(cast, history, stages):
    deal_a = history.create(
        owner=cast.rep_a, stage=stages["Lead"], value="10.00", when="2025-12-01"
    )
    deal_b = history.create(
        owner=cast.rep_b, stage=stages["Lead"], value="10.00", when="2025-12-01"
    )
    make_activity(deal=deal_a, assignee=cast.rep_a, kind=ActivityType.CALL, done_at="2026-01-05")
    make_activity(
        deal=deal_a, assignee=cast.rep_a, kind=ActivityType.CALL, done_at="2026-03-31 23:00"
    )
    make_activity(deal=deal_a, assignee=cast.rep_a, kind=ActivityType.EMAIL, done_at="2026-02-01")
    make_activity(
        deal=deal_a, assignee=cast.rep_a, kind=ActivityType.CALL, done_at="2025-12-31 23:00"
    )
    make_activity(deal=deal_a, assignee=cast.rep_a, kind=ActivityType.MEETING)  # not done
    make_activity(deal=deal_b, assignee=cast.rep_b, kind=ActivityType.MEETING, done_at="2026-02-02")

    by_rep = breakdown(scope(cast.admin, "2026-01-01", "2026-03-31"), by="rep", sort="name")
    counts = {row.name: dict(+row.activities) for row in by_rep.rows}
    assert counts == {str(cast.rep_a): {"call": 2, "email": 1}, str(cast.rep_b): {"meeting": 1}}
    assert dict(+by_rep.total.activities) == {"call": 2, "email": 1, "meeting": 1}
    by_team = breakdown(scope(cast.admin, "2026-01-01", "2026-03-31"), by="team", sort="name")
    assert [dict(+row.activities) for row in by_team.rows] == [
        {"call": 2, "email": 1},
        {"meeting": 1},
    ]
    managers = breakdown(scope(cast.manager_a, "2026-01-01", "2026-03-31"), by="rep")
    assert dict(+managers.total.activities) == {"call": 2, "email": 1}
