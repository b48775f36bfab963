"""The Maven CRM data set: the report's 2017 figures equal those computed here from the CSV
files with plain Python (and their own rounding), for the company and per regional office."""

import csv
import json
import os
from collections import defaultdict
from datetime import date
from decimal import Decimal
from fractions import Fraction
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

MAVEN_DIR = Path(
    os.environ.get(
        "MAVEN_CRM_DIR", Path(__file__).resolve().parents[3] / "shared" / "datasets" / "maven-crm"
    )
)
needs_maven = pytest.mark.skipif(
    not (MAVEN_DIR / "sales_pipeline.csv").is_file(),
    reason=f"the Maven CRM data set is not at {MAVEN_DIR} (set MAVEN_CRM_DIR)",
)
# The importer's open stages and their win probabilities.
PROBABILITY = {"Prospecting": 20, "Engaging": 60}


def rows(name: str) -> list[dict]:
    with (MAVEN_DIR / name).open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def half_up(value: Fraction, places: int) -> Decimal:
    scaled = value * 10**places
    whole = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)
    return Decimal(whole).scaleb(-places)


def expected_figures(deals: list[dict], prices: dict[str, Decimal]) -> dict:
    """The report's metrics for 2017, from the CSV rows of one group of deals."""
    year = (date(2017, 1, 1), date(2017, 12, 31))

    def closed_in_2017(deal) -> bool:
        return (
            bool(deal["close_date"])
            and year[0] <= date.fromisoformat(deal["close_date"]) <= year[1]
        )

    open_deals = [d for d in deals if d["deal_stage"] in PROBABILITY]
    won = [d for d in deals if d["deal_stage"] == "Won" and closed_in_2017(d)]
    lost = [d for d in deals if d["deal_stage"] == "Lost" and closed_in_2017(d)]
    # Open deals are worth their product's list price (GTXPro is the product GTX Pro).
    open_values = [prices[d["product"].replace("GTXPro", "GTX Pro")] for d in open_deals]
    won_value = sum((Decimal(d["close_value"]) for d in won), Decimal("0.00"))
    # Dates are stored at noon: noon to noon in UTC is a whole number of days.
    won_days = sum(
        (date.fromisoformat(d["close_date"]) - date.fromisoformat(d["engage_date"])).days
        for d in won
    )
    figures = {
        "open_deals": len(open_deals),
        "open_value": f"{sum(open_values, Decimal('0')):.2f}",
        "weighted_value": str(
            half_up(
                sum(
                    (
                        Fraction(v) * PROBABILITY[d["deal_stage"]]
                        for v, d in zip(open_values, open_deals, strict=True)
                    ),
                    Fraction(0),
                )
                / 100,
                2,
            )
        ),
        "won_count": len(won),
        "lost_count": len(lost),
        "won_value": f"{won_value:.2f}",
        "avg_deal_size": None,
        "win_rate": None,
        "cycle_days": None,
        "velocity": None,
    }
    if won:
        average = Fraction(won_value) / len(won)
        rate = Fraction(len(won), len(won) + len(lost))
        cycle = Fraction(won_days, len(won))
        figures |= {
            "avg_deal_size": str(half_up(average, 2)),
            "win_rate": float(half_up(rate, 4)),
            "cycle_days": float(half_up(cycle, 1)),
            "velocity": str(half_up(len(open_deals) * average * rate / cycle, 2)),
        }
    return figures


@needs_maven
@pytest.mark.django_db
def test_2017_figures_equal_those_computed_from_the_csv_files(settings):
    settings.TIME_ZONE = "UTC"
    call_command("import_crm_csv", str(MAVEN_DIR), stdout=StringIO(), stderr=StringIO())
    deals = rows("sales_pipeline.csv")
    prices = {row["product"]: Decimal(row["sales_price"]) for row in rows("products.csv")}
    office = {row["sales_agent"]: row["regional_office"] for row in rows("sales_teams.csv")}
    by_office = defaultdict(list)
    for deal in deals:
        by_office[office[deal["sales_agent"]]].append(deal)

    out = StringIO()
    call_command(
        "report", "--start", "2017-01-01", "--end", "2017-12-31", "--by", "territory", stdout=out
    )
    report = {record.pop("group"): record for record in json.loads(out.getvalue())}

    # The data set has no quotas.
    no_quota = {"quota": None, "quota_coverage": None, "attainment": None}
    assert report["total"] == expected_figures(deals, prices) | no_quota
    assert set(report) == {*by_office, "total"}
    for name, office_deals in by_office.items():
        assert report[name] == expected_figures(office_deals, prices) | no_quota, name
    # The data set's own headline numbers, as a check on the check.
    assert report["total"]["won_count"] == 4238
    assert report["total"]["open_deals"] == 2089
