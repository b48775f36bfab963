from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from leads.demo import seed_demo_leads
from pipeline.demo import DEMO_PASSWORD, database_is_empty, demo_logins, seed_demo


class Command(BaseCommand):
    help = "Create a demo sales organisation with deals, histories and quotas (fixed seed)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and succeed) when the database already holds users or deals.",
        )

    def handle(self, *args, if_empty: bool, **options):
        if not database_is_empty():
            if if_empty:
                self.stdout.write("The database already holds data; demo not seeded.")
                self.print_logins(demo_logins())
                return
            raise CommandError("The database already holds users or deals; seed an empty one.")
        with transaction.atomic():
            summary = seed_demo()
            leads = seed_demo_leads()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {summary.deals} deals, {summary.stage_changes} stage changes, "
                f"{summary.quotas} quotas, {leads} leads."
            )
        )
        self.print_logins(summary.logins)

    def print_logins(self, logins):
        if not logins:
            return
        self.stdout.write(f"Log in at http://127.0.0.1:8000/ with password {DEMO_PASSWORD!r} as:")
        for username, role in logins:
            self.stdout.write(f"  {username:<16} ({role})")
