"""A lively demo organisation that needs no external file (`manage.py seed_demo`).

Deals and their stage histories are spread over at least the last 18 months up to now (see
`history_start`), drawn from a fixed random seed, so reruns on the same day give the same
data. Every rep and team has a quota for every month and quarter of that history and of the
months the forecast shows, set near what the rep has been winning.
"""

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from contacts.services import records_take_owners_from_deals
from pipeline.models import (
    Contact,
    Deal,
    DealStageChange,
    DealStatus,
    LostReason,
    Organization,
    Pipeline,
    Product,
    Stage,
)
from pipeline.services import POSITION_STEP
from reporting.periods import add_months
from reporting.queries.dashboard import FORECAST_MONTHS
from teams.models import PeriodKind, Quota, Role, Team, Territory, quarter_bounds

User = get_user_model()

DEMO_PASSWORD = "demo"
SEED = 20261127

TERRITORIES = [  # (name, parent)
    ("Americas", None),
    ("North America", "Americas"),
    ("Latin America", "Americas"),
    ("EMEA", None),
    ("APAC", None),
]
TEAMS = [  # (team, territory, time zone, manager, reps)
    (
        "Enterprise East",
        "North America",
        "America/New_York",
        "Maria Lopez",
        ["Rachel Green", "Sam Carter", "Priya Patel", "Tom Baker"],
    ),
    (
        "Mid-Market West",
        "North America",
        "America/Los_Angeles",
        "Daniel Kim",
        ["Olivia Chen", "Lucas Brown", "Emma Wilson"],
    ),
    (
        "LatAm",
        "Latin America",
        "America/Sao_Paulo",
        "Carlos Mendes",
        ["Ana Souza", "Diego Ramirez", "Lucia Torres"],
    ),
    (
        "EMEA Central",
        "EMEA",
        "Europe/Berlin",
        "Sophie Weber",
        ["Jonas Fischer", "Chloe Martin", "Luca Rossi", "Ines Garcia"],
    ),
    ("APAC", "APAC", "Asia/Singapore", "Kenji Tanaka", ["Mei Lin", "Arjun Rao", "Hannah Lee"]),
]
STAGES = [  # (name, win probability, rotting days)
    ("Lead", 10, 14),
    ("Qualified", 20, 14),
    ("Discovery", 35, 10),
    ("Proposal", 55, 10),
    ("Negotiation", 75, 7),
    ("Commit", 90, 5),
]
PRODUCTS = [  # (name, series, list price)
    ("Starter licence", "Cloud", "1200.00"),
    ("Team licence", "Cloud", "4800.00"),
    ("Business licence", "Cloud", "12500.00"),
    ("Enterprise licence", "Cloud", "48000.00"),
    ("Onboarding package", "Services", "3500.00"),
    ("Premium support", "Services", "9000.00"),
    ("Data migration", "Services", "15000.00"),
    ("Hardware gateway", "Devices", "2300.00"),
]
ORG_PREFIXES = [
    "Acme",
    "Blue",
    "Nova",
    "Peak",
    "River",
    "Stone",
    "Bright",
    "Silver",
    "North",
    "Green",
    "Iron",
    "Sun",
    "Cedar",
    "Atlas",
    "Orbit",
    "Delta",
    "Harbor",
    "Lumen",
    "Vertex",
    "Summit",
]
ORG_SUFFIXES = ["Logistics", "Health", "Foods", "Systems", "Energy", "Retail", "Labs", "Capital"]
SECTORS = ["logistics", "medical", "retail", "technology", "energy", "finance", "manufacturing"]
COUNTRIES = [
    "United States",
    "Brazil",
    "Germany",
    "France",
    "Japan",
    "Singapore",
    "Mexico",
    "United Kingdom",
    "India",
    "Canada",
]
FIRST_NAMES = [
    "Alex",
    "Jamie",
    "Chris",
    "Morgan",
    "Taylor",
    "Jordan",
    "Casey",
    "Robin",
    "Sasha",
    "Kim",
]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Nguyen",
    "Schmidt",
    "Silva",
    "Kowalski",
    "Dubois",
    "Sato",
    "Khan",
    "Olsen",
]
# The lost reasons admins offer (name, active): the retired one stays on older deals. About
# one lost deal in ten was lost for another reason, given in the rep's words.
LOST_REASONS = [
    ("Price too high", True),
    ("Chose a competitor", True),
    ("No budget", True),
    ("No decision", True),
    ("Timing", True),
    ("Missing feature", False),
]
OTHER_LOST_REASONS = [
    "Merged with another company; the project is on hold",
    "Our champion left the company",
    "Went with their in-house tool",
]

