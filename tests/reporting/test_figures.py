"""The dashboard's figures on small data sets where every number is worked out by hand.

Stages of the cast pipeline: Lead 10 %, Proposal 50 %, Negotiation 80 %. rep_a is in team A
(territory East), rep_b in team B (territory West). Unless a test says otherwise the viewer
is the admin, in UTC, and the period is Q1 2026.
"""

from decimal import Decimal

import pytest

from reporting.metrics import Metrics
from reporting.queries import breakdown, sales_dashboard
from teams.models import Territory
from tests.reporting.conftest import at, scope

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def q1(cast, history, stages):
    """The worked example: every figure of Q1 2026 below is derived from these deals."""
    lead, proposal, negotiation = stages["Lead"], stages["Proposal"], stages["Negotiation"]
    a, b = cast.rep_a, cast.rep_b
    # Open now.
    history.create(owner=a, stage=proposal, value="1000.00", when="2026-02-01")  # weighs 500.00
    history.create(owner=a, stage=negotiation, value="2500.50", when="2026-02-02")  # 2,000.40
    history.create(owner=b, stage=lead, value="100.00", when="2026-03-01")  # 10.00
    # Won in Q1: 10.5 days, 101.75 days, and 31 days (closed at Q1's very first instant).
    history.won(
        owner=a, stage=negotiation, value="3000.00", created="2026-01-10", closed="2026-01-20 12:00"
    )
    history.won(
        owner=a, stage=negotiation, value="1200.00", created="2025-12-20", closed="2026-03-31 18:00"
    )
    history.won(
        owner=b, stage=negotiation, value="999.99", created="2025-12-01", closed="2026-01-01 00:00"
    )
    # Lost in Q1.
    history.lost(owner=a, stage=lead, value="800.00", created="2026-01-05", closed="2026-02-01")
    history.lost(owner=b, stage=proposal, value="450.00", created="2026-01-03", closed="2026-03-15")
    # Won just after Q1, and at the last second of Q4 2025: outside the period.
    history.won(
        owner=b, stage=negotiation, value="700.00", created="2026-02-01", closed="2026-04-01 00:00"
    )
    history.won(
        owner=b,
        stage=negotiation,
        value="650.00",
        created="2025-11-01",
        closed="2025-12-31 23:59:59",
    )


def test_an_empty_scope_has_zeros_and_no_ratios(cast, history):
    report = sales_dashboard(
        scope(cast.admin, "2026-01-01", "2026-03-31"), by="rep", now=at("2026-04-15")
    )
    assert report.breakdown.rows == []
    assert report.breakdown.total.metrics == Metrics(
        open_deals=0,
        open_value=D("0.00"),
        weighted_value=D("0.00"),
        won_count=0,
        lost_count=0,
        won_value=D("0.00"),
        avg_deal_size=None,
        win_rate=None,
        cycle_days=None,
        velocity=None,
    )
    assert all(tile.change in (0, None) for tile in report.tiles)
    assert report.is_empty


def test_q1_tiles_equal_the_worked_example(cast, q1):
    report = sales_dashboard(
        scope(cast.admin, "2026-01-01", "2026-03-31"), by="rep", now=at("2026-04-15")
    )
    tiles = {tile.name: tile.value for tile in report.tiles}
    assert tiles == {
        "open_deals": 3,
        "open_value": D("3600.50"),  # 1,000.00 + 2,500.50 + 100.00
        "weighted_value": D("2510.40"),  # 500.00 + 2,000.40 + 10.00
        "won_count": 3,
        "lost_count": 2,
        "won_value": D("5199.99"),  # 3,000.00 + 1,200.00 + 999.99
        "avg_deal_size": D("1733.33"),  # 5,199.99 / 3
        "win_rate": D("0.6000"),  # 3 / (3 + 2)
        "cycle_days": D("47.8"),  # (10.5 + 101.75 + 31) / 3 = 47.75, half up
        # 3 x (5,199.99 / 3) x 3/5 / 47.75 = 65.3402...
        "velocity": D("65.34"),
    }
    # The breakdown's total row is the tiles.
    assert report.breakdown.total.metrics == Metrics(**tiles)


