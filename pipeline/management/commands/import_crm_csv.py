import time
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from imports.csvfile import FileRefused
from imports.models import ImportJob, ImportKind, ImportSource, ImportStatus
from imports.queries import error_rows
from imports.services import import_job_create, import_job_process
from pipeline.imports import ImportFailed, import_maven_crm
from teams.models import User


class Command(BaseCommand):
    help = (
        "Import a sales organisation from the four CSV files of the Maven CRM data set "
        "(sales_teams, accounts, products, sales_pipeline) in DIRECTORY, or organizations "
        "and contacts from CSV files (--organizations, --contacts; see the README for their "
        "columns). Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, nargs="?", help="The Maven CRM data set.")
        parser.add_argument(
            "--organizations", type=Path, metavar="FILE", help="A CSV file of organizations."
        )
        parser.add_argument(
            "--contacts",
            type=Path,
            metavar="FILE",
            help="A CSV file of contacts (imported after --organizations).",
        )
        parser.add_argument(
            "--as",
            dest="as_username",
            metavar="USERNAME",
            help="With --organizations/--contacts: who imports (recorded on the import, and "
            "the owner of new records whose row names none; default: nobody).",
        )
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

    def handle(self, *args, directory: Path | None, organizations, contacts, **options):
        files = [
            (kind, path)
            for kind, path in (
                (ImportKind.ORGANIZATIONS, organizations),
                (ImportKind.CONTACTS, contacts),
            )
            if path is not None
        ]
        if directory is not None and files:
            raise CommandError("Give either DIRECTORY or --organizations/--contacts, not both.")
        if directory is None and not files:
            raise CommandError("Give DIRECTORY (the Maven data set) or --organizations/--contacts.")
        if directory is not None:
            self.import_maven(directory, **options)
            return
        actor = None
        if options["as_username"]:
            actor = User.objects.filter(username=options["as_username"]).first()
            if actor is None:
                raise CommandError(f"No user is called {options['as_username']!r}.")
        for kind, path in files:
            self.import_records(kind, path, actor)

    def import_records(self, kind: str, path: Path, actor) -> None:
        """One file through the same job, checks and chunks as an upload on /imports/."""
        started = time.perf_counter()
        if not path.is_file():
            raise CommandError(f"{path} is missing.")
        try:
            with path.open("rb") as handle:
                job = import_job_create(
                    kind=kind,
                    file=File(handle, name=path.name),
                    actor=actor,
                    source=ImportSource.COMMAND,
                    queue=False,
                )
        except FileRefused as refusal:
            raise CommandError(f"{path}: {refusal}") from refusal
        import_job_process(job_id=job.pk)
        job = ImportJob.objects.get(pk=job.pk)
        if job.unknown_columns:
            self.stdout.write(
                f"note: {path.name}: ignored the column(s) "
                + ", ".join(f"{name!r}" for name in job.unknown_columns)
            )
        for line, column, value, reason in error_rows(job):
            where = f"{column}: " if column else ""
            shown = f": “{value}”" if value else ""
            self.stderr.write(f"rejected {path.name}:{line}: {where}{reason}{shown}")
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"{kind:>14}: {job.created_count:>6} created, {job.updated_count:>6} updated, "
            f"{job.unchanged_count:>6} unchanged, {job.rejected_count:>6} rejected"
        )
        if job.status != ImportStatus.DONE:
            raise CommandError(
                f"{path}: the import stopped after {job.processed_rows} of {job.total_rows} "
                f"rows: {job.error} (import {job.pk}; resume it on its page or run this again)"
            )
        summary = (
            f"Imported {path} in {elapsed:.1f} s (import {job.pk}); "
            f"{job.rejected_count} rows rejected."
        )
        self.stdout.write(
            self.style.SUCCESS(summary) if not job.rejected_count else self.style.WARNING(summary)
        )

    def import_maven(self, directory: Path, *, time_zone, password, email_domain, **options):
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
