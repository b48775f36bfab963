"""`manage.py bench_dashboard`: the sales dashboard over a million deals, on PostgreSQL.

Builds a sales organisation (25 teams of 8 reps in nested territories, two pipelines,
quarterly quotas), then 1,000,000 deals with their stage histories and activities drawn
from a fixed seed by INSERT ... SELECT over generate_series, so no row passes through
Python. Deals are inserted in creation order and history rows in time order, as a live
system appends them. Then it times whole requests through the Django test client: one
team's dashboard (its manager) and the whole company's (an admin), for the current quarter.

The data is relative to the day of the run. `--reuse` skips generation when the database
already holds a generated set of the requested size.
"""

import json
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity
from pipeline.benchmarking import require_bench_database, time_calls
from pipeline.models import (
    Contact,
    Deal,
    DealStageChange,
    DealStatus,
    Organization,
    Pipeline,
    Product,
    Stage,
)
from teams.models import PeriodKind, Quota, Role, Team, Territory, User, quarter_bounds

SEED = 0.20261127
DEAL_COUNT = 1_000_000
HISTORY_DAYS = 4 * 365
TEAM_TARGET_MS = 500
COMPANY_TARGET_MS = 1500

TERRITORIES = {  # leaf territory: parent region
    "North America": "Americas",
    "Latin America": "Americas",
    "DACH": "EMEA",
    "UK & Ireland": "EMEA",
    "Nordics": "EMEA",
    "Southern Europe": "EMEA",
    "ANZ": "APAC",
    "Japan": "APAC",
    "Southeast Asia": "APAC",
}
TEAM_COUNT = 25
REPS_PER_TEAM = 8
PIPELINES = {
    "New business": [
        ("Lead", 10),
        ("Qualified", 20),
        ("Discovery", 35),
        ("Proposal", 55),
        ("Negotiation", 75),
        ("Commit", 90),
    ],
    "Renewals": [("Contacted", 30), ("Quoted", 60), ("Signed off", 90)],
}
ADMIN_USERNAME = "bench.admin"

# One row per deal: when it was created, how long it lived, where it ended. Share of deals:
# 85 % in the first pipeline; of those whose time is up, 42 % won, 4 % left open (stale).
PLAN_SQL = """
CREATE TEMP TABLE bench_plan AS
WITH raw AS (
    SELECT random() AS r_created, random() AS r_life, random() AS r_outcome,
           random() AS r_reached, random() AS r_value, random() AS r_rep,
           random() AS r_stale, random() AS r_pipeline, random() AS r_activities
    FROM generate_series(1, %(deals)s)
), timed AS (
    SELECT *,
        %(now)s - make_interval(secs => %(history_seconds)s * power(r_created, 1.3))
            AS created_at,
        make_interval(secs => 86400 * (2 + 120 * power(r_life, 2))) AS lifetime,
        CASE WHEN r_pipeline < 0.85 THEN 1 ELSE 2 END AS pipeline_idx,
        floor(r_rep * %(reps)s)::int AS rep_idx
    FROM raw
), decided AS (
    SELECT *,
        CASE
            WHEN created_at + lifetime > %(now)s OR r_stale < 0.04 THEN 'open'
            WHEN r_outcome < 0.42 THEN 'won'
            ELSE 'lost'
        END AS status,
        (SELECT count(*) FROM bench_stage s WHERE s.pipeline_idx = timed.pipeline_idx)::int
            AS stage_count
    FROM timed
)
SELECT
    row_number() OVER (ORDER BY created_at) AS id,
    created_at,
    status,
    pipeline_idx,
    rep_idx,
    CASE status
        WHEN 'won' THEN stage_count - floor(r_reached * ((stage_count + 1) / 2))::int
        WHEN 'lost' THEN 1 + floor(r_reached * (stage_count - 1))::int
        ELSE 1 + floor(r_reached * stage_count)::int
    END AS reached,
    CASE WHEN status = 'open' THEN NULL ELSE created_at + lifetime END AS closed_at,
    LEAST(created_at + lifetime, %(now)s) - created_at AS span,
    ((created_at + lifetime) AT TIME ZONE 'UTC')::date AS expected_close_date,
    round((300 + 60000 * power(r_value, 3))::numeric, 2) AS value,
    floor(r_activities * 3)::int AS activities
FROM decided
"""

