"""Benchmark of the people and companies screens: 20,000 organizations, 100,000 contacts and
100,000 deals on PostgreSQL, whole requests timed for a rep, a manager and an admin.

make bench                          # all benchmarks, in the crm_bench database
python manage.py bench_contacts     # this one (DATABASE_URL must name a *bench* database)
"""

import random
import time
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity
from contacts.access import contacts_visible_to, organizations_visible_to
from contacts.models import Contact, Organization
from contacts.queries import (
    CONTACT_SORTS,
    ListFilters,
    contact_list,
    contact_suggestions,
    decode_cursor,
    encode_cursor,
)
from pipeline.benchmarking import require_bench_database, time_calls
from pipeline.models import Deal, DealStatus, Pipeline, Stage
from teams.models import Role, Team, Territory, User

SEED = 7
FIRST = ["Ada", "Alan", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Jo"]
LAST = ["Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie"]
WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne"]
SUFFIXES = ["Inc", "Ltd", "GmbH", "LLC", "", "Group", "Labs", "Systems"]


class Command(BaseCommand):
    help = "Time the contact and organization lists, details and typeahead at 100,000 contacts."

    def add_arguments(self, parser):
        parser.add_argument("--organizations", type=int, default=20_000)
        parser.add_argument("--contacts", type=int, default=100_000)
        parser.add_argument("--deals", type=int, default=100_000)
        parser.add_argument("--runs", type=int, default=30)
        parser.add_argument("--reuse", action="store_true", help="keep data from an earlier run")

    def handle(self, *args, organizations, contacts, deals, runs, reuse, **options):
        require_bench_database()
        override_settings(DEBUG=False).enable()
        if not reuse or not Contact.objects.exists():
            started = time.perf_counter()
            self.generate(organizations=organizations, contacts=contacts, deals=deals)
            self.stdout.write(
                f"Generated {organizations:,} organizations, {contacts:,} contacts and "
                f"{deals:,} deals in {time.perf_counter() - started:.1f} s (seed {SEED})."
            )
        people = {
            "rep": User.objects.filter(role=Role.REP).order_by("pk").first(),
            "manager": User.objects.filter(role=Role.MANAGER).order_by("pk").first(),
            "admin": User.objects.filter(role=Role.ADMIN).first(),
        }
        for role, user in people.items():
            client = Client(HTTP_HOST="localhost")
            client.force_login(user)
            contacts_seen = contacts_visible_to(user).count()
            organizations_seen = organizations_visible_to(user).count()
            contact = contacts_visible_to(user).order_by("pk").first()
            organization = organizations_visible_to(user).order_by("pk").first()
            assert contact is not None and organization is not None
            cases = [
                # The deal list (pipeline) on the same data: what a page of this site costs.
                ("reference: deal list", "pipeline:deal-list", {}, None, False),
                (f"contact list ({contacts_seen:,})", "contacts:contact-list", {}, None, False),
                (
                    f"organization list ({organizations_seen:,})",
                    "contacts:organization-list",
                    {},
                    None,
                    False,
                ),
                ("contact list by owner", "contacts:contact-list", {"sort": "owner"}, None, False),
                ("contact list, search 'ada'", "contacts:contact-list", {"q": "ada"}, None, False),
                (
                    "contact list, page 20",
                    "contacts:contact-list",
                    {"after": self.cursor_of_page(user, 20)},
                    None,
                    False,
                ),
                ("typeahead 'lo'", "contacts:contact-search", {"field": "q", "q": "lo"}, [], True),
                (
                    "typeahead 'acme'",
                    "contacts:organization-search",
                    {"field": "q", "q": "acme"},
                    None,
                    True,
                ),
                ("contact page", "contacts:contact-detail", {}, [contact.pk], False),
                ("organization page", "contacts:organization-detail", {}, [organization.pk], False),
            ]
            for label, name, params, args, htmx in cases:
                self.time_page(client, f"{label}, {role}", name, runs, params, args=args, htmx=htmx)
        self.explain(people["rep"])

    def cursor_of_page(self, user, number: int) -> str:
        """The cursor a user reaches after `number` pages of the contact list."""
        order = CONTACT_SORTS["name"]
        page = contact_list(user, ListFilters())
        for _ in range(number - 1):
            if not page.next_cursor:
                break
            page = contact_list(user, ListFilters(), after=decode_cursor(order, page.next_cursor))
        return encode_cursor(order, page.rows[-1])

    def time_page(self, client, label, name, runs, params=None, *, args=None, htmx=False):
        url = reverse(name, args=args or [])
        headers = {"HX-Request": "true"} if htmx else {}

        def call():
            response = client.get(url, params or {}, headers=headers)
            assert response.status_code == 200, (label, response.status_code)

        statements: list[str] = []

        def count(execute, sql, *rest):
            statements.append(sql)
            return execute(sql, *rest)

        with connection.execute_wrapper(count):
            call()
        timing = time_calls(label, call, runs=runs)
        self.stdout.write(f"{timing.line()}  queries {len(statements)}")

    def explain(self, user) -> None:
        """The plans of a rep's first contact page and a typeahead, as the app sends them."""
        self.stdout.write("\nPlans for a rep (EXPLAIN ANALYZE):")
        for label, read in (
            ("contact list page", lambda: contact_list(user, ListFilters())),
            ("typeahead 'lo'", lambda: contact_suggestions(user, "lo")),
        ):
            with CaptureQueriesContext(connection) as captured:
                read()
            sql = max((q["sql"] for q in captured.captured_queries), key=len)
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                plan = "\n".join(f"    {row[0]}" for row in cursor.fetchall())
            self.stdout.write(f"  {label}:\n{plan}")

    def generate(self, *, organizations, contacts, deals):
        call_command("flush", "--noinput", verbosity=0)
        rng = random.Random(SEED)
        password = make_password("bench")
        User.objects.create(
            username="bench.admin",
            role=Role.ADMIN,
            is_superuser=True,
            is_staff=True,
            password=password,
        )
        region = Territory.objects.create(name="Region")
        reps = []
        for t in range(10):
            team = Team.objects.create(
                name=f"Team {t}",
                territory=region
                if t == 0
                else Territory.objects.create(name=f"Area {t}", parent=region),
            )
            manager = User.objects.create(
                username=f"manager{t}", role=Role.MANAGER, team=team, password=password
            )
            team.manager = manager
            team.save()
            reps += User.objects.bulk_create(
                User(username=f"rep{t}.{r}", role=Role.REP, team=team, password=password)
                for r in range(10)
            )

        def owner():
            return None if rng.random() < 0.1 else rng.choice(reps)

        orgs = []
        for start in range(0, organizations, 5000):
            orgs += Organization.objects.bulk_create(
                Organization(
                    name=f"{rng.choice(WORDS)} {index} {rng.choice(SUFFIXES)}".strip(),
                    country=rng.choice(["France", "Germany", "Brazil", "Japan"]),
                    owner=owner(),
                )
                for index in range(start, min(start + 5000, organizations))
            )
        people_at: dict[int, list[int]] = {}
        for start in range(0, contacts, 10_000):
            batch = Contact.objects.bulk_create(
                Contact(
                    organization=rng.choice(orgs),
                    first_name=rng.choice(FIRST),
                    last_name=f"{rng.choice(LAST)}{index % 97}",
                    email=f"person{index}@example.com",
                    owner=owner(),
                )
                for index in range(start, min(start + 10_000, contacts))
            )
            for contact in batch:
                people_at.setdefault(contact.organization_id, []).append(contact.pk)
        pipeline = Pipeline.objects.create(name="Sales")
        stage = Stage.objects.create(pipeline=pipeline, name="Lead", order=1, win_probability=10)
        now = timezone.now()
        for start in range(0, deals, 10_000):
            batch = []
            for index in range(start, min(start + 10_000, deals)):
                rep = rng.choice(reps)
                org = rng.choice(orgs)
                status = rng.choice([DealStatus.OPEN, DealStatus.WON, DealStatus.LOST])
                created = now - timedelta(days=rng.uniform(0, 365))
                batch.append(
                    Deal(
                        title=f"Deal {index}",
                        owner=rep,
                        team_id=rep.team_id,
                        pipeline=pipeline,
                        stage=stage,
                        organization=org,
                        contact_id=rng.choice(people_at[org.pk]) if org.pk in people_at else None,
                        value=Decimal(rng.randint(100, 100_000)),
                        status=status,
                        created_at=created,
                        closed_at=None if status == DealStatus.OPEN else created,
                        position=index * 1024,
                    )
                )
            created_deals = Deal.objects.bulk_create(batch)
            Activity.objects.bulk_create(
                Activity(
                    subject=f"Call {deal.pk}",
                    deal=deal,
                    assignee_id=deal.owner_id,
                    due_date=(now + timedelta(days=rng.randint(-30, 30))).date(),
                )
                for deal in created_deals[::2]
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
