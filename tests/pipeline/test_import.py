"""`manage.py import_crm_csv`: the Maven CRM data set, its quirks, bad rows and re-runs."""

import csv
import os
from collections import Counter
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from pipeline.models import Deal, DealStageChange, DealStatus, Organization, Product
from teams.models import Role, Team, Territory, User

MAVEN_DIR = Path(
    os.environ.get(
        "MAVEN_CRM_DIR", Path(__file__).resolve().parents[3] / "shared" / "datasets" / "maven-crm"
    )
)
needs_maven = pytest.mark.skipif(
    not (MAVEN_DIR / "sales_pipeline.csv").is_file(),
    reason=f"the Maven CRM data set is not at {MAVEN_DIR} (set MAVEN_CRM_DIR)",
)


def run_import(directory: Path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_crm_csv", str(directory), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def snapshot() -> dict:
    return {
        "territories": Territory.objects.count(),
        "teams": Team.objects.count(),
        "users": User.objects.exclude(role="").count(),
        "organizations": Organization.objects.count(),
        "products": Product.objects.count(),
        "deals": dict(Counter(Deal.objects.values_list("status", flat=True))),
        "changes": DealStageChange.objects.count(),
        "value": sum(Deal.objects.values_list("value", flat=True), Decimal(0)),
        "versions": sum(Deal.objects.values_list("version", flat=True)),
    }


@needs_maven
@pytest.mark.django_db
def test_maven_data_set_imports_with_the_expected_counts_and_reimports_as_a_no_op():
    out, err = run_import(MAVEN_DIR)
    assert err == ""
    assert "0 rows rejected" in out
    first = snapshot()
    assert first["territories"] == 3
    assert first["teams"] == 6
    assert first["users"] == 41
    assert User.objects.filter(role=Role.MANAGER).count() == 6
    assert first["organizations"] == 85
    assert first["products"] == 7
    assert first["deals"] == {DealStatus.WON: 4238, DealStatus.LOST: 2473, DealStatus.OPEN: 2089}
    assert sum(first["deals"].values()) == 8800

    # One stage-history row for every closed deal, besides the row of each deal's entry.
    assert DealStageChange.objects.exclude(to_status=DealStatus.OPEN).count() == 4238 + 2473

    # Quirks: GTXPro is GTX Pro; open deals are worth their product's list price.
    gtx_pro = Product.objects.get(name="GTX Pro")
    assert Deal.objects.filter(
        external_id="Z063OYW0", product=gtx_pro, value=Decimal("4514")
    ).exists()
    open_deals = Deal.objects.filter(status=DealStatus.OPEN).select_related("product")
    assert all(deal.value == deal.product.list_price for deal in open_deals)
    assert Deal.objects.filter(status=DealStatus.OPEN, organization__isnull=True).count() == 1425
    assert not Organization.objects.filter(sector="technolgy").exists()

    user = User.objects.get(username="dustin.brinkmann")
    assert user.role == Role.MANAGER and user.managed_teams.get().territory.name == "Central"

    out, err = run_import(MAVEN_DIR)
    assert snapshot() == first
    assert "0 created,      0 updated" in out


@needs_maven
@pytest.mark.django_db
def test_maven_won_values_match_the_csv():
    run_import(MAVEN_DIR)
    with (MAVEN_DIR / "sales_pipeline.csv").open() as handle:
        won = [
            Decimal(r["close_value"]) for r in csv.DictReader(handle) if r["deal_stage"] == "Won"
        ]
    assert sum(Deal.objects.filter(status=DealStatus.WON).values_list("value", flat=True)) == sum(
        won
    )


def write_csv(path: Path, header: str, *lines: str) -> None:
    path.write_text("\n".join([header, *lines]) + "\n")


@pytest.fixture
def small_export(tmp_path: Path) -> Path:
    write_csv(
        tmp_path / "sales_teams.csv",
        "sales_agent,manager,regional_office",
        "Ann Agent,Mia Manager,East",
        "Bob Agent,Mia Manager,East",
        ",Mia Manager,East",  # line 4: no agent
        "Ann Agent,Other Manager,West",
    )  # line 5: agent in two teams
    write_csv(
        tmp_path / "accounts.csv",
        "account,sector,year_established,revenue,employees,office_location,subsidiary_of",
        "Acme,technolgy,1990,100.5,200,Kenya,",
        "Beta,retail,2000,x,10,Peru,",  # line 3: bad revenue
        "Gamma,retail,2001,1,5,Peru,Nowhere",
    )  # line 4: unknown parent, kept without it
    write_csv(
        tmp_path / "products.csv",
        "product,series,sales_price",
        "GTX Pro,GTX,4821",
        "MG Special,MG,55",
    )
    write_csv(
        tmp_path / "sales_pipeline.csv",
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value",
        "A1,Ann Agent,GTXPro,Acme,Won,2017-01-02,2017-02-03,4500",
        "A2,Ann Agent,MG Special,,Prospecting,,,",
        "A3,Nobody,MG Special,Acme,Engaging,2017-01-05,,",  # line 4: unknown agent
        "A4,Bob Agent,Unknown,Acme,Engaging,2017-01-05,,",  # line 5: unknown product
        "A5,Bob Agent,MG Special,Acme,Lost,2017-01-05,not-a-date,0",  # line 6: bad date
        "A1,Bob Agent,MG Special,Acme,Lost,2017-01-05,2017-01-09,0",  # line 7: duplicate id
        "A6,Bob Agent,MG Special,Acme,Won,2017-01-05,2017-01-09,",  # line 8: won without value
        "A7,Bob Agent,MG Special,Acme,Lost,2017-01-05,2017-01-09,0",
    )
    return tmp_path


@pytest.mark.django_db
def test_bad_rows_are_reported_with_file_line_and_reason_and_the_rest_is_kept(small_export):
    out, err = run_import(small_export)
    rejected = err.splitlines()
    assert rejected == [
        "rejected sales_teams.csv:4: sales_agent, manager and regional_office are all required",
        "rejected sales_teams.csv:5: Ann Agent is already in Mia Manager's team; kept that one",
        "rejected accounts.csv:3: Beta: not a number ([<class 'decimal.ConversionSyntax'>])",
        "rejected accounts.csv:4: Gamma: parent account 'Nowhere' is unknown",
        "rejected sales_pipeline.csv:4: A3: sales agent 'Nobody' is not in sales_teams.csv",
        "rejected sales_pipeline.csv:5: A4: product 'Unknown' is not in products.csv",
        "rejected sales_pipeline.csv:6: A5: Invalid isoformat string: 'not-a-date'",
        "rejected sales_pipeline.csv:7: A1: opportunity_id appears twice; kept the first",
        "rejected sales_pipeline.csv:8: A6: a won deal needs close_value",
    ]
    assert "9 rows rejected" in out
    assert sorted(Deal.objects.values_list("external_id", flat=True)) == ["A1", "A2", "A7"]
    assert Deal.objects.get(external_id="A1").value == Decimal("4500.00")
    assert Deal.objects.get(external_id="A2").value == Decimal("55.00")
    assert Deal.objects.get(external_id="A7").value == Decimal("55.00")
    assert Organization.objects.get(name="Acme").sector == "technology"
    assert Organization.objects.get(name="Gamma").parent is None
    assert User.objects.get(username="ann.agent").team.name == "Mia Manager's team"


@pytest.mark.django_db
def test_reimport_updates_what_changed_and_records_the_close(small_export):
    run_import(small_export)
    deal = Deal.objects.get(external_id="A2")
    lines = (
        (small_export / "sales_pipeline.csv")
        .read_text()
        .replace(
            "A2,Ann Agent,MG Special,,Prospecting,,,",
            "A2,Ann Agent,MG Special,Acme,Won,2017-01-01,2017-03-01,60",
        )
    )
    (small_export / "sales_pipeline.csv").write_text(lines)
    out, _ = run_import(small_export)
    deal.refresh_from_db()
    assert (deal.status, deal.value, deal.organization.name) == (
        DealStatus.WON,
        Decimal("60.00"),
        "Acme",
    )
    # Three writes through the deal services: the details, the move to the last open stage
    # (closed deals leave from there) and the close.
    assert deal.version == 4
    assert deal.stage_changes.filter(to_status=DealStatus.WON).count() == 1
    assert deal.stage.name == "Engaging"
    assert "1 updated" in out


def history(deal: Deal) -> list[tuple[str, str, str, str]]:
    return [
        (c.from_stage.name if c.from_stage else "", c.to_stage.name, c.from_status, c.to_status)
        for c in deal.stage_changes.select_related("from_stage", "to_stage").order_by(
            "changed_at", "id"
        )
    ]


def rewrite_rows(directory: Path, replacements: dict[str, str]) -> None:
    path = directory / "sales_pipeline.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(replacements.get(line.split(",")[0], line) for line in lines) + "\n")


@pytest.mark.django_db
def test_reimport_changes_stage_status_and_owner_through_the_deal_services(small_export):
    from datetime import UTC, datetime, timedelta

    from activities.models import Reminder, ReminderState
    from tests.activities.factories import make_activity
    from tests.pipeline.test_stage_history import replayed_facts, stored_facts

    rewrite_rows(
        small_export,
        {
            "A5": "A5,Bob Agent,MG Special,Acme,Engaging,2017-01-05,,",  # was rejected; now open
            "A6": "A6,Bob Agent,MG Special,Acme,Prospecting,2017-01-06,,",
        },
    )
    run_import(small_export)
    a1, a2, a5, a6, a7 = (Deal.objects.get(external_id=i) for i in ("A1", "A2", "A5", "A6", "A7"))
    soon = datetime.now(UTC) + timedelta(days=3)
    a2_call = make_activity(deal=a2, due_at=soon, reminder_offset=60, subject="A2 call")
    a5_call = make_activity(deal=a5, due_at=soon, reminder_offset=60, subject="A5 call")

    rewrite_rows(
        small_export,
        {
            # Moved on, and handed from Ann to Bob.
            "A2": "A2,Bob Agent,MG Special,,Engaging,,,",
            # Lost from Engaging.
            "A5": "A5,Bob Agent,MG Special,Acme,Lost,2017-01-05,2017-02-10,0",
            # Won straight from Prospecting: it leaves from the last open stage.
            "A6": "A6,Bob Agent,MG Special,Acme,Won,2017-01-06,2017-02-11,70",
            # A lost deal back on the board; a won deal that turned out lost.
            "A7": "A7,Bob Agent,MG Special,Acme,Engaging,2017-01-05,,",
            "A1": "A1,Ann Agent,GTXPro,Acme,Lost,2017-01-02,2017-02-03,0",
        },
    )
    out, _ = run_import(small_export)
    assert "5 updated" in out

    a1, a2, a5, a6, a7 = (
        Deal.objects.select_related("owner").get(pk=d.pk) for d in (a1, a2, a5, a6, a7)
    )
    assert history(a2) == [
        ("", "Prospecting", "", "open"),
        ("Prospecting", "Engaging", "open", "open"),
    ]
    assert a2.owner.username == "bob.agent" and a2.stage.name == "Engaging"
    assert history(a5) == [("", "Engaging", "", "open"), ("Engaging", "Engaging", "open", "lost")]
    assert a5.closed_at == a5.stage_changes.get(to_status="lost").changed_at
    assert history(a6) == [
        ("", "Prospecting", "", "open"),
        ("Prospecting", "Engaging", "open", "open"),
        ("Engaging", "Engaging", "open", "won"),
    ]
    assert (a6.status, a6.value) == (DealStatus.WON, Decimal("70.00"))
    assert history(a7)[-1] == ("Engaging", "Engaging", "lost", "open")
    assert (a7.status, a7.closed_at) == (DealStatus.OPEN, None)
    assert history(a1)[-2:] == [
        ("Engaging", "Engaging", "won", "open"),
        ("Engaging", "Engaging", "open", "lost"),
    ]
    assert (a1.status, a1.closed_at.date().isoformat()) == (DealStatus.LOST, "2017-02-03")
    # The funnel's facts on the entry rows are what a replay of the history says.
    assert stored_facts() == replayed_facts()
    # Closing cancelled the lost deal's reminder; the new owner took over the open call.
    assert Reminder.objects.get(activity=a5_call).state == ReminderState.CANCELLED
    a2_call.refresh_from_db()
    assert a2_call.assignee.username == "bob.agent"
    assert Reminder.objects.get(activity=a2_call, state="pending").recipient == a2_call.assignee

    changes = DealStageChange.objects.count()
    out, _ = run_import(small_export)
    assert "0 created,      0 updated" in out
    assert DealStageChange.objects.count() == changes


@pytest.mark.django_db
def test_a_missing_file_fails_cleanly_and_imports_nothing(small_export):
    (small_export / "products.csv").unlink()
    with pytest.raises(CommandError, match=r"products\.csv is missing"):
        run_import(small_export)
    assert not User.objects.exists()


@pytest.mark.django_db
def test_dates_are_stored_at_noon_in_the_import_time_zone(small_export):
    call_command(
        "import_crm_csv",
        str(small_export),
        "--time-zone",
        "America/New_York",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    deal = Deal.objects.get(external_id="A1")
    assert deal.created_at.isoformat() == "2017-01-02T17:00:00+00:00"
    assert deal.closed_at.isoformat() == "2017-02-03T17:00:00+00:00"
