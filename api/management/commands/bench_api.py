"""Benchmark of the REST API: the deal list and a move at 100,000 deals (PostgreSQL).

make bench                      # all benchmarks, in the crm_bench database
python manage.py bench_api      # this one (DATABASE_URL must name a *bench* database)

The data is bench_board's (same seed), with one deal in ten won and one in ten lost. Whole
requests are timed through Django's test client with a Bearer token, as an API client
sends them. Exits non-zero when a p95 misses its target.
"""

import random
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from api.services import token_create
from pipeline.benchmarking import Timing, require_bench_database, time_calls
from pipeline.management.commands.bench_board import SEED
from pipeline.management.commands.bench_board import Command as BoardBench
from pipeline.models import Deal, DealStatus, Pipeline
from teams.models import User

LIST_TARGET_MS = 50
# The board's move budget (bench_board): a move through the API must fit in it too.
MOVE_TARGET_MS = 60


class Command(BaseCommand):
    help = "Time the API's deal list and a move at 100,000 deals (PostgreSQL, fixed seed)."

    def add_arguments(self, parser):
        parser.add_argument("--deals", type=int, default=100_000)
        parser.add_argument("--runs", type=int, default=60)
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="Time the data of a previous run instead of generating it again.",
        )

    def handle(self, *args, deals, runs, reuse, **options):
        require_bench_database()
        override_settings(DEBUG=False, API_RATE_LIMIT=0).enable()
        if reuse and Deal.objects.count() == deals:
            pipeline = Pipeline.objects.get(name="Sales")
            people = {
                "rep": User.objects.get(username="rep0.0"),
                "manager": User.objects.get(username="manager0"),
                "admin": User.objects.get(username="bench.admin"),
            }
        else:
            started = time.perf_counter()
            pipeline, people = BoardBench().generate(deals=deals, teams=10, reps_per_team=10)
            self.close_some(deals)
            self.stdout.write(
                f"Generated {deals:,} deals (80% open, 10% won, 10% lost) in "
                f"{time.perf_counter() - started:.1f} s (seed {SEED})."
            )
        stages = list(pipeline.stages.order_by("order"))
        timings: list[tuple[Timing, float]] = []
        for role, user in people.items():
            _, raw = token_create(user=user, name="bench", scope="write")
            client = Client(HTTP_HOST="localhost", headers={"Authorization": f"Bearer {raw}"})
            visible = Deal.objects.visible_to(user).count()
            later = self.cursor_after(client, pages=5)
            cases = [
                (f"deal list, {role} ({visible:,} deals), first page", {}),
                (f"deal list, {role}, 6th page (cursor)", {"cursor": later}),
                (f"deal list, {role}, stage + open", {"stage": stages[2].pk, "status": "open"}),
                (f"deal list, {role}, won, 200 a page", {"status": "won", "limit": 200}),
                (
                    f"deal list, {role}, updated in the last day",
                    {"updated_since": (timezone.now() - timedelta(days=1)).isoformat()},
                ),
            ]
            if role != "rep":
                owner = Deal.objects.visible_to(user).values_list("owner_id", flat=True).first()
                cases.append((f"deal list, {role}, one owner", {"owner": owner}))
                cases.append((f"deal list, {role}, team", {"team": user.team_id or 1}))
            for label, params in cases:
                timing = time_calls(
                    label, lambda c=client, p=params: self.get_ok(c, "/api/v1/deals", p), runs=runs
                )
                timings.append((timing, LIST_TARGET_MS))
                self.stdout.write(timing.line(LIST_TARGET_MS))
        move, board_move = self.time_moves(people["admin"], pipeline, stages, runs=runs * 2)
        timings.append((move, MOVE_TARGET_MS))
        self.stdout.write(move.line(MOVE_TARGET_MS))
        self.stdout.write(board_move.line())
        missed = [timing.label for timing, target in timings if timing.p95 >= target]
        if missed:
            raise CommandError(f"Over budget: {', '.join(missed)}")

    def close_some(self, deals: int) -> None:
        table = connection.ops.quote_name(Deal._meta.db_table)
        with connection.cursor() as cursor:
            for status, remainder in ((DealStatus.WON, 3), (DealStatus.LOST, 7)):
                cursor.execute(
                    f"UPDATE {table} SET status = %s, closed_at = created_at + interval '20 days'"
                    f" WHERE id %% 10 = %s",
                    [status, remainder],
                )
            cursor.execute(f"ANALYZE {table}")

    def get_ok(self, client: Client, url: str, params: dict):
        response = client.get(url, params)
        assert response.status_code == 200, (response.status_code, response.content[:300])
        return response.json()

    def cursor_after(self, client: Client, *, pages: int) -> str:
        cursor: str | None = None
        for _ in range(pages):
            body = self.get_ok(client, "/api/v1/deals", {"cursor": cursor} if cursor else {})
            cursor = body["next_cursor"]
            assert cursor is not None
        assert cursor is not None
        return cursor

    def time_moves(self, user, pipeline, stages, *, runs: int) -> tuple[Timing, Timing]:
        """Moves through the API and, interleaved with them (so that both see the same load
        on the machine), the board's own moves as a drag sends them."""
        rng = random.Random(SEED)
        _, raw = token_create(user=user, name="bench moves", scope="write")
        api = Client(HTTP_HOST="localhost", headers={"Authorization": f"Bearer {raw}"})
        board = Client(HTTP_HOST="localhost")
        board.force_login(user)
        candidates = iter(
            Deal.objects.filter(pipeline=pipeline, status=DealStatus.OPEN)
            .order_by("?")
            .values_list("pk", flat=True)[: 2 * runs + 10]
        )

        def one_move(through_api: bool) -> float:
            deal = Deal.objects.get(pk=next(candidates))
            stage = rng.choice(stages)
            after = (
                Deal.objects.filter(stage=stage, status=DealStatus.OPEN)
                .exclude(pk=deal.pk)
                .order_by("position", "id")
                .values_list("pk", flat=True)[rng.randrange(0, 20)]
            )
            started = time.perf_counter()
            if through_api:
                response = api.post(
                    f"/api/v1/deals/{deal.pk}/move",
                    {"stage_id": stage.pk, "after_id": after, "version": deal.version},
                    content_type="application/json",
                )
            else:
                response = board.post(
                    reverse("pipeline:deal-move", args=[deal.pk]),
                    {"stage": stage.pk, "after": after, "version": deal.version},
                    headers={"HX-Request": "true"},
                )
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (response.status_code, response.content[:300])
            return elapsed

        for _ in range(3):
            one_move(True)
            one_move(False)
        api_samples, board_samples = [], []
        for _ in range(runs):
            api_samples.append(one_move(True))
            board_samples.append(one_move(False))
        return (
            Timing("move through the API, admin", api_samples),
            Timing("the board's move, same moments", board_samples),
        )
