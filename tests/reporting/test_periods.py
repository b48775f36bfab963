"""Report periods: whole local days, turned into UTC bounds once."""

import zoneinfo
from datetime import UTC, date, datetime
from fractions import Fraction

import pytest

from reporting.periods import Period, Preset, next_months, preset_period

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
UTC_ZONE = zoneinfo.ZoneInfo("UTC")


def test_bounds_are_the_first_instants_of_the_first_day_and_of_the_day_after_the_last():
    april = Period(date(2026, 4, 1), date(2026, 4, 30), BERLIN)
    # Berlin is on summer time (UTC+2) on both dates.
    assert april.start_at == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
    assert april.end_before == datetime(2026, 4, 30, 22, 0, tzinfo=UTC)


def test_bounds_follow_daylight_saving_changes_inside_the_period():
    # March 2026 in Los Angeles starts on standard time (UTC-8), ends on summer time (UTC-7).
    march = Period(date(2026, 3, 1), date(2026, 3, 31), LOS_ANGELES)
    assert march.start_at == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert march.end_before == datetime(2026, 4, 1, 7, 0, tzinfo=UTC)


def test_a_period_cannot_end_before_it_starts():
    with pytest.raises(ValueError, match="before it starts"):
        Period(date(2026, 4, 2), date(2026, 4, 1), UTC_ZONE)


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        (Preset.THIS_MONTH, (date(2026, 5, 1), date(2026, 5, 31))),
        (Preset.LAST_MONTH, (date(2026, 4, 1), date(2026, 4, 30))),
        (Preset.THIS_QUARTER, (date(2026, 4, 1), date(2026, 6, 30))),
        (Preset.LAST_QUARTER, (date(2026, 1, 1), date(2026, 3, 31))),
        (Preset.THIS_YEAR, (date(2026, 1, 1), date(2026, 12, 31))),
        (Preset.LAST_YEAR, (date(2025, 1, 1), date(2025, 12, 31))),
    ],
)
def test_presets_seen_from_a_local_day(preset, expected):
    period = preset_period(preset, today=date(2026, 5, 17), tz=UTC_ZONE)
    assert (period.start, period.end) == expected


def test_last_month_and_last_quarter_in_january_reach_into_the_previous_year():
    today = date(2026, 1, 10)
    assert preset_period(Preset.LAST_MONTH, today=today, tz=UTC_ZONE).start == date(2025, 12, 1)
    assert preset_period(Preset.LAST_QUARTER, today=today, tz=UTC_ZONE).start == date(2025, 10, 1)


@pytest.mark.parametrize(
    ("start", "end", "previous"),
    [
        # Whole months: the same number of calendar months just before.
        ((2026, 4, 1), (2026, 6, 30), ((2026, 1, 1), (2026, 3, 31))),
        ((2026, 3, 1), (2026, 3, 31), ((2026, 2, 1), (2026, 2, 28))),
        ((2026, 1, 1), (2026, 12, 31), ((2025, 1, 1), (2025, 12, 31))),
        # Other periods: as many days just before.
        ((2026, 3, 10), (2026, 3, 19), ((2026, 2, 28), (2026, 3, 9))),
    ],
)
def test_the_previous_period_has_the_same_length(start, end, previous):
    period = Period(date(*start), date(*end), UTC_ZONE)
    assert (period.previous().start, period.previous().end) == (
        date(*previous[0]),
        date(*previous[1]),
    )


def test_labels():
    assert Period(date(2026, 4, 1), date(2026, 6, 30), UTC_ZONE).label == "Q2 2026"
    assert Period(date(2026, 4, 1), date(2026, 4, 30), UTC_ZONE).label == "April 2026"
    assert Period(date(2026, 1, 1), date(2026, 12, 31), UTC_ZONE).label == "2026"
    assert (
        Period(date(2026, 4, 3), date(2026, 4, 9), UTC_ZONE).label
        == "03 Apr 2026 \N{EN DASH} 09 Apr 2026"
    )


def test_elapsed_share_of_the_period():
    june = Period(date(2026, 6, 1), date(2026, 6, 30), UTC_ZONE)
    assert june.elapsed(datetime(2026, 5, 1, tzinfo=UTC)) == 0
    assert june.elapsed(datetime(2026, 6, 16, tzinfo=UTC)) == Fraction(1, 2)
    assert june.elapsed(datetime(2026, 7, 2, tzinfo=UTC)) == 1


def test_chart_bars_are_months_clipped_to_the_period_then_quarters_for_long_periods():
    bars = Period(date(2026, 1, 15), date(2026, 3, 10), UTC_ZONE).chart_buckets()
    assert [(b.start, b.end) for b in bars] == [
        (date(2026, 1, 15), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 10)),
    ]
    three_years = Period(date(2024, 1, 1), date(2026, 12, 31), UTC_ZONE).chart_buckets()
    assert len(three_years) == 12
    assert (three_years[0].start, three_years[0].end) == (date(2024, 1, 1), date(2024, 3, 31))


def test_next_months_start_with_the_current_one():
    months = next_months(date(2026, 11, 27), 3, UTC_ZONE)
    assert [m.label for m in months] == ["November 2026", "December 2026", "January 2027"]
