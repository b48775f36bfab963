"""Report periods: whole local days in the viewer's time zone, turned into UTC bounds once.

A period runs from the first instant of its start day to the first instant of the day after
its end day, both in the viewer's time zone; queries filter `start_at <= t < end_before`, which
keeps index range scans and avoids converting every row to a local date.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction

from django.db import models

from teams.models import month_bounds, quarter_bounds


class Preset(models.TextChoices):
    THIS_MONTH = "this-month", "This month"
    LAST_MONTH = "last-month", "Last month"
    THIS_QUARTER = "this-quarter", "This quarter"
    LAST_QUARTER = "last-quarter", "Last quarter"
    THIS_YEAR = "this-year", "This year"
    LAST_YEAR = "last-year", "Last year"
    CUSTOM = "custom", "Custom dates"


DEFAULT_PRESET = Preset.THIS_QUARTER
# Charts show one bar per month; longer periods fall back to quarters, then years.
MAX_CHART_BARS = 24


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s month (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def whole_months(start: date, end: date) -> int:
    """How many calendar months start..end spans, or 0 when it is not made of whole months."""
    if start.day != 1 or month_bounds(end)[1] != end:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


@dataclass(frozen=True)
class Period:
    """Local days `start` to `end`, both included, in time zone `tz`."""

    start: date
    end: date
    tz: zoneinfo.ZoneInfo

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a period cannot end ({self.end}) before it starts ({self.start})")

    @property
    def start_at(self) -> datetime:
        """The first instant of the start day, in UTC."""
        return local_midnight(self.start, self.tz)

    @property
    def end_before(self) -> datetime:
        """The first instant after the end day, in UTC (exclusive bound)."""
        return local_midnight(self.end + timedelta(days=1), self.tz)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        months = whole_months(self.start, self.end)
        if months == 1:
            return f"{self.start:%B %Y}"
        if months == 3 and self.start.month % 3 == 1:
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        if months == 12 and self.start.month == 1:
            return str(self.start.year)
        return f"{self.start:%d %b %Y} \N{EN DASH} {self.end:%d %b %Y}"

    @property
    def short_label(self) -> str:
        """A label for a chart axis."""
        months = whole_months(self.start, self.end)
        if months == 1:
            return f"{self.start:%b %Y}"
        return self.label

    def previous(self) -> "Period":
        """The period of the same length just before: the previous month, quarter or year
        when this one is made of whole months, else the same number of days."""
        months = whole_months(self.start, self.end)
        if months:
            start = add_months(self.start, -months)
        else:
            start = self.start - timedelta(days=self.days)
        return Period(start, self.start - timedelta(days=1), self.tz)

    def elapsed(self, now: datetime) -> Fraction:
        """The share of the period that lies before `now`: 0 before it starts, 1 after it ends."""
        if now <= self.start_at:
            return Fraction(0)
        if now >= self.end_before:
            return Fraction(1)
        whole = self.end_before - self.start_at
        return Fraction((now - self.start_at) // timedelta(microseconds=1)) / (
            whole // timedelta(microseconds=1)
        )

    def chart_buckets(self) -> list["Period"]:
        """The months the period overlaps (clipped to it); quarters or years when too many."""
        for step in (1, 3, 12):
            buckets = []
            first = self.start.replace(day=1)
            if step == 3:
                first = quarter_bounds(self.start)[0]
            elif step == 12:
                first = date(self.start.year, 1, 1)
            while first <= self.end:
                after = add_months(first, step)
                buckets.append(
                    Period(
                        max(first, self.start),
                        min(after - timedelta(days=1), self.end),
                        self.tz,
                    )
                )
                first = after
            if len(buckets) <= MAX_CHART_BARS:
                return buckets
        return buckets


def local_midnight(day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    """The first instant of `day` in `tz`, in UTC.

    Where a time-zone change skips midnight, zoneinfo gives the pre-change offset, which is
    the first instant that exists on that day.
    """
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def local_today(now: datetime, tz: zoneinfo.ZoneInfo) -> date:
    return now.astimezone(tz).date()


def preset_period(preset: str, *, today: date, tz: zoneinfo.ZoneInfo) -> Period:
    """The period a preset names, seen from the local day `today`."""
    match preset:
        case Preset.THIS_MONTH:
            bounds = month_bounds(today)
        case Preset.LAST_MONTH:
            bounds = month_bounds(add_months(today, -1))
        case Preset.THIS_QUARTER:
            bounds = quarter_bounds(today)
        case Preset.LAST_QUARTER:
            bounds = quarter_bounds(add_months(quarter_bounds(today)[0], -3))
        case Preset.THIS_YEAR:
            bounds = date(today.year, 1, 1), date(today.year, 12, 31)
        case Preset.LAST_YEAR:
            bounds = date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
        case _:
            raise ValueError(f"{preset!r} is not a period preset")
    return Period(*bounds, tz)


def next_months(today: date, count: int, tz: zoneinfo.ZoneInfo) -> list[Period]:
    """The month of `today` and the `count - 1` months after it, as whole-month periods."""
    return [Period(*month_bounds(add_months(today, n)), tz) for n in range(count)]
