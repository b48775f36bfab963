"""Benchmark of custom field filters: 100,000 deals on PostgreSQL, each with custom values.

python manage.py bench_custom_fields   # DATABASE_URL must name a *bench* database

Generates the board's benchmark data (`bench_board`'s generator, fixed seed), gives every
deal a tier (one of 20 choices), regions and a champion, then times the board and the deal
list filtered by a custom field, and prints the plan PostgreSQL chooses for the filter.
"""

import random
import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from customfields.models import FieldDefinition
from customfields.queries import CustomFilter, apply_filters
from pipeline.benchmarking import require_bench_database, time_calls
from pipeline.management.commands.bench_board import SEED
from pipeline.management.commands.bench_board import Command as BoardBench
from pipeline.models import Deal

TIERS = [f"Tier {n}" for n in range(20)]
REGIONS = ["EU", "US", "APAC", "LATAM"]


class Command(BaseCommand):
    help = "Time custom field filters at 100,000 deals (PostgreSQL, fixed seed)."

    def add_arguments(self, parser):
        parser.add_argument("--deals", type=int, default=100_000)
        parser.add_argument("--runs", type=int, default=40)

    def handle(self, *args, deals, runs, **options):
        require_bench_database()
        override_settings(DEBUG=False).enable()
        started = time.perf_counter()
        pipeline, people = BoardBench().generate(deals=deals, teams=10, reps_per_team=10)
        tier = FieldDefinition.objects.create(
            kind="deal", key="tier", label="Tier", type="choice", choices="\n".join(TIERS)
        )
        FieldDefinition.objects.create(
            kind="deal",
            key="regions",
            label="Regions",
            type="multi_choice",
            choices="\n".join(REGIONS),
            show_on_card=True,
        )
        FieldDefinition.objects.create(
            kind="deal", key="champion", label="Champion", type="user", show_on_card=True
        )
        self.fill(people)
        self.stdout.write(
            f"Generated {deals:,} deals with custom values in "
            f"{time.perf_counter() - started:.1f} s (seed {SEED})."
        )
        admin = people["admin"]
        client = Client(HTTP_HOST="localhost")
        client.force_login(admin)
        board = reverse("pipeline:board", args=[pipeline.pk])
        for label, params in [
            ("board page, admin, unfiltered", {}),
            ("board page, admin, cf_tier (1 in 20)", {"cf_tier": TIERS[3]}),
            ("board page, admin, cf_regions (1 in 4)", {"cf_regions": "APAC"}),
        ]:
            timing = time_calls(label, lambda p=params: self.get_ok(client, board, p), runs=runs)
            self.stdout.write(timing.line())
        deal_list = reverse("pipeline:deal-list")
        timing = time_calls(
            "deal list, admin, cf_tier",
            lambda: self.get_ok(client, deal_list, {"cf_tier": TIERS[3]}),
            runs=runs,
        )
        self.stdout.write(timing.line())
        rows = apply_filters(Deal.objects.all(), [CustomFilter(tier, TIERS[3])]).values("id")
        sql, params = rows.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", params)
            plan = [row[0] for row in cursor.fetchall()]
        self.stdout.write("Plan of the tier filter:\n  " + "\n  ".join(plan))

    def fill(self, people) -> None:
        rng = random.Random(SEED)
        users = list(people.values())
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM pipeline_deal ORDER BY id")
            ids = [row[0] for row in cursor.fetchall()]
        batch = []
        for deal_id in ids:
            custom = {
                "tier": rng.choice(TIERS),
                "regions": sorted(rng.sample(REGIONS, rng.randint(1, 2)), key=REGIONS.index),
                "champion": rng.choice(users).pk,
            }
            batch.append(Deal(pk=deal_id, custom=custom))
            if len(batch) == 5000:
                Deal.objects.bulk_update(batch, ["custom"])
                batch = []
        if batch:
            Deal.objects.bulk_update(batch, ["custom"])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE pipeline_deal")

    def get_ok(self, client, url, params):
        response = client.get(url, params)
        assert response.status_code == 200, response.status_code
