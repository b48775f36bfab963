"""The breakdown as plain records: JSON and CSV for `manage.py report` and the CSV export.

Money is written as a string with two decimals (exact), ratios and days as numbers, counts
as integers; a metric without a value ("—" on the page) is null in JSON and empty in CSV.
Every CSV goes through `crm.csv_safety`, so names a spreadsheet would run as formulas are
neutralised; the figures are passed to it as numbers, which it leaves alone.
"""

import io
import json
from decimal import Decimal
from typing import IO

from activities.models import ActivityType
from crm.csv_safety import safe_writer
from reporting.metrics import METRIC_NAMES, MONEY_METRICS
from reporting.queries import Breakdown, BreakdownRow

TOTAL = "total"
CENT = Decimal("0.01")
COMMAND_COLUMNS = ["group", *METRIC_NAMES]


def plain(name: str, value):
    """A figure as JSON wants it: money as a two-decimal string, ratios and days as numbers."""
    if value is None:
        return None
    if name in MONEY_METRICS or name == "quota":
        return f"{value:.2f}"
    if isinstance(value, Decimal):
        return float(value)
    return value


def csv_figure(name: str, value):
    """A figure as a CSV cell: money as a number with two decimals, empty for no value."""
    if value is None:
        return ""
    if name in MONEY_METRICS or name == "quota":
        return value.quantize(CENT)
    if isinstance(value, Decimal):
        return float(value)
    return value


def command_record(row: BreakdownRow, group: str) -> dict:
    return {"group": group, **{name: plain(name, row.metrics.value(name)) for name in METRIC_NAMES}}


def command_records(table: Breakdown) -> list[dict]:
    """The rows of `manage.py report`: one per group, then the total."""
    return [
        *(command_record(row, row.code) for row in table.rows),
        command_record(table.total, TOTAL),
    ]


def command_json(table: Breakdown) -> str:
    return json.dumps(command_records(table), indent=2)


def command_csv(table: Breakdown) -> str:
    stream = io.StringIO()
    writer = safe_writer(stream)
    writer.writerow(COMMAND_COLUMNS)
    for row in [*table.rows, table.total]:
        group = row.code if row is not table.total else TOTAL
        writer.writerow([group, *(csv_figure(n, row.metrics.value(n)) for n in METRIC_NAMES)])
    return stream.getvalue()


def export_columns(by: str) -> list[str]:
    return [by, *METRIC_NAMES, "quota", "attainment", *ActivityType.values]


def write_breakdown_csv(stream: IO[str], table: Breakdown) -> None:
    """The dashboard's breakdown table as CSV: its rows, then the total, plain numbers."""
    writer = safe_writer(stream)
    writer.writerow(export_columns(table.by))
    for row in [*table.rows, table.total]:
        writer.writerow(
            [
                row.name if row is not table.total else TOTAL,
                *(csv_figure(name, row.metrics.value(name)) for name in METRIC_NAMES),
                csv_figure("quota", row.quota),
                csv_figure("attainment", row.attainment),
                *(row.activities[kind] for kind in ActivityType.values),
            ]
        )