DEAL_COUNT = 3000
STALL_CHANCE = 0.5  # chance that a week or so passes with no progress
HISTORY_MONTHS = 18
# A rep's monthly quota: this share of what they won that month, the rest from the months
# around it (a trend), then moved by a random -15 %..+20 % and rounded to QUOTA_STEP.
QUOTA_WEIGHT_OF_MONTH = Decimal("0.6")
QUOTA_STEP = Decimal(500)
# From the current month on: near the rep's average of the last RECENT_MONTHS, and at least
# TEAM_SHARE_FLOOR of the average rep of their team.
RECENT_MONTHS = 6
TEAM_SHARE_FLOOR = Decimal("0.6")
MIN_QUOTA = Decimal(2500)


@dataclass
class DemoSummary:
    logins: list[tuple[str, str]]
    deals: int
    stage_changes: int
    quotas: int


def history_start(today: date) -> date:
    """The first day of the demo's history: the first day of the quarter 18 months ago, or
    1 January of last year when that is earlier, so that every preset period of the dashboard
    (last year included) lies inside the history, and so does every quarter it touches."""
    return min(date(today.year - 1, 1, 1), quarter_bounds(add_months(today, -HISTORY_MONTHS))[0])


def username_for(full_name: str) -> str:
    return full_name.lower().replace(" ", ".")


def make_user(
    full_name: str, *, password_hash: str, role: str, team: Team | None, time_zone: str, **extra
):
    first, _, last = full_name.partition(" ")
    return User.objects.create(
        username=username_for(full_name),
        first_name=first,
        last_name=last,
        role=role,
        team=team,
        time_zone=time_zone,
        email=f"{username_for(full_name)}@demo.example",
        password=password_hash,
        **extra,
    )


def demo_logins() -> list[tuple[str, str]]:
    """The demo's admin, first manager and first rep, if the demo is in the database."""
    wanted = [
        ("ada.admin", "admin"),
        (username_for(TEAMS[0][3]), "manager"),
        (username_for(TEAMS[0][4][0]), "rep"),
    ]
    present = set(
        User.objects.filter(username__in=[u for u, _ in wanted]).values_list("username", flat=True)
    )
    return [(username, role) for username, role in wanted if username in present]


def database_is_empty() -> bool:
    return not (User.objects.exists() or Deal.objects.exists())


@transaction.atomic
def seed_demo(*, deal_count: int = DEAL_COUNT) -> DemoSummary:
    """Create the demo organisation, pipeline, deals with histories and quotas."""
    rng = random.Random(SEED)
    now = timezone.now()

    territories: dict[str, Territory] = {}
    for name, parent in TERRITORIES:
        territories[name] = Territory.objects.create(
            name=name, parent=territories[parent] if parent else None
        )

    # Hashing is slow on purpose; every demo user shares the one password.
    password_hash = make_password(DEMO_PASSWORD)
    make_user(
        "Ada Admin",
        password_hash=password_hash,
        role=Role.ADMIN,
        team=None,
        time_zone="UTC",
        is_staff=True,
        is_superuser=True,
    )
    reps: list = []
    for team_name, territory, tz, manager_name, rep_names in TEAMS:
        team = Team.objects.create(name=team_name, territory=territories[territory])
        manager = make_user(
            manager_name, password_hash=password_hash, role=Role.MANAGER, team=team, time_zone=tz
        )
        team.manager = manager
        team.save(update_fields=["manager"])
        reps.extend(
            make_user(n, password_hash=password_hash, role=Role.REP, team=team, time_zone=tz)
            for n in rep_names
        )

    pipeline = Pipeline.objects.create(name="Sales")
    stages = [
        Stage.objects.create(
            pipeline=pipeline, name=name, order=i, win_probability=p, rotting_days=r
        )
        for i, (name, p, r) in enumerate(STAGES, start=1)
    ]
    products = [
        Product.objects.create(name=n, series=s, list_price=Decimal(price))
        for n, s, price in PRODUCTS
    ]
    organizations = Organization.objects.bulk_create(
        Organization(
            name=f"{prefix} {suffix}",
            sector=rng.choice(SECTORS),
            country=rng.choice(COUNTRIES),
            employees=rng.randint(20, 20000),
            year_established=rng.randint(1960, 2022),
        )
        for prefix in ORG_PREFIXES
        for suffix in rng.sample(ORG_SUFFIXES, 4)
    )
    contacts = Contact.objects.bulk_create(
        Contact(
            organization=org,
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            job_title=rng.choice(["CEO", "CTO", "Head of Sales", "Procurement", "IT manager"]),
            email=f"contact{index}@{org.name.lower().replace(' ', '')}.example",
        )
        for index, org in enumerate(organizations)
        for _ in range(rng.randint(1, 2))
    )
    contacts_by_org: dict[int, list[Contact]] = {}
    for contact in contacts:
        contacts_by_org.setdefault(contact.organization_id, []).append(contact)

    lost_reasons = LostReason.objects.bulk_create(
        LostReason(name=name, active=active, order=order)
        for order, (name, active) in enumerate(LOST_REASONS, start=1)
    )

    # Half a day short of the first midnight, so that no deal's hours reach before it.
    start_at = datetime.combine(history_start(now.date()), time.min, tzinfo=UTC)
    history_days = (now - start_at) / timedelta(days=1) - 0.5
    deals, histories = [], []
    for index in range(deal_count):
        deal, history = simulate_deal(
            index,
            rng,
            now,
            history_days,
            reps,
            stages,
            products,
            organizations,
            contacts_by_org,
            lost_reasons,
        )
        deals.append(deal)
        histories.append(history)

    open_deals = sorted(
        (d for d in deals if d.status == DealStatus.OPEN), key=lambda d: d.stage_entered_at
    )
    for rank, deal in enumerate(reversed(open_deals)):
        deal.position = rank * POSITION_STEP
    Deal.objects.bulk_create(deals, batch_size=1000)
    changes = []
    for deal, history in zip(deals, histories, strict=True):
        for change in history:
            change.deal = deal
            changes.append(change)
    DealStageChange.objects.bulk_create(changes, batch_size=2000)
    records_take_owners_from_deals()

    quotas = seed_quotas(rng, deals, now.date())
    return DemoSummary(
        logins=demo_logins(),
        deals=len(deals),
        stage_changes=len(changes),
        quotas=quotas,
    )