def test_q1_per_rep(cast, q1):
    table = breakdown(scope(cast.admin, "2026-01-01", "2026-03-31"), by="rep", sort="name")
    rows = {row.name: row.metrics for row in table.rows}
    assert rows == {
        str(cast.rep_a): Metrics(
            open_deals=2,
            open_value=D("3500.50"),
            weighted_value=D("2500.40"),
            won_count=2,
            lost_count=1,
            won_value=D("4200.00"),
            avg_deal_size=D("2100.00"),
            win_rate=D("0.6667"),  # 2 / 3
            cycle_days=D("56.1"),  # (10.5 + 101.75) / 2 = 56.125
            velocity=D("49.89"),  # 2 x 2,100 x 2/3 / 56.125 = 49.888...
        ),
        str(cast.rep_b): Metrics(
            open_deals=1,
            open_value=D("100.00"),
            weighted_value=D("10.00"),
            won_count=1,
            lost_count=1,
            won_value=D("999.99"),
            avg_deal_size=D("999.99"),
            win_rate=D("0.5000"),
            cycle_days=D("31.0"),
            velocity=D("16.13"),  # 1 x 999.99 x 1/2 / 31 = 16.1288...
        ),
    }


@pytest.mark.parametrize("by", ["rep", "team", "territory"])
def test_counts_and_money_of_the_rows_add_up_to_the_total(cast, q1, by):
    table = breakdown(scope(cast.admin, "2026-01-01", "2026-03-31"), by=by)
    assert len(table.rows) == 2
    for name in ["open_deals", "open_value", "won_count", "lost_count", "won_value"]:
        assert sum(row.metrics.value(name) for row in table.rows) == table.total.metrics.value(name)


def test_the_previous_period_and_the_pipeline_when_the_period_began(cast, q1):
    report = sales_dashboard(
        scope(cast.admin, "2026-01-01", "2026-03-31"), by="rep", now=at("2026-04-15")
    )
    previous = {tile.name: tile.previous for tile in report.tiles}
    assert previous == {
        # Open at the end of 2025: the 1,200.00 and 999.99 deals, both in Negotiation (the
        # second was won at 2026-01-01 00:00, the first instant of Q1).
        "open_deals": 2,
        "open_value": D("2199.99"),
        "weighted_value": D("1759.99"),  # (1,200.00 + 999.99) x 80 % = 1,759.992
        # Q4 2025: one deal won, after 60 days 23:59:59; none lost.
        "won_count": 1,
        "lost_count": 0,
        "won_value": D("650.00"),
        "avg_deal_size": D("650.00"),
        "win_rate": D("1.0000"),
        "cycle_days": D("61.0"),
        # 2 x 650.00 x 1 / 60.99999 days = 21.3115...
        "velocity": D("21.31"),
    }
    changes = {tile.name: tile.change for tile in report.tiles}
    assert changes["open_deals"] == 1
    assert changes["won_value"] == D("4549.99")
    assert changes["win_rate"] == D("-0.4000")
    assert changes["avg_deal_size"] == D("1083.33")
    good = {tile.name: tile.is_good for tile in report.tiles}
    assert good["won_value"] is True
    assert good["lost_count"] is False  # two lost against none: bad news
    assert good["cycle_days"] is True  # 47.8 days against 61.0: shorter is better


def test_zero_won_and_all_lost(cast, history, stages):
    history.lost(
        owner=cast.rep_a,
        stage=stages["Lead"],
        value="500.00",
        created="2026-01-02",
        closed="2026-01-03",
    )
    history.lost(
        owner=cast.rep_a,
        stage=stages["Lead"],
        value="500.00",
        created="2026-01-02",
        closed="2026-01-04",
    )
    history.create(owner=cast.rep_a, stage=stages["Lead"], value="40.00", when="2026-01-02")
    metrics = breakdown(scope(cast.admin, "2026-01-01", "2026-03-31"), by="none").total.metrics
    assert (metrics.won_count, metrics.lost_count, metrics.won_value) == (0, 2, D("0.00"))
    assert metrics.win_rate == D("0.0000")
    assert metrics.avg_deal_size is None
    assert metrics.cycle_days is None
    assert metrics.velocity is None
    assert metrics.open_deals == 1


