"""The metric arithmetic: exact, rounded once, half up; no value without a denominator."""

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from reporting.metrics import Metrics, Totals, round_half_up


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (Fraction(1, 200), 2, "0.01"),  # 0.005: halves go up
        (Fraction(1, 300), 2, "0.00"),
        (Fraction(-1, 200), 2, "-0.01"),  # and away from zero
        (Fraction(2, 3), 4, "0.6667"),
        (Fraction(56125, 1000), 1, "56.1"),
        (Fraction(0), 2, "0.00"),
    ],
)
def test_round_half_up(value, places, expected):
    assert round_half_up(value, places) == Decimal(expected)
    assert str(round_half_up(value, places)) == expected


def test_nothing_at_all_gives_zeros_and_no_ratios():
    metrics = Totals().metrics()
    assert (metrics.open_deals, metrics.open_value, metrics.weighted_value) == (
        0,
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert (metrics.won_count, metrics.lost_count, metrics.won_value) == (0, 0, Decimal("0.00"))
    assert metrics.avg_deal_size is None
    assert metrics.win_rate is None
    assert metrics.cycle_days is None
    assert metrics.velocity is None


def test_all_lost_gives_a_zero_close_ratio_but_no_average_cycle_or_velocity():
    metrics = Totals(open_deals=4, lost_count=3).metrics()
    assert metrics.win_rate == Decimal("0.0000")
    assert metrics.avg_deal_size is None
    assert metrics.cycle_days is None
    assert metrics.velocity is None


def test_every_metric_from_its_parts():
    # Two won deals worth 4,200.00 that took 10.5 and 101.75 days, one lost; two open deals.
    totals = Totals(
        open_deals=2,
        open_value=Decimal("3500.50"),
        open_value_x_probability=Decimal("250040.00"),  # 1000.00 x 50 + 2500.50 x 80
        won_count=2,
        won_value=Decimal("4200.00"),
        won_duration=timedelta(days=10.5) + timedelta(days=101.75),
        lost_count=1,
    )
    assert totals.metrics() == Metrics(
        open_deals=2,
        open_value=Decimal("3500.50"),
        weighted_value=Decimal("2500.40"),
        won_count=2,
        lost_count=1,
        won_value=Decimal("4200.00"),
        avg_deal_size=Decimal("2100.00"),
        win_rate=Decimal("0.6667"),  # 2 / 3
        cycle_days=Decimal("56.1"),  # 112.25 / 2 = 56.125
        # 2 x 2,100.00 x 2/3 / 56.125 days = 49.888...: computed from the exact ratios,
        # not from the rounded 0.6667 and 56.1 (which would give 49.92).
        velocity=Decimal("49.89"),
    )


def test_a_cycle_of_zero_days_leaves_velocity_undefined():
    metrics = Totals(open_deals=1, won_count=1, won_value=Decimal("10.00")).metrics()
    assert metrics.cycle_days == Decimal("0.0")
    assert metrics.velocity is None


def test_totals_add_up_exactly():
    one = Totals(open_deals=1, open_value=Decimal("0.10"), won_duration=timedelta(hours=1))
    two = Totals(open_deals=2, open_value=Decimal("0.20"), won_duration=timedelta(hours=2))
    assert one + two == Totals(
        open_deals=3, open_value=Decimal("0.30"), won_duration=timedelta(hours=3)
    )
