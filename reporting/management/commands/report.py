"""`manage.py report`: the dashboard's breakdown on the command line, as JSON or CSV.

    python manage.py report --start 2017-01-01 --end 2017-12-31 --by territory --format json

Days are read in settings.TIME_ZONE, and every deal counts (an admin tool), unless
`--as USERNAME` is given: then the report is that user's, in their time zone.
"""

import zoneinfo
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from crm.dates import DAY_RANGE_MESSAGE, in_supported_range
from reporting.exports import command_csv, command_json
from reporting.periods import Period
from reporting.queries import Dimension, breakdown, report_scope
from teams.models import User


def iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from error


class Command(BaseCommand):
    help = "Print the sales metrics for a period, per rep, team or territory, as JSON or CSV."

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True, type=iso_date, help="first day, YYYY-MM-DD")
        parser.add_argument("--end", required=True, type=iso_date, help="last day, included")
        parser.add_argument(
            "--by",
            default=Dimension.NONE,
            choices=[Dimension.REP, Dimension.TEAM, Dimension.TERRITORY, Dimension.NONE],
            help="one object per rep (username), team or territory, then the total",
        )
        parser.add_argument("--format", default="json", choices=["json", "csv"])
        parser.add_argument(
            "--as",
            dest="username",
            metavar="USERNAME",
            help="report what this user may see, in their time zone",
        )
        parser.add_argument(
            "--currency",
            default=settings.DEFAULT_CURRENCY,
            help="deals in this currency (default %(default)s)",
        )

    def handle(self, *args, start, end, by, format, username, currency, **options):
        viewer = None
        tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        if username:
            viewer = User.objects.filter(username=username, is_active=True).first()
            if viewer is None:
                raise CommandError(f"No active user {username!r}.")
            tz = viewer.zoneinfo
        if not in_supported_range(start, end):
            raise CommandError(f"--start and --end: {DAY_RANGE_MESSAGE}")
        if end < start:
            raise CommandError("--end is before --start.")
        scope = report_scope(viewer, period=Period(start, end, tz), currency=currency.upper())
        table = breakdown(scope, by=by, sort="name")
        output = command_csv(table) if format == "csv" else command_json(table)
        self.stdout.write(output, ending="" if output.endswith("\n") else "\n")
