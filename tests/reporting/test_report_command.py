"""`manage.py report`: the breakdown as JSON or CSV, for everyone or as one user sees it."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from tests.reporting.conftest import History

KEYS = [
    "group", "open_deals", "open_value", "weighted_value", "won_count", "lost_count",
    "won_value", "avg_deal_size", "win_rate", "cycle_days", "velocity",
    "quota", "quota_coverage", "attainment",
]  # fmt: skip
NO_QUOTA = {"quota": None, "quota_coverage": None, "attainment": None}
pytestmark = pytest.mark.django_db


def report(*args: str) -> str:
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def q1_deals(cast, stages):
    history = History(cast.admin)
    history.won(
        owner=cast.rep_a,
        stage=stages["Negotiation"],
        value="3000.00",
        created="2026-01-10",
        closed="2026-01-20 12:00",
    )
    history.won(
        owner=cast.rep_b,
        stage=stages["Negotiation"],
        value="999.99",
        created="2025-12-01",
        closed="2026-01-01",
    )
    history.lost(
        owner=cast.rep_a2,
        stage=stages["Lead"],
        value="800.00",
        created="2026-01-05",
        closed="2026-02-01",
    )


def test_json_by_territory_with_money_as_strings_and_a_total(cast, q1_deals):
    records = json.loads(
        report("--start", "2026-01-01", "--end", "2026-03-31", "--by", "territory")
    )
    assert [list(r) for r in records] == [KEYS] * 3
    assert records == [
        {
            "group": "East",
            "open_deals": 2,  # the cast's deals of rep_a and rep_a2, 1,000.00 each in Lead
            "open_value": "2000.00",
            "weighted_value": "200.00",
            "won_count": 1,
            "lost_count": 1,
            "won_value": "3000.00",
            "avg_deal_size": "3000.00",
            "win_rate": 0.5,
            "cycle_days": 10.5,
            "velocity": "285.71",  # 2 x 3,000 x 0.5 / 10.5
            **NO_QUOTA,
        },
        {
            "group": "West",
            "open_deals": 1,
            "open_value": "1000.00",
            "weighted_value": "100.00",
            "won_count": 1,
            "lost_count": 0,
            "won_value": "999.99",
            "avg_deal_size": "999.99",
            "win_rate": 1.0,
            "cycle_days": 31.0,
            "velocity": "32.26",  # 999.99 / 31
            **NO_QUOTA,
        },
        {
            "group": "total",
            "open_deals": 3,
            "open_value": "3000.00",
            "weighted_value": "300.00",
            "won_count": 2,
            "lost_count": 1,
            "won_value": "3999.99",
            "avg_deal_size": "2000.00",  # 3,999.99 / 2 = 1,999.995, half up
            "win_rate": 0.6667,
            "cycle_days": 20.8,  # (10.5 + 31) / 2 = 20.75
            "velocity": "192.77",  # 3 x 1,999.995 x 2/3 / 20.75 = 192.770...
            **NO_QUOTA,
        },
    ]


def test_by_none_prints_only_the_total_and_empty_figures_are_null(cast):
    records = json.loads(report("--start", "2020-01-01", "--end", "2020-12-31", "--by", "none"))
    assert records == [
        {
            "group": "total",
            "open_deals": 3,
            "open_value": "3000.00",
            "weighted_value": "300.00",
            "won_count": 0,
            "lost_count": 0,
            "won_value": "0.00",
            "avg_deal_size": None,
            "win_rate": None,
            "cycle_days": None,
            "velocity": None,
            **NO_QUOTA,
        }
    ]


def test_csv_by_rep_uses_usernames_and_the_same_figures(cast, q1_deals):
    rows = list(csv.DictReader(io.StringIO(report(
        "--start", "2026-01-01", "--end", "2026-03-31", "--by", "rep", "--format", "csv"
    ))))  # fmt: skip
    assert [row["group"] for row in rows] == ["rep_a", "rep_a2", "rep_b", "total"]
    assert list(rows[0]) == KEYS
    assert rows[1]["avg_deal_size"] == ""  # rep_a2 won nothing
    assert rows[3]["won_value"] == "3999.99"


def test_as_a_user_the_report_is_what_they_see_in_their_time_zone(cast, q1_deals):
    cast.rep_b.time_zone = "America/New_York"
    cast.rep_b.save()
    # rep_b's win at 2026-01-01 00:00 UTC was on 31 December 2025 in New York.
    mine = json.loads(report("--start", "2026-01-01", "--end", "2026-03-31", "--as", "rep_b"))
    assert mine[-1]["won_count"] == 0 and mine[-1]["open_deals"] == 1
    last_year = json.loads(report("--start", "2025-10-01", "--end", "2025-12-31", "--as", "rep_b"))
    assert Decimal(last_year[-1]["won_value"]) == Decimal("999.99")
    managers = json.loads(
        report("--start", "2026-01-01", "--end", "2026-03-31", "--as", "manager_a", "--by", "rep")
    )
    assert [r["group"] for r in managers] == ["rep_a", "rep_a2", "total"]


def test_bad_input_fails_with_a_message(cast):
    with pytest.raises(CommandError, match="No active user 'nobody'"):
        report("--start", "2026-01-01", "--end", "2026-03-31", "--as", "nobody")
    with pytest.raises(CommandError, match="--end is before --start"):
        report("--start", "2026-03-01", "--end", "2026-01-31")
    with pytest.raises(CommandError, match="not a date"):
        report("--start", "2026-02-30", "--end", "2026-03-31")


def test_csv_neutralises_names_that_look_like_formulas(cast, q1_deals):
    cast.team_a.name = '=HYPERLINK("http://evil")'
    cast.team_a.save()
    cast.rep_b.username = "+cmd"
    cast.rep_b.save()
    args = ["--start", "2026-01-01", "--end", "2026-03-31", "--format", "csv"]
    by_team = list(csv.DictReader(io.StringIO(report(*args, "--by", "team"))))
    assert [row["group"] for row in by_team] == ['\'=HYPERLINK("http://evil")', "Team B", "total"]
    by_rep = list(csv.DictReader(io.StringIO(report(*args, "--by", "rep"))))
    # Rows are sorted by the rep's name (Rep_B), the group is the username.
    assert [row["group"] for row in by_rep] == ["rep_a", "rep_a2", "'+cmd", "total"]
    assert by_rep[2]["won_value"] == "999.99"
    # JSON is data, not a spreadsheet: names are written as they are.
    records = json.loads(report("--start", "2026-01-01", "--end", "2026-03-31", "--by", "rep"))
    assert records[2]["group"] == "+cmd"


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("9999-12-31", "9999-12-31"),
        ("0001-01-01", "0001-01-01"),
        ("0001-01-01", "2026-12-31"),
        ("2026-01-01", "9999-12-31"),
    ],
)
@pytest.mark.parametrize("username", [None, "rep_a"])
@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "Etc/GMT+12"])
def test_dates_outside_the_supported_range_fail_with_a_message(
    cast, settings, start, end, username, tz
):
    settings.TIME_ZONE = tz
    cast.rep_a.time_zone = tz
    cast.rep_a.save()
    extra = ["--as", username] if username else []
    with pytest.raises(CommandError, match="from 1 January 1900 to 31 December 2200"):
        report("--start", start, "--end", end, *extra)


@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "Etc/GMT+12"])
def test_the_whole_supported_range_is_reported(cast, settings, tz):
    settings.TIME_ZONE = tz
    for fmt in ["json", "csv"]:
        assert "total" in report("--start", "1900-01-01", "--end", "2200-12-31", "--format", fmt)