def simulate_deal(
    index,
    rng,
    now,
    history_days,
    reps,
    stages,
    products,
    organizations,
    contacts_by_org,
    lost_reasons,
):
    """One deal walked through the stages from a random start in the demo's history."""
    owner = rng.choice(reps)
    organization = rng.choice(organizations)
    product = rng.choices(products, weights=[6, 5, 4, 1, 3, 2, 1, 3])[0]
    value = (
        product.list_price
        * Decimal(rng.choice([1, 1, 1, 2, 3, 5]))
        * Decimal(rng.randint(85, 110))
        / 100
    ).quantize(Decimal("0.01"))
    # Skewed towards recent months, as in a growing business.
    created = now - timedelta(days=history_days * rng.random() ** 1.4, hours=rng.uniform(0, 8))
    stage_index = 0
    entered = cursor = created
    history = [
        DealStageChange(
            to_stage=stages[0], to_status=DealStatus.OPEN, changed_by=owner, changed_at=created
        )
    ]
    status, closed_at, lost_reason, lost_reason_text = DealStatus.OPEN, None, None, ""
    last_stage = len(stages) - 1
    while True:
        cursor += timedelta(days=rng.expovariate(1 / 8), hours=rng.uniform(0, 10))
        if cursor >= now:
            break
        if rng.random() < STALL_CHANCE:
            continue
        roll = rng.random()
        stage = stages[stage_index]
        win_chance = 0.05 + stage.win_probability / 400
        lose_chance = 0.22 - stage.win_probability / 600
        if roll < win_chance or (stage_index == last_stage and roll < 0.7):
            status, closed_at = DealStatus.WON, cursor
        elif roll < win_chance + lose_chance:
            status, closed_at = DealStatus.LOST, cursor
            if rng.random() < 0.1:
                lost_reason_text = rng.choice(OTHER_LOST_REASONS)
            else:
                lost_reason = rng.choice(lost_reasons)
        else:
            if stage_index < last_stage:
                # Moves only go forward here: every earlier entry has moved on now.
                for entry in history:
                    entry.moved_on_at = entry.moved_on_at or cursor
                history.append(
                    DealStageChange(
                        from_stage=stage,
                        to_stage=stages[stage_index + 1],
                        from_status=DealStatus.OPEN,
                        to_status=DealStatus.OPEN,
                        changed_by=owner,
                        changed_at=cursor,
                    )
                )
                stage_index += 1
                entered = cursor
            continue
        history.append(
            DealStageChange(
                from_stage=stage,
                to_stage=stage,
                from_status=DealStatus.OPEN,
                to_status=status,
                changed_by=owner,
                changed_at=closed_at,
            )
        )
        break
    expected_close = None
    if status == DealStatus.OPEN:
        expected_close = (now + timedelta(days=rng.randint(-10, 120))).date()
    contacts = contacts_by_org.get(organization.pk) or [None]
    deal = Deal(
        title=f"{organization.name}: {product.name}"
        + (f" #{index % 7 + 1}" if index % 3 == 0 else ""),
        organization=organization,
        contact=rng.choice(contacts),
        product=product,
        value=value,
        currency=product.currency,
        owner=owner,
        team=owner.team,
        territory=owner.team.territory,
        pipeline_id=stages[0].pipeline_id,
        stage=stages[stage_index],
        status=status,
        lost_reason=lost_reason,
        lost_reason_text=lost_reason_text,
        expected_close_date=expected_close,
        created_at=created,
        stage_entered_at=entered,
        closed_at=closed_at,
    )
    return deal, history