DEAL_COLUMNS = {
    "id": "p.id",
    "title": "'Bench deal ' || p.id",
    "value": "p.value",
    "currency": "'USD'",
    "owner_id": "r.user_id",
    "team_id": "r.team_id",
    "territory_id": "r.territory_id",
    "pipeline_id": "s.pipeline_id",
    "stage_id": "s.stage_id",
    "status": "p.status",
    "lost_reason_text": "CASE WHEN p.status = 'lost' THEN 'Chose a competitor' ELSE '' END",
    "expected_close_date": "p.expected_close_date",
    "created_at": "p.created_at",
    "stage_entered_at": "p.created_at + p.span * ((p.reached - 1)::float8 / p.reached)",
    "closed_at": "p.closed_at",
    "updated_at": "%(now)s",
    "position": "p.id * 1024",
    "version": "1",
}
DEAL_FROM = """
FROM bench_plan p
JOIN bench_rep r ON r.idx = p.rep_idx
JOIN bench_stage s ON s.pipeline_idx = p.pipeline_idx AND s.ord = p.reached
ORDER BY p.id
"""

# Entries into each stage reached, then the row that closed the deal, in time order.
CHANGE_COLUMNS = {
    "deal_id": "h.deal_id",
    "from_stage_id": "h.from_stage_id",
    "to_stage_id": "h.to_stage_id",
    "from_status": "h.from_status",
    "to_status": "h.to_status",
    "changed_by_id": "h.changed_by_id",
    "changed_at": "h.changed_at",
    "moved_on_at": "h.moved_on_at",
}
# A deal walks forward through its stages: each entry moved on when the next one happened.
CHANGE_FROM = """
FROM (
    SELECT p.id AS deal_id, prev.stage_id AS from_stage_id, cur.stage_id AS to_stage_id,
           CASE WHEN k = 1 THEN '' ELSE 'open' END AS from_status, 'open' AS to_status,
           r.user_id AS changed_by_id,
           p.created_at + p.span * ((k - 1)::float8 / p.reached) AS changed_at,
           CASE WHEN k < p.reached THEN p.created_at + p.span * (k::float8 / p.reached) END
               AS moved_on_at
    FROM bench_plan p
    CROSS JOIN LATERAL generate_series(1, p.reached) AS k
    JOIN bench_stage cur ON cur.pipeline_idx = p.pipeline_idx AND cur.ord = k
    LEFT JOIN bench_stage prev ON prev.pipeline_idx = p.pipeline_idx AND prev.ord = k - 1
    JOIN bench_rep r ON r.idx = p.rep_idx
    UNION ALL
    SELECT p.id, s.stage_id, s.stage_id, 'open', p.status, r.user_id, p.closed_at, NULL
    FROM bench_plan p
    JOIN bench_stage s ON s.pipeline_idx = p.pipeline_idx AND s.ord = p.reached
    JOIN bench_rep r ON r.idx = p.rep_idx
    WHERE p.status <> 'open'
) h
ORDER BY h.changed_at, h.deal_id
"""

# Up to two done activities per deal, during its life.
ACTIVITY_COLUMNS = {
    "type": "a.type",
    "subject": "'Bench activity'",
    "note": "''",
    "deal_id": "a.deal_id",
    "assignee_id": "a.assignee_id",
    "due_date": "(a.done_at AT TIME ZONE 'UTC')::date",
    "due_at": "a.done_at",
    "done": "true",
    "done_at": "a.done_at",
    "created_at": "a.done_at",
    "updated_at": "a.done_at",
}
ACTIVITY_FROM = """
FROM (
    SELECT p.id AS deal_id, r.user_id AS assignee_id,
           (ARRAY['call', 'call', 'email', 'email', 'email', 'meeting', 'task'])
               [1 + floor(random() * 7)::int] AS type,
           p.created_at + p.span * random() AS done_at
    FROM bench_plan p
    CROSS JOIN LATERAL generate_series(1, p.activities) AS k
    JOIN bench_rep r ON r.idx = p.rep_idx
) a
ORDER BY a.done_at
"""


def sql_literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime):
        value = value.isoformat()
    if isinstance(value, dict | list):  # a JSONField's default (custom fields)
        value = json.dumps(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {value!r}")


def insert_select(model: type[models.Model], expressions: dict[str, str], source: str) -> str:
    """INSERT ... SELECT into `model`'s table. Columns missing from `expressions` get the
    default the ORM would give them, so fields added to the models later need no change
    here unless they are required and have no default."""
    columns, values = [], []
    for model_field in model._meta.concrete_fields:
        if isinstance(model_field, models.AutoField) and model_field.column not in expressions:
            continue
        column = model_field.column
        assert column is not None
        columns.append(connection.ops.quote_name(column))
        if model_field.column in expressions:
            values.append(expressions[model_field.column])
            continue
        default = model_field.get_default()
        if default is None and not model_field.null:
            raise CommandError(
                f"{model.__name__}.{model_field.name} is required and has no default: "
                "teach bench_dashboard how to fill it"
            )
        values.append(sql_literal(default))
    return (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} {source}"
    )


