"""The dashboard's metrics: their definitions, and how they are computed and rounded.

SQL sums additive parts per group (`Totals`); every ratio is then computed here, exactly,
with `Fraction`, and rounded once, half up:

- money (open, weighted, won value, average deal size, velocity): to the cent;
- win rate: a fraction from 0 to 1, to four decimals (0.1 of a percentage point);
- sales-cycle length: days of 24 hours, to one decimal.

Weighted value and velocity are rounded from the exact sums, so a group's figure is never a
sum of rounded figures. A metric whose denominator is zero is `None` ("—" on the page, `null`
in JSON).
"""

from dataclasses import dataclass, fields
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

MONEY_PLACES = 2
RATIO_PLACES = 4
DAYS_PLACES = 1
ZERO = Decimal("0.00")
DAY = timedelta(days=1)

# Shown as help text on the dashboard (and in the README); keys are the metric names.
DEFINITIONS: dict[str, tuple[str, str]] = {
    "open_deals": ("Deals in pipeline", "Deals open now."),
    "open_value": ("Pipeline value", "Total value of the deals open now."),
    "weighted_value": (
        "Weighted pipeline",
        "Value of each open deal times its stage's win probability, summed.",
    ),
    "won_count": ("Deals won", "Deals won with a close date inside the period."),
    "lost_count": ("Deals lost", "Deals lost with a close date inside the period."),
    "won_value": ("Won value", "Total value of the deals won in the period."),
    "avg_deal_size": ("Average deal size", "Won value / deals won."),
    "win_rate": ("Close ratio", "Deals won / (deals won + deals lost), in the period."),
    "cycle_days": (
        "Sales-cycle length",
        "Mean days from a deal's creation to its win, over the deals won in the period.",
    ),
    "velocity": (
        "Sales velocity",
        "Deals in pipeline x average deal size x close ratio / sales-cycle length: "
        "the revenue to expect per day.",
    ),
}
METRIC_NAMES = list(DEFINITIONS)
MONEY_METRICS = {"open_value", "weighted_value", "won_value", "avg_deal_size", "velocity"}
# For these, a fall is good news.
LOWER_IS_BETTER = {"lost_count", "cycle_days"}


def round_half_up(value: Fraction, places: int) -> Decimal:
    """`value` rounded to `places` decimals, halves away from zero, computed exactly."""
    scaled = abs(value) * 10**places
    whole, remainder = divmod(scaled.numerator, scaled.denominator)
    if 2 * remainder >= scaled.denominator:
        whole += 1
    sign = "-" if value < 0 and whole else ""
    return Decimal(f"{sign}{whole}").scaleb(-places).quantize(Decimal(1).scaleb(-places))


def cents(value: Decimal | None) -> Decimal:
    """A money sum read from the database, to the cent (0 for an empty sum).

    SQLite returns sums of decimals as floats cut to 15 digits; quantizing restores the
    exact cents of a sum of two-decimal values. PostgreSQL's numeric is exact already.
    """
    return ZERO if value is None else value.quantize(ZERO)


def microseconds(duration: timedelta) -> int:
    return duration // timedelta(microseconds=1)


@dataclass(frozen=True)
class Totals:
    """The additive parts a group's metrics are computed from; groups add up exactly."""

    open_deals: int = 0
    open_value: Decimal = ZERO
    # Sum of value times win probability in percent: 100 times the weighted value, exact.
    open_value_x_probability: Decimal = ZERO
    won_count: int = 0
    won_value: Decimal = ZERO
    # Sum over the won deals of the time from creation to win.
    won_duration: timedelta = timedelta(0)
    lost_count: int = 0

    def __add__(self, other: "Totals") -> "Totals":
        return Totals(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def is_empty(self) -> bool:
        return self == Totals()

    def metrics(self) -> "Metrics":
        return Metrics.from_totals(self)


@dataclass(frozen=True)
class Metrics:
    open_deals: int
    open_value: Decimal
    weighted_value: Decimal
    won_count: int
    lost_count: int
    won_value: Decimal
    avg_deal_size: Decimal | None
    win_rate: Decimal | None
    cycle_days: Decimal | None
    velocity: Decimal | None

    @classmethod
    def from_totals(cls, totals: Totals) -> "Metrics":
        avg_deal_size = win_rate = cycle_days = velocity = None
        won, closed = totals.won_count, totals.won_count + totals.lost_count
        exact_avg = exact_rate = exact_cycle = None
        if won:
            exact_avg = Fraction(totals.won_value) / won
            avg_deal_size = round_half_up(exact_avg, MONEY_PLACES)
            exact_cycle = Fraction(microseconds(totals.won_duration), microseconds(DAY) * won)
            cycle_days = round_half_up(exact_cycle, DAYS_PLACES)
        if closed:
            exact_rate = Fraction(won, closed)
            win_rate = round_half_up(exact_rate, RATIO_PLACES)
        if exact_avg is not None and exact_rate is not None and exact_cycle:
            velocity = round_half_up(
                totals.open_deals * exact_avg * exact_rate / exact_cycle, MONEY_PLACES
            )
        return cls(
            open_deals=totals.open_deals,
            open_value=totals.open_value.quantize(ZERO),
            weighted_value=round_half_up(
                Fraction(totals.open_value_x_probability) / 100, MONEY_PLACES
            ),
            won_count=won,
            lost_count=totals.lost_count,
            won_value=totals.won_value.quantize(ZERO),
            avg_deal_size=avg_deal_size,
            win_rate=win_rate,
            cycle_days=cycle_days,
            velocity=velocity,
        )

    def value(self, name: str) -> int | Decimal | None:
        return getattr(self, name)


def change(current: int | Decimal | None, previous: int | Decimal | None):
    """Current minus previous, or None when either is undefined."""
    if current is None or previous is None:
        return None
    return current - previous


def ratio(numerator: Decimal, denominator: Decimal | None) -> Decimal | None:
    """numerator ÷ denominator to four decimals, or None when the denominator is 0 or unknown."""
    if not denominator:
        return None
    return round_half_up(Fraction(numerator) / Fraction(denominator), RATIO_PLACES)
