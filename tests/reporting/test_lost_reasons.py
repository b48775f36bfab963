"""Lost value and count by reason for the period and scope, summed in SQL."""

from decimal import Decimal

import pytest
from django.urls import reverse

from pipeline.models import LostReason
from reporting.queries.deals import LostReasonFigure, lost_by_reason
from tests.reporting.conftest import scope


@pytest.fixture
def q1_losses(cast, history, stages):
    """Worked example, Q1 2026 (UTC):

    rep_a:  Price 1,000.00 (Jan), Price 500.50 (Mar), Other 300.00 (Feb)
    rep_a2: Timing 2,000.00 (Feb)
    rep_b:  Price 7,000.00 (Feb)  (team B: outside manager_a's scope)
    rep_a:  Price 900.00 lost 2025-12-31 23:59 and Timing 100.00 lost 2026-04-01 00:00:
            outside the period
    rep_a:  a deal won in Q1 does not count
    """
    price = LostReason.objects.create(name="Price", order=1)
    timing = LostReason.objects.create(name="Timing", order=2)
    lead = stages["Lead"]

    def lost(owner, value, when, reason=None, text=""):
        deal = history.create(owner=owner, stage=lead, value=value, when="2025-11-01")
        history.lose(deal, when, reason=reason, text=text)

    lost(cast.rep_a, "1000.00", "2026-01-10 10:00", price)
    lost(cast.rep_a, "500.50", "2026-03-31 23:59", price, "and slow support")
    lost(cast.rep_a, "300.00", "2026-02-01 08:00", None, "Merger froze the budget")
    lost(cast.rep_a2, "2000.00", "2026-02-15 12:00", timing)
    lost(cast.rep_b, "7000.00", "2026-02-20 12:00", price)
    lost(cast.rep_a, "900.00", "2025-12-31 23:59", price)
    lost(cast.rep_a, "100.00", "2026-04-01 00:00", timing)
    won = history.create(owner=cast.rep_a, stage=lead, value="5000.00", when="2025-11-01")
    history.win(won, "2026-02-02 09:00")


def test_the_admin_sees_every_loss_of_the_period_by_reason(cast, q1_losses):
    assert lost_by_reason(scope(cast.admin, "2026-01-01", "2026-03-31")) == [
        LostReasonFigure("Price", 3, Decimal("8500.50")),
        LostReasonFigure("Timing", 1, Decimal("2000.00")),
        LostReasonFigure("Other", 1, Decimal("300.00")),
    ]


def test_a_manager_sees_their_teams_losses_only(cast, q1_losses):
    assert lost_by_reason(scope(cast.manager_a, "2026-01-01", "2026-03-31")) == [
        LostReasonFigure("Timing", 1, Decimal("2000.00")),
        LostReasonFigure("Price", 2, Decimal("1500.50")),
        LostReasonFigure("Other", 1, Decimal("300.00")),
    ]


def test_a_rep_filter_and_another_period(cast, q1_losses):
    assert lost_by_reason(scope(cast.manager_a, "2026-01-01", "2026-03-31", rep=cast.rep_a2)) == [
        LostReasonFigure("Timing", 1, Decimal("2000.00"))
    ]
    assert lost_by_reason(scope(cast.admin, "2026-04-01", "2026-04-30")) == [
        LostReasonFigure("Timing", 1, Decimal("100.00"))
    ]
    assert lost_by_reason(scope(cast.admin, "2025-01-01", "2025-06-30")) == []


def test_the_dashboard_shows_the_table_and_the_chart_data(client, cast, q1_losses):
    client.force_login(cast.manager_a)
    response = client.get(
        reverse("reporting:dashboard"),
        {"period": "custom", "start": "2026-01-01", "end": "2026-03-31"},
    )
    assert response.status_code == 200
    table = response.text[response.text.index('id="lost-reasons"') :]
    table = table[: table.index("</section>")]
    rows = [("Timing", "1", "2,000.00"), ("Price", "2", "1,500.50"), ("Other", "1", "300.00")]
    for reason, count, value in rows:
        assert (
            f'<th scope="row" class="fw-normal text-break">{reason}</th>'
            f'<td class="text-end">{count}</td><td class="text-end text-nowrap">{value}</td>'
        ) in table
    charts = response.context["charts"]["lostReasons"]
    assert charts == {
        "labels": ["Timing", "Price", "Other"],
        "values": ["2000.00", "1500.50", "300.00"],
        "counts": [1, 2, 1],
    }


def test_a_period_without_losses_says_so(client, cast, history):
    client.force_login(cast.admin)
    response = client.get(reverse("reporting:dashboard"))
    assert "No deal was lost in" in response.text
