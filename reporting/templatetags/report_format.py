"""How figures read on the dashboard: money with thousands separators and cents, ratios as
percentages, days with one decimal, and "—" for a figure without a value."""

from decimal import Decimal

from django import template

from activities.models import ActivityType
from reporting.metrics import MONEY_METRICS

register = template.Library()

DASH = "—"
MINUS = "\N{MINUS SIGN}"


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _percent(value: Decimal) -> str:
    return f"{value * 100:.1f} %"


@register.filter
def money(value) -> str:
    return DASH if value is None else _money(value)


@register.filter
def percent(value) -> str:
    """A fraction from 0 to 1 as a percentage with one decimal."""
    return DASH if value is None else _percent(value)


@register.filter
def metric(value, name: str) -> str:
    """A metric's value as the dashboard shows it."""
    if value is None:
        return DASH
    if name in MONEY_METRICS:
        return _money(value)
    if name == "win_rate":
        return _percent(value)
    if name == "cycle_days":
        return f"{value:.1f} d"
    return f"{value:,}"


@register.filter
def metric_change(value, name: str) -> str:
    """A change of a metric, signed: money, percentage points, days or a count."""
    if value is None:
        return DASH
    sign = "+" if value > 0 else (MINUS if value < 0 else "±")
    size = abs(value)
    if name in MONEY_METRICS:
        text = _money(size)
    elif name == "win_rate":
        text = f"{size * 100:.1f} pts"
    elif name == "cycle_days":
        text = f"{size:.1f} d"
    else:
        text = f"{size:,}"
    return f"{sign}{text}"


@register.filter
def css_percent(value) -> str:
    """A number for a CSS width in percent, with a dot whatever the locale."""
    return f"{Decimal(value):.2f}"


@register.filter
def percent_of_track(share) -> str:
    """A share from 0 to 1 as a CSS percentage."""
    return f"{Decimal(share) * 100:.2f}"


@register.filter
def cell(row, key: str) -> str:
    """One figure of a breakdown row, formatted for its column."""
    value = row.value(key)
    if key == "attainment":
        return percent(value)
    if key in ActivityType.values:
        return f"{value:,}"
    return metric(value, key)