def test_deals_closed_on_the_first_and_last_local_day_count_and_a_second_outside_does_not(
    cast, history, stages
):
    negotiation = stages["Negotiation"]
    # April 2026 in Berlin (UTC+2) runs from 2026-03-31 22:00 to 2026-04-30 22:00 UTC.
    for closed, value in [
        ("2026-03-31 21:59:59", "1.00"),  # 31 March, 23:59:59 in Berlin
        ("2026-03-31 22:00:00", "10.00"),  # 1 April, 00:00 in Berlin
        ("2026-04-30 21:59:59", "100.00"),  # 30 April, 23:59:59 in Berlin
        ("2026-04-30 22:00:00", "1000.00"),  # 1 May, 00:00 in Berlin
    ]:
        history.won(
            owner=cast.rep_a, stage=negotiation, value=value, created="2026-03-01", closed=closed
        )
    berlin = breakdown(scope(cast.admin, "2026-04-01", "2026-04-30", "Europe/Berlin"), by="none")
    assert (berlin.total.metrics.won_count, berlin.total.metrics.won_value) == (2, D("110.00"))
    utc = breakdown(scope(cast.admin, "2026-04-01", "2026-04-30"), by="none")
    assert (utc.total.metrics.won_count, utc.total.metrics.won_value) == (2, D("1100.00"))


def test_a_utc_timestamp_on_another_local_date_falls_in_the_viewers_period(cast, history, stages):
    # 2026-04-01 03:00 UTC is 31 March, 20:00 in Los Angeles (UTC-7).
    history.won(
        owner=cast.rep_a,
        stage=stages["Lead"],
        value="250.00",
        created="2026-03-01",
        closed="2026-04-01 03:00",
    )
    for tz, q1_count, q2_count in [("UTC", 0, 1), ("America/Los_Angeles", 1, 0)]:
        q1 = breakdown(scope(cast.admin, "2026-01-01", "2026-03-31", tz), by="none")
        q2 = breakdown(scope(cast.admin, "2026-04-01", "2026-06-30", tz), by="none")
        assert (q1.total.metrics.won_count, q2.total.metrics.won_count) == (q1_count, q2_count), tz


def test_a_parent_territory_includes_its_children(cast, q1):
    americas = Territory.objects.create(name="Americas")
    Territory.objects.filter(name="East").update(parent=americas)
    table = breakdown(scope(cast.admin, "2026-01-01", "2026-03-31"), by="territory", sort="name")
    rows = [(row.name, row.depth, row.metrics.won_value) for row in table.rows]
    assert rows == [
        ("Americas", 0, D("4200.00")),  # East's figures
        ("East", 1, D("4200.00")),
        ("West", 0, D("999.99")),
    ]
    assert table.total.metrics.won_value == D("5199.99")
    # A territory filter takes the territories inside it too.
    inside = breakdown(scope(cast.admin, "2026-01-01", "2026-03-31", territory=americas), by="none")
    assert inside.total.metrics.won_value == D("4200.00")


def test_only_deals_in_the_report_currency_count(cast, q1, history, stages):
    history.won(
        owner=cast.rep_a,
        stage=stages["Lead"],
        value="5000.00",
        created="2026-01-02",
        closed="2026-01-03",
    )
    eur = history.create(
        owner=cast.rep_a, stage=stages["Lead"], value="7000.00", when="2026-01-02", currency="EUR"
    )
    history.win(eur, "2026-01-05")
    usd = breakdown(scope(cast.admin, "2026-01-01", "2026-03-31"), by="none").total.metrics
    assert usd.won_value == D("10199.99")  # the worked example's 5,199.99 + 5,000.00
    euros = breakdown(scope(cast.admin, "2026-01-01", "2026-03-31", currency="EUR"), by="none")
    assert euros.total.metrics.won_value == D("7000.00")


def test_the_pipeline_filter_narrows_every_block(cast, q1, history):
    from tests.factories import make_pipeline

    other = make_pipeline("Renewals", stages=(("Call", 40),))
    history.won(
        owner=cast.rep_a,
        stage=other.stages.get(),
        value="123.45",
        created="2026-01-02",
        closed="2026-01-10",
    )
    renewals = sales_dashboard(
        scope(cast.admin, "2026-01-01", "2026-03-31", pipeline=other),
        by="rep",
        now=at("2026-04-15"),
    )
    assert renewals.breakdown.total.metrics.won_value == D("123.45")
    assert [(f.stage, f.entered, f.won) for f in renewals.funnel] == [("Call", 1, 1)]
    assert [m.won_value for m in renewals.won_by_month] == [D("123.45"), D("0.00"), D("0.00")]
