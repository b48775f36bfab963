"""The breakdown as plain records: JSON and CSV for `manage.py report` and the CSV export.

Money is written as a string with two decimals (exact), ratios and days as numbers, counts
as integers; a metric without a value ("—" on the page) is null in JSON and empty in CSV.
Beside the quota, `quota_coverage` says whether it is the row's whole quota ("whole") or
only part of it ("partial", and then no attainment); both are empty when no quota is set.
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
QUOTA_COLUMNS = ["quota", "quota_coverage", "attainment"]
FIGURE_COLUMNS = [*METRIC_NAMES, *QUOTA_COLUMNS]
COMMAND_COLUMNS = ["group", *FIGURE_COLUMNS]


def figures(row: BreakdownRow) -> dict:
    """A row's metrics and quota, by column name (None: no value)."""
    return {
        **{name: row.metrics.value(name) for name in METRIC_NAMES},
        "quota": row.quota,
        "quota_coverage": row.quota_coverage,
        "attainment": row.attainment,
    }


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


def group_of(table: Breakdown, row: BreakdownRow) -> str:
    return TOTAL if row is table.total else row.code


def command_records(table: Breakdown) -> list[dict]:
    """The rows of `manage.py report`: one per group, then the total."""
    return [
        {
            "group": group_of(table, row),
            **{name: plain(name, value) for name, value in figures(row).items()},
        }
        for row in [*table.rows, table.total]
    ]


def command_json(table: Breakdown) -> str:
    return json.dumps(command_records(table), indent=2)


def command_csv(table: Breakdown) -> str:
    stream = io.StringIO()
    writer = safe_writer(stream)
    writer.writerow(COMMAND_COLUMNS)
    for row in [*table.rows, table.total]:
        cells = [csv_figure(name, value) for name, value in figures(row).items()]
        writer.writerow([group_of(table, row), *cells])
    return stream.getvalue()


def export_columns(by: str) -> list[str]:
    return [by, *FIGURE_COLUMNS, *ActivityType.values]


def write_breakdown_csv(stream: IO[str], table: Breakdown) -> None:
    """The dashboard's breakdown table as CSV: its rows, then the total, plain numbers."""
    writer = safe_writer(stream)
    writer.writerow(export_columns(table.by))
    for row in [*table.rows, table.total]:
        writer.writerow(
            [
                row.name if row is not table.total else TOTAL,
                *(csv_figure(name, value) for name, value in figures(row).items()),
                *(row.activities[kind] for kind in ActivityType.values),
            ]
        )
