"""Benchmark of a contacts import: 20,000 rows uploaded through the page and imported by the
page's Celery task (run in this process, as a worker would), then the same file again.

make bench                        # all benchmarks, in the crm_bench database
python manage.py bench_imports    # this one (DATABASE_URL must name a *bench* database)
"""

import random
import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from contacts.models import Contact, Organization
from crm.celery import app as celery_app
from imports.models import ImportJob, ImportStatus
from imports.tasks import process_import
from pipeline.benchmarking import require_bench_database
from teams.models import Role, User

SEED = 11
DOMAIN = "bench-import.example"
FIRST = ["Ada", "Alan", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Jo"]
LAST = ["Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie"]


class Command(BaseCommand):
    help = "Time importing 20,000 contacts through the import page's task, and again."

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, default=20_000)
        parser.add_argument("--organizations", type=int, default=500)

    def handle(self, *args, contacts, organizations, **options):
        require_bench_database()
        override_settings(DEBUG=False).enable()
        # Tasks the import sends (the next chunk, webhook dispatches) stay in this process.
        celery_app.conf.broker_url = "memory://"
        admin, _ = User.objects.get_or_create(
            username="bench.importer", defaults={"role": Role.ADMIN, "is_staff": True}
        )
        names = [f"Bench Import Org {n:04}" for n in range(organizations)]
        existing = set(Organization.objects.filter(name__in=names).values_list("name", flat=True))
        for name in names:
            if name not in existing:
                Organization(name=name, owner=admin).save()
        removed, _ = Contact.objects.filter(email__endswith=f"@{DOMAIN}").delete()
        data = self.csv(contacts, names)
        self.stdout.write(
            f"{contacts:,} contact rows ({len(data) / 1e6:.1f} MB), {organizations} "
            f"organizations; {removed:,} rows of an earlier run removed"
        )
        for label in ("first import", "same file again"):
            self.run(label, admin, data)

    def csv(self, count: int, organizations: list[str]) -> bytes:
        rng = random.Random(SEED)
        lines = ["first name,last name,e-mail,phone,job title,organization name"]
        for n in range(count):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first}.{last}.{n}@{DOMAIN}".lower()
            if n % 50 == 49:
                email = "not-an-address"  # 2 % of the rows are rejected
            phone = f"+1 555 {rng.randrange(10**7):07}"
            lines.append(f"{first},{last},{email},{phone},Buyer,{rng.choice(organizations)}")
        return ("\n".join(lines) + "\n").encode()

    def run(self, label: str, admin, data: bytes) -> None:
        client = Client(HTTP_HOST="localhost")
        client.force_login(admin)
        started = time.perf_counter()
        response = client.post(
            reverse("imports:import-list"),
            {"kind": "contacts", "file": SimpleUploadedFile("bench.csv", data)},
        )
        assert response.status_code == 302, response.status_code
        uploaded = time.perf_counter()
        job = ImportJob.objects.latest("id")
        tasks = 0
        while job.status not in (ImportStatus.DONE, ImportStatus.FAILED):
            process_import.apply(args=[job.pk])
            tasks += 1
            job.refresh_from_db()
        done = time.perf_counter()
        rows_per_second = job.total_rows / (done - uploaded)
        self.stdout.write(
            f"{label:>16}: upload {uploaded - started:.1f} s, import {done - uploaded:.1f} s "
            f"({rows_per_second:,.0f} rows/s, {tasks} task(s)); {job.status}: "
            f"{job.created_count:,} created, {job.updated_count:,} updated, "
            f"{job.unchanged_count:,} unchanged, {job.rejected_count:,} rejected"
        )
