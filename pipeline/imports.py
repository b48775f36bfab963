"""Import a sales organisation exported as the four CSV files of the Maven CRM data set.

The import is idempotent (rows are matched on natural keys: names, usernames and the
opportunity id) and runs in one transaction. A row that cannot be imported is reported with
its file, line and reason; every other row is kept.
"""

import csv
import re
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import models, transaction

from crm.dates import DAY_RANGE_MESSAGE, in_supported_range
from crm.text import single_line
from pipeline import services
from pipeline.models import (
    Deal,
    DealStageChange,
    DealStatus,
    LostReason,
    Organization,
    Pipeline,
    Product,
    Stage,
)
from pipeline.services import POSITION_STEP, DealChangeRefused, DealConflict
from teams.models import Role, Team, Territory

User = get_user_model()

PIPELINE_NAME = "Sales"
# Open stages of the data set, in order, with the win probability and rotting days a new
# pipeline starts with (admins tune them later; a re-import never overwrites them).
OPEN_STAGES = [("Prospecting", 20, 30), ("Engaging", 60, 21)]
CLOSED_STATUSES = {"Won": DealStatus.WON, "Lost": DealStatus.LOST}
PRODUCT_ALIASES = {"GTXPro": "GTX Pro"}
SECTOR_SPELLINGS = {"technolgy": "technology"}
# Dates without a time are stored at noon in the import's time zone, so that they stay on
# the same calendar day for anyone within twelve hours of it.
DATE_TIME_OF_DAY = time(12, 0)

REQUIRED_COLUMNS = {
    "sales_teams.csv": ["sales_agent", "manager", "regional_office"],
    "accounts.csv": [
        "account",
        "sector",
        "year_established",
        "revenue",
        "employees",
        "office_location",
        "subsidiary_of",
    ],
    "products.csv": ["product", "series", "sales_price"],
    "sales_pipeline.csv": [
        "opportunity_id",
        "sales_agent",
        "product",
        "account",
        "deal_stage",
        "engage_date",
        "close_date",
        "close_value",
    ],
}


class ImportFailed(Exception):
    """The directory cannot be imported at all (a file or a column is missing)."""


@dataclass(frozen=True)
class Rejection:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class ImportReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    rejected: list[Rejection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def reject(self, file: str, line: int, reason: str) -> None:
        self.rejected.append(Rejection(file, line, reason))


def username_for(full_name: str) -> str:
    """'Dustin Brinkmann' -> 'dustin.brinkmann' (first and last word, lower case)."""
    words = re.sub(r"[^\w\s-]", "", full_name).lower().split()
    return f"{words[0]}.{words[-1]}" if len(words) > 1 else words[0]


def team_name_for(manager_name: str) -> str:
    return f"{manager_name}'s team"


def read_rows(directory: Path, name: str) -> list[tuple[int, dict[str, str]]]:
    """The rows of one file with their line numbers (the header is line 1)."""
    path = directory / name
    if not path.is_file():
        raise ImportFailed(f"{path} is missing.")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS[name] if c not in (reader.fieldnames or [])]
        if missing:
            raise ImportFailed(f"{name} lacks the column(s) {', '.join(missing)}.")
        return [
            # Every column is a name, a code, a number or a date: one line each (a line break
            # in a title would reach e-mail subjects).
            (reader.line_num, {k: single_line(v or "") for k, v in row.items() if k})
            for row in reader
        ]


def parse_date(value: str) -> date:
    day = date.fromisoformat(value)
    if not in_supported_range(day):
        raise ValueError(f"{value}: {DAY_RANGE_MESSAGE}")
    return day


def parse_decimal(value: str) -> Decimal:
    number = Decimal(value)
    if not number.is_finite():
        raise InvalidOperation(value)
    return number.quantize(Decimal("0.01"))


