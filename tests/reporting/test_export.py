"""Export CSV: the breakdown table with the dashboard's filters, plain numbers, a header row."""

import csv
import io

import pytest
from django.urls import reverse

from activities.models import ActivityType
from tests.reporting.conftest import History, make_activity, make_quota

URL = reverse("reporting:breakdown-csv")
Q1 = {"period": "custom", "start": "2026-01-01", "end": "2026-03-31"}
pytestmark = pytest.mark.django_db


@pytest.fixture
def q1_deals(cast, stages):
    history = History(cast.admin)
    history.won(
        owner=cast.rep_a,
        stage=stages["Negotiation"],
        value="1234567.89",
        created="2026-01-10",
        closed="2026-01-20 12:00",
    )
    history.lost(
        owner=cast.rep_b,
        stage=stages["Lead"],
        value="800.00",
        created="2026-01-05",
        closed="2026-02-01",
    )
    make_quota(team=cast.team_a, amount="2000000.00", start="2026-01-01")
    make_activity(
        deal=cast.deal_a, assignee=cast.rep_a, kind=ActivityType.MEETING, done_at="2026-03-03"
    )


def read(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_csv_has_a_header_the_rows_and_the_total_in_plain_numbers(client, cast, q1_deals):
    client.force_login(cast.admin)
    response = client.get(URL, {**Q1, "by": "team", "sort": "name"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="sales-2026-01-01-2026-03-31-by-team.csv"'
    )
    rows = read(response)
    assert rows[0] == [
        "team", "open_deals", "open_value", "weighted_value", "won_count", "lost_count",
        "won_value", "avg_deal_size", "win_rate", "cycle_days", "velocity", "quota",
        "quota_coverage", "attainment", "call", "email", "meeting", "task", "deadline",
    ]  # fmt: skip
    # Team A: the cast's two open deals (1,000.00 each in Lead, 10 %) and one deal won after
    # 10.5 days; no currency symbols, no thousands separators, "" for no value.
    assert rows[1] == [
        "Team A", "2", "2000.00", "200.00", "1", "0", "1234567.89", "1234567.89", "1.0",
        "10.5", "235155.79", "2000000.00", "whole", "0.6173", "0", "0", "1", "0", "0",
    ]  # fmt: skip
    assert rows[2] == [
        "Team B", "1", "1000.00", "100.00", "0", "1", "0.00", "", "0.0", "", "", "", "", "",
        "0", "0", "0", "0", "0",
    ]  # fmt: skip
    assert rows[3][:7] == ["total", "3", "3000.00", "300.00", "1", "1", "1234567.89"]
    assert len(rows) == 4


def test_the_csv_honours_the_filters(client, cast, q1_deals):
    client.force_login(cast.admin)
    rows = read(client.get(URL, {**Q1, "rep": cast.rep_b.pk}))
    assert [row[0] for row in rows[1:]] == [str(cast.rep_b), "total"]
    assert rows[-1][6] == "0.00"


def test_invalid_filters_give_a_400_with_the_reason(client, cast):
    client.force_login(cast.admin)
    response = client.get(URL, {"period": "custom", "start": "2026-03-01"})
    assert response.status_code == 400
    assert response.content.decode() == "Give both a start and an end date."


@pytest.fixture
def hostile_names(cast):
    """A team and a rep whose names a spreadsheet would run as formulas."""
    cast.team_a.name = '=HYPERLINK("http://evil")'
    cast.team_a.save()
    cast.rep_b.username = cast.rep_b.first_name = "+cmd"
    cast.rep_b.save()


def test_names_that_look_like_formulas_are_neutralised_and_numbers_stay_numbers(
    client, cast, q1_deals, hostile_names
):
    client.force_login(cast.admin)
    by_team = read(client.get(URL, {**Q1, "by": "team", "sort": "name"}))
    assert [row[0] for row in by_team[1:]] == ['\'=HYPERLINK("http://evil")', "Team B", "total"]
    assert by_team[1][1:4] == ["2", "2000.00", "200.00"]
    by_rep = read(client.get(URL, {**Q1, "by": "rep", "sort": "name"}))
    assert "'+cmd" in [row[0] for row in by_rep]
    assert not any(cell.startswith("'") for row in by_rep for cell in row[1:])
