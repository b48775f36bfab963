"""Benchmark of the board: 100,000 open deals on PostgreSQL, whole requests timed.

make bench                        # all benchmarks, in the crm_bench database
python manage.py bench_board      # this one (DATABASE_URL must name a *bench* database)
"""

import random
import time
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from pipeline.benchmarking import Timing, require_bench_database, time_calls
from pipeline.models import Deal, DealStageChange, DealStatus, Organization, Pipeline, Stage
from pipeline.services import POSITION_STEP
from teams.models import Role, Team, Territory, User

SEED = 42
STAGES = [
    ("Lead", 10),
    ("Qualified", 20),
    ("Discovery", 35),
    ("Proposal", 55),
    ("Negotiation", 75),
    ("Commit", 90),
]


class Command(BaseCommand):
    help = "Time the board page and a move at 100,000 deals (PostgreSQL, fixed seed)."

    def add_arguments(self, parser):
        parser.add_argument("--deals", type=int, default=100_000)
        parser.add_argument("--runs", type=int, default=60)
        parser.add_argument("--teams", type=int, default=10)
        parser.add_argument("--reps-per-team", type=int, default=10)

    def handle(self, *args, deals, runs, teams, reps_per_team, **options):
        require_bench_database()
        # Time what production runs: no query log, no template debugging.
        override_settings(DEBUG=False).enable()
        started = time.perf_counter()
        pipeline, people = self.generate(deals=deals, teams=teams, reps_per_team=reps_per_team)
        self.stdout.write(
            f"Generated {deals:,} open deals for {teams * reps_per_team} reps in {teams} teams "
            f"in {time.perf_counter() - started:.1f} s (seed {SEED})."
        )
        board_url = reverse("pipeline:board", args=[pipeline.pk])
        targets = {"rep": None, "manager": None, "admin": 250}
        for role, user in people.items():
            client = Client(HTTP_HOST="localhost")
            client.force_login(user)
            visible = Deal.objects.visible_to(user).filter(status=DealStatus.OPEN).count()
            timing = time_calls(
                f"board page, {role} ({visible:,} deals)",
                lambda c=client: self.get_ok(c, board_url),
                runs=runs,
            )
            self.stdout.write(timing.line(targets[role]))
        filtered = time_calls(
            "board page, admin, text search",
            lambda: self.get_ok(client, board_url, {"q": "Org 7"}),
            runs=runs,
        )
        self.stdout.write(filtered.line())
        self.stdout.write(self.time_moves(people["admin"], pipeline, runs=runs * 2).line(60))

    def get_ok(self, client, url, params=None):
        response = client.get(url, params or {})
        assert response.status_code == 200, response.status_code

    def time_moves(self, user, pipeline, *, runs):
        rng = random.Random(SEED)
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        stages = list(pipeline.stages.order_by("order"))
        candidates = list(
            Deal.objects.filter(pipeline=pipeline, status=DealStatus.OPEN)
            .order_by("?")
            .values_list("pk", flat=True)[: runs + 5]
        )
        moves = iter(candidates)

        def one_move():
            deal = Deal.objects.get(pk=next(moves))
            stage = rng.choice(stages)
            after = (
                Deal.objects.filter(stage=stage, status=DealStatus.OPEN)
                .exclude(pk=deal.pk)
                .order_by("position", "id")
                .values_list("pk", flat=True)[rng.randrange(0, 20)]
            )
            url = reverse("pipeline:deal-move", args=[deal.pk])
            data = {"stage": stage.pk, "after": after, "version": deal.version}
            # Only the request is timed; picking the card above is the user's part.
            started = time.perf_counter()
            response = client.post(url, data, headers={"HX-Request": "true"})
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.status_code
            return elapsed

        for _ in range(3):
            one_move()
        return Timing("move (drag to another place)", [one_move() for _ in range(runs)])

    def generate(self, *, deals, teams, reps_per_team):
        call_command("flush", "--noinput", verbosity=0)
        rng = random.Random(SEED)
        password = make_password("bench")
        admin = User.objects.create(
            username="bench.admin",
            role=Role.ADMIN,
            is_superuser=True,
            is_staff=True,
            password=password,
        )
        region = Territory.objects.create(name="Region")
        reps, managers = [], []
        for t in range(teams):
            team = Team.objects.create(
                name=f"Team {t}",
                territory=Territory.objects.create(name=f"Area {t}", parent=region),
            )
            manager = User.objects.create(
                username=f"manager{t}", role=Role.MANAGER, team=team, password=password
            )
            team.manager = manager
            team.save()
            managers.append(manager)
            reps += [
                User(username=f"rep{t}.{r}", role=Role.REP, team=team, password=password)
                for r in range(reps_per_team)
            ]
        reps = User.objects.bulk_create(reps)
        pipeline = Pipeline.objects.create(name="Sales")
        stages = [
            Stage.objects.create(
                pipeline=pipeline, name=name, order=i, win_probability=p, rotting_days=14
            )
            for i, (name, p) in enumerate(STAGES)
        ]
        organizations = Organization.objects.bulk_create(
            Organization(name=f"Org {i}") for i in range(2000)
        )
        now = timezone.now()
        for start in range(0, deals, 10_000):
            batch = []
            for index in range(start, min(start + 10_000, deals)):
                owner = reps[rng.randrange(len(reps))]
                created = now - timezone.timedelta(days=rng.uniform(0, 365))
                batch.append(
                    Deal(
                        title=f"Deal {index}",
                        organization=organizations[rng.randrange(len(organizations))],
                        value=Decimal(rng.randrange(500, 200_000)),
                        owner=owner,
                        team_id=owner.team_id,
                        territory_id=owner.team.territory_id,
                        pipeline=pipeline,
                        stage=stages[rng.randrange(len(stages))],
                        created_at=created,
                        stage_entered_at=created,
                        position=index * POSITION_STEP,
                    )
                )
            created_deals = Deal.objects.bulk_create(batch)
            DealStageChange.objects.bulk_create(
                DealStageChange(
                    deal=d,
                    to_stage=d.stage,
                    to_status=DealStatus.OPEN,
                    changed_by=d.owner,
                    changed_at=d.created_at,
                )
                for d in created_deals
            )
        with connection.cursor() as cursor:
            # What autovacuum does on a live database: fresh statistics, visibility map set.
            cursor.execute("VACUUM ANALYZE")
        return pipeline, {"rep": reps[0], "manager": managers[0], "admin": admin}