def upsert(model, lookup: dict, values: dict, report: ImportReport):
    """Create the row, or update only the fields that differ (so a re-import writes nothing)."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        report.created[model._meta.verbose_name_plural] += 1
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        report.updated[model._meta.verbose_name_plural] += 1
    return obj


@transaction.atomic
def import_maven_crm(
    directory: Path,
    *,
    time_zone: str,
    password: str | None = None,
    email_domain: str = "example.com",
) -> ImportReport:
    """Import the four Maven CRM files from `directory`; see the module docstring."""
    tz = zoneinfo.ZoneInfo(time_zone)
    report = ImportReport()
    files = {name: read_rows(directory, name) for name in REQUIRED_COLUMNS}

    users = import_sales_teams(files["sales_teams.csv"], report, password, email_domain)
    organizations = import_accounts(files["accounts.csv"], report)
    products = import_products(files["products.csv"], report)
    stages = ensure_pipeline(report)
    import_deals(files["sales_pipeline.csv"], report, tz, users, organizations, products, stages)
    return report


def import_sales_teams(rows, report: ImportReport, password, email_domain) -> dict[str, object]:
    name = "sales_teams.csv"
    teams: dict[str, Team] = {}
    users: dict[str, object] = {}
    agent_managers: dict[str, str] = {}

    def ensure_user(full_name: str, role: str, team: Team):
        username = username_for(full_name)
        first, _, last = full_name.partition(" ")
        values = {"first_name": first, "last_name": last, "role": role, "team": team}
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, email=f"{username}@{email_domain}", **values)
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
            report.created["users"] += 1
        else:
            changed = [k for k, v in values.items() if getattr(user, k) != v]
            if changed:
                for k in changed:
                    setattr(user, k, values[k])
                user.save(update_fields=changed)
                report.updated["users"] += 1
        users[full_name] = user
        return user

    for line, row in rows:
        agent, manager_name, office = row["sales_agent"], row["manager"], row["regional_office"]
        if not agent or not manager_name or not office:
            report.reject(name, line, "sales_agent, manager and regional_office are all required")
            continue
        if agent_managers.get(agent, manager_name) != manager_name:
            report.reject(
                name, line, f"{agent} is already in {agent_managers[agent]}'s team; kept that one"
            )
            continue
        team = teams.get(manager_name)
        if team is None:
            territory = upsert(Territory, {"name": office}, {}, report)
            team = upsert(
                Team, {"name": team_name_for(manager_name)}, {"territory": territory}, report
            )
            teams[manager_name] = team
            manager = ensure_user(manager_name, Role.MANAGER, team)
            if team.manager_id != manager.pk:
                team.manager = manager
                team.save(update_fields=["manager"])
        elif team.territory.name != office:
            report.reject(
                name, line, f"{manager_name}'s team is in {team.territory.name}, not {office}"
            )
            continue
        agent_managers[agent] = manager_name
        ensure_user(agent, Role.REP, team)
    return users


def import_accounts(rows, report: ImportReport) -> dict[str, Organization]:
    name = "accounts.csv"
    organizations: dict[str, Organization] = {}
    parents: list[tuple[int, Organization, str]] = []
    for line, row in rows:
        account = row["account"]
        if not account:
            report.reject(name, line, "account name is empty")
            continue
        try:
            values = {
                "sector": SECTOR_SPELLINGS.get(row["sector"], row["sector"]),
                "country": row["office_location"],
                "year_established": int(row["year_established"])
                if row["year_established"]
                else None,
                "annual_revenue": parse_decimal(row["revenue"]) if row["revenue"] else None,
                "employees": int(row["employees"]) if row["employees"] else None,
            }
        except (ValueError, InvalidOperation) as error:
            report.reject(name, line, f"{account}: not a number ({error})")
            continue
        organizations[account] = upsert(Organization, {"name": account}, values, report)
        if row["subsidiary_of"]:
            parents.append((line, organizations[account], row["subsidiary_of"]))
    for line, organization, parent_name in parents:
        parent = organizations.get(parent_name)
        if parent is None:
            report.reject(name, line, f"{organization}: parent account {parent_name!r} is unknown")
            continue
        if organization.parent_id != parent.pk:
            organization.parent = parent
            organization.save(update_fields=["parent"])
    return organizations


def import_products(rows, report: ImportReport) -> dict[str, Product]:
    name = "products.csv"
    products: dict[str, Product] = {}
    for line, row in rows:
        if not row["product"]:
            report.reject(name, line, "product name is empty")
            continue
        try:
            price = parse_decimal(row["sales_price"])
        except InvalidOperation:
            report.reject(
                name, line, f"{row['product']}: sales_price {row['sales_price']!r} is not a number"
            )
            continue
        products[row["product"]] = upsert(
            Product,
            {"name": row["product"]},
            {"series": row["series"], "list_price": price},
            report,
        )
    return products


def ensure_pipeline(report: ImportReport) -> dict[str, Stage]:
    pipeline = upsert(Pipeline, {"name": PIPELINE_NAME}, {}, report)
    stages = {}
    for order, (stage_name, probability, rotting_days) in enumerate(OPEN_STAGES, start=1):
        stage = Stage.objects.filter(pipeline=pipeline, name=stage_name).first()
        if stage is None:
            stage = Stage.objects.create(
                pipeline=pipeline,
                name=stage_name,
                order=order,
                win_probability=probability,
                rotting_days=rotting_days,
            )
            report.created["stages"] += 1
        stages[stage_name] = stage
    return stages


def import_deals(rows, report, tz, users, organizations, products, stages) -> None:
    name = "sales_pipeline.csv"

    def at_noon(day: date) -> datetime:
        return datetime.combine(day, DATE_TIME_OF_DAY, tzinfo=tz)

    # Deals without an engage_date entered the pipeline before the export; the latest date
    # in the file is the closest known bound.
    all_dates = [
        row[column] for _, row in rows for column in ("engage_date", "close_date") if row[column]
    ]
    snapshot_day = max((d for d in map(safe_date, all_dates) if d), default=date.today())
    undated = 0

    existing = {deal.external_id: deal for deal in Deal.objects.filter(external_id__isnull=False)}
    lost_reason = imported_lost_reason()
    seen: set[str] = set()
    new_deals: list[Deal] = []
    known_deals: list[tuple[int, Deal, dict]] = []

    for line, row in rows:
        opportunity = row["opportunity_id"]
        if not opportunity:
            report.reject(name, line, "opportunity_id is empty")
            continue
        if opportunity in seen:
            report.reject(
                name, line, f"{opportunity}: opportunity_id appears twice; kept the first"
            )
            continue
        seen.add(opportunity)
        owner = users.get(row["sales_agent"])
        if owner is None:
            report.reject(
                name,
                line,
                f"{opportunity}: sales agent {row['sales_agent']!r} is not in sales_teams.csv",
            )
            continue
        product = products.get(PRODUCT_ALIASES.get(row["product"], row["product"]))
        if product is None:
            report.reject(
                name, line, f"{opportunity}: product {row['product']!r} is not in products.csv"
            )
            continue
        organization = None
        if row["account"]:
            organization = organizations.get(row["account"])
            if organization is None:
                report.reject(
                    name, line, f"{opportunity}: account {row['account']!r} is not in accounts.csv"
                )
                continue
        stage_name = row["deal_stage"]
        if stage_name not in stages and stage_name not in CLOSED_STATUSES:
            report.reject(name, line, f"{opportunity}: deal_stage {stage_name!r} is unknown")
            continue
        try:
            engaged = parse_date(row["engage_date"]) if row["engage_date"] else None
            closed = parse_date(row["close_date"]) if row["close_date"] else None
            close_value = parse_decimal(row["close_value"]) if row["close_value"] else None
        except (ValueError, InvalidOperation) as error:
            report.reject(name, line, f"{opportunity}: {error}")
            continue

        status = CLOSED_STATUSES.get(stage_name, DealStatus.OPEN)
        if status == DealStatus.OPEN:
            stage, closed_at = stages[stage_name], None
            value = product.list_price
        else:
            if closed is None or engaged is None:
                report.reject(
                    name,
                    line,
                    f"{opportunity}: a {stage_name.lower()} deal needs engage_date and close_date",
                )
                continue
            if closed < engaged:
                report.reject(name, line, f"{opportunity}: close_date is before engage_date")
                continue
            # Closed deals left the board from its last open stage.
            stage, closed_at = stages[OPEN_STAGES[-1][0]], at_noon(closed)
            if status == DealStatus.WON:
                if close_value is None:
                    report.reject(name, line, f"{opportunity}: a won deal needs close_value")
                    continue
                value = close_value
            else:
                # Lost deals carry close_value 0; what was at stake is the list price.
                value = product.list_price
        if engaged is None:
            undated += 1
        created_at = at_noon(engaged or snapshot_day)
        values = {
            "title": f"{product.name} for {organization.name}"
            if organization
            else f"{product.name} ({opportunity})",
            "organization": organization,
            "product": product,
            "value": value,
            "owner": owner,
            "team": owner.team,
            "territory": owner.team.territory,
            "stage": stage,
            "status": status,
            "created_at": created_at,
            "closed_at": closed_at,
        }
        deal = existing.get(opportunity)
        if deal is None:
            new_deals.append(
                Deal(
                    external_id=opportunity,
                    pipeline_id=stage.pipeline_id,
                    currency=product.currency,
                    stage_entered_at=created_at,
                    lost_reason=lost_reason if status == DealStatus.LOST else None,
                    **values,
                )
            )
        else:
            known_deals.append((line, deal, values))

    # New cards go on top of their column, newest first.
    new_deals.sort(key=lambda d: d.created_at, reverse=True)
    for index, deal in enumerate(new_deals):
        deal.position = (index - len(new_deals)) * POSITION_STEP
    Deal.objects.bulk_create(new_deals, batch_size=1000)
    report.created["deals"] += len(new_deals)

    history = []
    for deal in new_deals:
        history.append(
            DealStageChange(
                deal=deal,
                to_stage=deal.stage,
                to_status=DealStatus.OPEN,
                changed_by=deal.owner,
                changed_at=deal.created_at,
            )
        )
        if deal.closed_at:
            history.append(closing_change(deal, DealStatus.OPEN, closed_at=deal.closed_at))
    DealStageChange.objects.bulk_create(history, batch_size=2000)
    report.created["stage changes"] += len(history)

    for line, deal, values in known_deals:
        try:
            # A savepoint per deal: a change the services refuse leaves that deal as it was.
            with transaction.atomic():
                changes = update_deal(deal, values, lost_reason=lost_reason)
        except (DealChangeRefused, DealConflict) as refusal:
            report.reject(name, line, f"{deal.external_id}: {refusal}")
            continue
        if changes is not None:
            report.updated["deals"] += 1
            report.created["stage changes"] += changes
    if undated:
        report.notes.append(
            f"{undated} deals had no engage_date; they are dated at the export's last day, "
            f"{snapshot_day.isoformat()}."
        )


# What a re-import may change on a deal besides its stage and status (team and territory
# follow the owner).
DETAIL_FIELDS = ["title", "organization", "product", "value", "created_at"]
OWNER_FIELDS = ["owner", "team", "territory"]
# The export says a deal was lost, not why: such deals get this reason, which is inactive
# (nobody picks it by hand) so that reports tell them apart from reasons people gave.
IMPORTED_LOST_REASON = "No reason given (imported)"


def imported_lost_reason() -> LostReason:
    reason, _ = LostReason.objects.get_or_create(
        name=IMPORTED_LOST_REASON, defaults={"active": False, "order": 1000}
    )
    return reason


def update_deal(deal: Deal, values: dict, *, lost_reason: LostReason) -> int | None:
    """Bring a deal that an earlier import created in line with its row, through the deal
    services: details and owner (whose open activities follow), then stage and status, each
    recorded in the stage history. Returns how many history rows that wrote, or None when
    nothing differed.

    Changes are made by the deal's owner, as the import records all history. A close is
    dated at the row's close date, and so are the reopening and moves that lead to it; a
    deal the row puts back on the board is reopened and moved now.
    """
    details = {f: values[f] for f in DETAIL_FIELDS if field_value(deal, f) != plain(values[f])}
    if any(field_value(deal, f) != plain(values[f]) for f in OWNER_FIELDS):
        details["owner"] = values["owner"]
    status, stage, closed_at = values["status"], values["stage"], values["closed_at"]
    recloses = status != DealStatus.OPEN and (
        deal.status != status or deal.stage_id != stage.pk or deal.closed_at != closed_at
    )
    reopens = deal.is_closed and (status == DealStatus.OPEN or recloses)
    if not details and not reopens and deal.stage_id == stage.pk and deal.status == status:
        return None

    actor, when, history = values["owner"], closed_at if recloses else None, 0
    if details:
        deal = services.deal_update(deal=deal, version=deal.version, actor=actor, **details)
    if reopens:
        deal = services.deal_reopen(deal=deal, version=deal.version, actor=actor, at=when)
        history += 1
    if deal.stage_id != stage.pk:
        deal = services.deal_move(
            deal=deal,
            stage_id=stage.pk,
            after_id=None,
            version=deal.version,
            actor=actor,
            at=when,
        )
        history += 1
    if status == DealStatus.WON and not deal.is_closed:
        services.deal_mark_won(deal=deal, version=deal.version, actor=actor, at=when)
        history += 1
    elif status == DealStatus.LOST and not deal.is_closed:
        services.deal_mark_lost(
            deal=deal, version=deal.version, reason=lost_reason, actor=actor, at=when
        )
        history += 1
    return history


def closing_change(deal: Deal, from_status: str, *, closed_at: datetime) -> DealStageChange:
    return DealStageChange(
        deal=deal,
        from_stage=deal.stage,
        to_stage=deal.stage,
        from_status=from_status,
        to_status=deal.status,
        changed_by=deal.owner,
        changed_at=closed_at,
    )


def field_value(deal: Deal, name: str):
    """A field's value, reading a foreign key's id rather than fetching the related row."""
    field = Deal._meta.get_field(name)
    assert isinstance(field, models.Field)  # a column of Deal, not a reverse relation
    return getattr(deal, field.attname)


def plain(value):
    return value.pk if hasattr(value, "_meta") else value


def safe_date(value: str) -> date | None:
    try:
        return parse_date(value)
    except ValueError:
        return None