class Command(BaseCommand):
    help = "Time the sales dashboard over 1,000,000 generated deals (PostgreSQL bench database)."

    def add_arguments(self, parser):
        parser.add_argument("--deals", type=int, default=DEAL_COUNT)
        parser.add_argument("--runs", type=int, default=30, help="timed requests per case")
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="keep the generated data when the database already holds --deals deals",
        )

    def handle(self, *args, deals: int, runs: int, reuse: bool, **options):
        require_bench_database()
        if reuse and self.has_generated_data(deals):
            self.stdout.write(f"Reusing the {deals:,} generated deals in the database.")
        else:
            started = time.perf_counter()
            self.generate(deals)
            self.stdout.write(
                f"Generated {deals:,} deals, {DealStageChange.objects.count():,} stage changes "
                f"and {Activity.objects.count():,} activities in "
                f"{time.perf_counter() - started:.1f} s."
            )
        self.time_requests(runs)

    def has_generated_data(self, deals: int) -> bool:
        return (
            User.objects.filter(username=ADMIN_USERNAME).exists() and Deal.objects.count() == deals
        )

    # --- Data -----------------------------------------------------------------------------

    def generate(self, deals: int) -> None:
        now = timezone.now()
        with transaction.atomic():
            self.step("empty the database", self.truncate)
            reps, stages = self.step("create the organisation", lambda: self.organisation(now))
            with connection.cursor() as cursor:
                # Rows are generated consistent with each other; skip the per-row checks
                # of deferred foreign keys, as a restore does.
                cursor.execute("SET LOCAL session_replication_role = replica")
                cursor.execute(
                    "CREATE TEMP TABLE bench_rep (idx int PRIMARY KEY, user_id bigint, "
                    "team_id bigint, territory_id bigint) ON COMMIT DROP"
                )
                cursor.executemany("INSERT INTO bench_rep VALUES (%s, %s, %s, %s)", reps)
                cursor.execute(
                    "CREATE TEMP TABLE bench_stage (pipeline_idx int, ord int, "
                    "pipeline_id bigint, stage_id bigint, PRIMARY KEY (pipeline_idx, ord)) "
                    "ON COMMIT DROP"
                )
                cursor.executemany("INSERT INTO bench_stage VALUES (%s, %s, %s, %s)", stages)
                dropped = self.drop_secondary_indexes(cursor, [Deal, DealStageChange, Activity])
                cursor.execute("SELECT setseed(%s)", [SEED])
                params: dict[str, Any] = {
                    "deals": deals,
                    "now": now,
                    "history_seconds": HISTORY_DAYS * 86400,
                    "reps": len(reps),
                }
                self.step("plan the deals", lambda: cursor.execute(PLAN_SQL, params))
                self.step(
                    "insert deals",
                    lambda: cursor.execute(insert_select(Deal, DEAL_COLUMNS, DEAL_FROM), params),
                )
                self.step(
                    "insert stage history",
                    lambda: cursor.execute(
                        insert_select(DealStageChange, CHANGE_COLUMNS, CHANGE_FROM)
                    ),
                )
                self.step(
                    "insert activities",
                    lambda: cursor.execute(
                        insert_select(Activity, ACTIVITY_COLUMNS, ACTIVITY_FROM)
                    ),
                )
                self.step("rebuild the indexes", lambda: [cursor.execute(sql) for sql in dropped])
                for model in (Deal, DealStageChange, Activity):
                    table = model._meta.db_table
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
        with connection.cursor() as cursor:
            tables = ", ".join(m._meta.db_table for m in (Deal, DealStageChange, Activity, Quota))
            self.step("vacuum and analyze", lambda: cursor.execute(f"VACUUM ANALYZE {tables}"))

    def drop_secondary_indexes(self, cursor, models_to_load) -> list[str]:
        """Drop the indexes that back no constraint; return the statements that rebuild them.

        Building an index once after the load is several times faster than updating it
        for every inserted row. The definitions come from the database, so they are the
        migrations' own.
        """
        tables = [m._meta.db_table for m in models_to_load]
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        return [definition for _, definition in indexes]

    def step(self, label: str, action):
        started = time.perf_counter()
        result = action()
        self.stdout.write(f"  {label:<28} {time.perf_counter() - started:7.1f} s")
        return result

    def truncate(self) -> None:
        models_to_empty = [
            Activity,
            DealStageChange,
            Deal,
            Contact,
            Organization,
            Product,
            Stage,
            Pipeline,
            Quota,
            Team,
            Territory,
            User,
        ]
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models_to_empty)
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")

    def organisation(self, now) -> tuple[list[tuple], list[tuple]]:
        """Territories, teams, people, pipelines and quotas; the rep and stage lookup rows."""
        password = make_password("bench")
        regions = {
            name: Territory.objects.create(name=name) for name in sorted(set(TERRITORIES.values()))
        }
        leaves = [
            Territory.objects.create(name=name, parent=regions[parent])
            for name, parent in TERRITORIES.items()
        ]
        User.objects.create(
            username=ADMIN_USERNAME,
            role=Role.ADMIN,
            password=password,
            is_staff=True,
            is_superuser=True,
        )
        reps: list[tuple[int, int, int, int]] = []
        for number in range(1, TEAM_COUNT + 1):
            territory = leaves[(number - 1) % len(leaves)]
            team = Team.objects.create(name=f"Team {number:02d}", territory=territory)
            team.manager = User.objects.create(
                username=f"manager{number:02d}",
                first_name="Manager",
                last_name=f"{number:02d}",
                role=Role.MANAGER,
                team=team,
                password=password,
            )
            team.save(update_fields=["manager"])
            members = User.objects.bulk_create(
                User(
                    username=f"rep{number:02d}{seat}",
                    first_name="Rep",
                    last_name=f"{number:02d}{seat}",
                    role=Role.REP,
                    team=team,
                    password=password,
                )
                for seat in range(1, REPS_PER_TEAM + 1)
            )
            first = len(reps)
            reps.extend(
                (first + seat, rep.pk, team.pk, territory.pk) for seat, rep in enumerate(members)
            )
        stages = []
        for index, (name, steps) in enumerate(PIPELINES.items(), start=1):
            pipeline = Pipeline.objects.create(name=name)
            for order, (stage_name, probability) in enumerate(steps, start=1):
                stage = Stage.objects.create(
                    pipeline=pipeline, name=stage_name, order=order, win_probability=probability
                )
                stages.append((index, order, pipeline.pk, stage.pk))
        self.quotas(now.date())
        return reps, stages

    def quotas(self, today: date) -> None:
        quarter_start, _ = quarter_bounds(today - timedelta(days=HISTORY_DAYS))
        last_start, _ = quarter_bounds(today + timedelta(days=200))
        quotas = []
        for team in Team.objects.prefetch_related("members"):
            start = quarter_start
            while start <= last_start:
                reps = [m for m in team.members.all() if m.role == Role.REP]
                for rep in reps:
                    quotas.append(
                        Quota(
                            team=team,
                            rep=rep,
                            period=PeriodKind.QUARTER,
                            period_start=start,
                            amount=Decimal("150000"),
                        )
                    )
                quotas.append(
                    Quota(
                        team=team,
                        period=PeriodKind.QUARTER,
                        period_start=start,
                        amount=Decimal("150000") * len(reps),
                    )
                )
                start = quarter_bounds(start + timedelta(days=100))[0]
        for quota in quotas:
            quota.align_period()
        Quota.objects.bulk_create(quotas)

    # --- Timing ---------------------------------------------------------------------------

    def time_requests(self, runs: int) -> None:
        manager = User.objects.get(username="manager01")
        rep = User.objects.get(username="rep011")
        admin = User.objects.get(username=ADMIN_USERNAME)
        quarter_start, _ = quarter_bounds(timezone.now().date())
        active = Deal.objects.filter(
            Q(status=DealStatus.OPEN) | Q(closed_at__date__gte=quarter_start)
        )
        changes = DealStageChange.objects.filter(changed_at__date__gte=quarter_start)
        self.stdout.write(
            f"This quarter: {active.count():,} deals open or closed in it, "
            f"{changes.count():,} stage changes since it began."
        )
        url = reverse("reporting:dashboard")
        cases = [
            (f"dashboard, one team ({manager.username})", manager, TEAM_TARGET_MS),
            ("dashboard, whole company (admin)", admin, COMPANY_TARGET_MS),
            (f"dashboard, one rep ({rep.username})", rep, None),
        ]
        # Time what production runs: no query log, no template debugging.
        with override_settings(DEBUG=False, ALLOWED_HOSTS=["*"]):
            for label, user, target in cases:
                client = Client()
                client.force_login(user)
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(url)
                query_count = len(queries)
                if response.status_code != 200:
                    raise CommandError(f"{label}: status {response.status_code}")
                timing = time_calls(label, partial(client.get, url), runs=runs)
                self.stdout.write(f"{timing.line(target)}  ({query_count} queries)")