def quota_months(today: date) -> list[date]:
    """The first days of the months that get quotas: from the start of the history to the end
    of this year or of the quarter of the forecast's last month, whichever is later, so that
    every preset period and every quarter the dashboard shows has its quotas."""
    forecast_end = quarter_bounds(add_months(today, FORECAST_MONTHS - 1))[1]
    last = max(date(today.year, 12, 31), forecast_end)
    months = [history_start(today)]
    while add_months(months[-1], 1) <= last:
        months.append(add_months(months[-1], 1))
    return months


def rep_monthly_quotas(
    rng: random.Random, won: list[Decimal], count: int, *, floor: Decimal
) -> list[Decimal]:
    """`count` monthly quotas for a rep who won `won` in the finished months they start with:
    near each finished month's result and its trend; from the current month on near the
    average of the last RECENT_MONTHS, and at least `floor` (a share of their team's)."""
    recent = max(floor, average(won[-RECENT_MONTHS:]))
    quotas = []
    for index in range(count):
        if index < len(won):
            trend = average(won[max(0, index - 2) : index + 3])
            base = QUOTA_WEIGHT_OF_MONTH * won[index] + (1 - QUOTA_WEIGHT_OF_MONTH) * trend
        else:
            base = recent
        stretch = Decimal(rng.randrange(85, 121)) / 100
        amount = (base * stretch / QUOTA_STEP).quantize(Decimal(1)) * QUOTA_STEP
        quotas.append(max(MIN_QUOTA, amount))
    return quotas


def average(values: list[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values) if values else Decimal(0)


def seed_quotas(rng: random.Random, deals: list[Deal], today: date) -> int:
    """Monthly and quarterly quotas for every rep and team, for every month of the history and
    of the forecast (`quota_months`): a rep's months from what they won, each quarter the sum
    of its months, and a team's the sum of its reps'."""
    months = quota_months(today)
    this_month = today.replace(day=1)
    finished = [month for month in months if month < this_month]
    won: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    for deal in deals:
        if deal.status == DealStatus.WON and deal.closed_at is not None:
            won[(deal.owner_id, deal.closed_at.date().replace(day=1))] += deal.value
    quotas = []

    def add(team: Team, rep, monthly: list[Decimal]) -> None:
        for month, amount in zip(months, monthly, strict=True):
            quotas.append(
                Quota(
                    team=team, rep=rep, period=PeriodKind.MONTH, period_start=month, amount=amount
                )
            )
        for first in range(0, len(months), 3):
            quotas.append(
                Quota(
                    team=team,
                    rep=rep,
                    period=PeriodKind.QUARTER,
                    period_start=months[first],
                    amount=sum(monthly[first : first + 3], Decimal(0)),
                )
            )

    for team in Team.objects.prefetch_related("members").order_by("pk"):
        team_monthly = [Decimal(0)] * len(months)
        reps = sorted((m for m in team.members.all() if m.role == Role.REP), key=lambda m: m.pk)
        recent = [won[(rep.pk, month)] for rep in reps for month in finished[-RECENT_MONTHS:]]
        # A rep with a poor half year is still asked for a fair part of what their team wins.
        floor = TEAM_SHARE_FLOOR * average(recent)
        for member in reps:
            history = [won[(member.pk, month)] for month in finished]
            monthly = rep_monthly_quotas(rng, history, len(months), floor=floor)
            add(team, member, monthly)
            team_monthly = [a + b for a, b in zip(team_monthly, monthly, strict=True)]
        add(team, None, team_monthly)
    for quota in quotas:
        quota.align_period()
    Quota.objects.bulk_create(quotas)
    return len(quotas)
