import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pipeline.imports import ImportFailed, import_maven_crm


class Command(BaseCommand):
    help = (
        "Import a sales organisation from the four CSV files of the Maven CRM data set "
        "(sales_teams, accounts, products, sales_pipeline). Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--time-zone",
            default=settings.TIME_ZONE,
            help="Time zone of the dates in the files (default: the TIME_ZONE setting).",
        )
        parser.add_argument(
            "--password",
            help="Password for users the import creates (default: none; they reset it).",
        )
        parser.add_argument("--email-domain", default="example.com")

    def handle(self, *args, directory: Path, time_zone, password, email_domain, **options):
        started = time.perf_counter()
        try:
            report = import_maven_crm(
                directory, time_zone=time_zone, password=password, email_domain=email_domain
            )
        except ImportFailed as error:
            raise CommandError(str(error)) from error
        elapsed = time.perf_counter() - started

        for rejection in report.rejected:
            self.stderr.write(f"rejected {rejection}")
        kinds = sorted(set(report.created) | set(report.updated))
        for kind in kinds:
            self.stdout.write(
                f"{kind:>14}: {report.created[kind]:>6} created, {report.updated[kind]:>6} updated"
            )
        for note in report.notes:
            self.stdout.write(f"note: {note}")
        summary = f"Imported {directory} in {elapsed:.1f} s; {len(report.rejected)} rows rejected."
        self.stdout.write(
            self.style.SUCCESS(summary) if not report.rejected else self.style.WARNING(summary)
        )
