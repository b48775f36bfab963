"""The dates people may give us, and showing stored instants without overflowing.

A date or time typed into any form lies between FIRST_DAY and LAST_DAY. A period, the one of
the same length before it and their instants in any time zone (UTC-12 to UTC+14) then stay far
inside what `datetime` and the databases hold: year 1 or 9999 would overflow on the way to UTC,
to a user's time zone or to the previous period.
"""

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2200, 12, 31)
DAY_RANGE_MESSAGE = "Choose dates from 1 January 1900 to 31 December 2200."
# Each side one day inside the extremes `datetime` holds: the instant converts to any time zone.
_EARLIEST = datetime.combine(date.min + timedelta(days=1), time.min, tzinfo=UTC)
_LATEST = datetime.combine(date.max - timedelta(days=1), time.max, tzinfo=UTC)


def in_supported_range(*days: date) -> bool:
    """Whether every day lies between FIRST_DAY and LAST_DAY."""
    return all(FIRST_DAY <= day <= LAST_DAY for day in days)


def validate_supported_date(value: date | datetime | None) -> None:
    """Refuse a date or datetime outside FIRST_DAY..LAST_DAY (a form field validator)."""
    if value is None:
        return
    day = value.date() if isinstance(value, datetime) else value
    if not in_supported_range(day):
        raise ValidationError(DAY_RANGE_MESSAGE, code="date_out_of_range")


DATE_FIELDS = (forms.DateField, forms.DateTimeField, forms.SplitDateTimeField)


def bound_dates(field: forms.Field) -> forms.Field:
    """Make `field` refuse dates outside the supported range, when it takes a date."""
    if isinstance(field, DATE_FIELDS) and validate_supported_date not in field.validators:
        field.validators.append(validate_supported_date)
    return field


def displayable(value: datetime) -> datetime:
    """An aware instant that converts to every time zone: a stored year-9999 (or year-1)
    instant, written before forms bounded dates, is moved just inside the extremes."""
    return min(max(value, _EARLIEST), _LATEST)


def safe_localtime(value: datetime, tz: tzinfo | None = None) -> datetime:
    """`timezone.localtime`, for any stored instant (see `displayable`)."""
    return timezone.localtime(displayable(value), tz)
