"""How a lead is scored: explicit rules, each worth a number of points, added up.

A score says how promising a lead is, so that reps work the best ones first. Each rule gives
points and says why, so the lead page can show the breakdown ("why this score").

- source: the source's weight, set by an admin (-30 to 30);
- company size, from the organization's employees: unknown 0, 1-49: 5, 50-249: 10,
  250-999: 15, 1,000 and more: 20;
- contact e-mail: the contact has an e-mail address: 10;
- contact phone: the contact has a phone number: 5;
- value estimate: none 0, below 5,000: 5, 5,000-24,999: 10, 25,000-99,999: 15,
  100,000 and more: 20;
- recently worked: an activity on the lead was done in the last 14 days: 10;
- next step planned: the lead has an open activity: 5.

The total is kept between 0 and 100. Value bands are in the lead's own currency (amounts,
not converted). The time-dependent rule ("done in the last 14 days") is why open leads are
also rescored every night.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

SCORE_MIN, SCORE_MAX = 0, 100

# (at least this many employees, points): the highest band reached counts.
COMPANY_SIZE_BANDS = [(1, 5), (50, 10), (250, 15), (1000, 20)]
CONTACT_EMAIL_POINTS = 10
CONTACT_PHONE_POINTS = 5
# (at least this value, points)
VALUE_BANDS = [
    (Decimal("0.01"), 5),
    (Decimal("5000"), 10),
    (Decimal("25000"), 15),
    (Decimal("100000"), 20),
]
RECENT_ACTIVITY_DAYS = 14
RECENT_ACTIVITY_POINTS = 10
NEXT_STEP_POINTS = 5


@dataclass(frozen=True)
class ScoreInputs:
    """Everything the rules look at, read in one query (leads.queries.with_score_inputs)."""

    source_name: str
    source_weight: int
    employees: int | None = None
    contact_email: bool = False
    contact_phone: bool = False
    value: Decimal | None = None
    currency: str = ""
    last_done_at: datetime | None = None
    has_open_activity: bool = False


@dataclass(frozen=True)
class ScoreLine:
    rule: str
    label: str
    points: int

    def as_json(self) -> dict:
        return {"rule": self.rule, "label": self.label, "points": self.points}


@dataclass(frozen=True)
class Score:
    total: int
    lines: list[ScoreLine]

    @property
    def capped(self) -> bool:
        """Whether the lines add up to more (or less) than the total shown."""
        return sum(line.points for line in self.lines) != self.total

    def details(self) -> list[dict]:
        return [line.as_json() for line in self.lines]


def band_points(amount, bands) -> int:
    points = 0
    for threshold, band in bands:
        if amount >= threshold:
            points = band
    return points


def size_label(employees: int) -> str:
    return f"{employees:,} employee{'s' if employees != 1 else ''}"


def score_lead(inputs: ScoreInputs, *, now: datetime) -> Score:
    """The lead's score and, rule by rule, the points behind it."""
    lines = [
        ScoreLine("source", f"Source: {inputs.source_name}", inputs.source_weight),
    ]
    if inputs.employees:
        lines.append(
            ScoreLine(
                "company_size",
                f"Company size: {size_label(inputs.employees)}",
                band_points(inputs.employees, COMPANY_SIZE_BANDS),
            )
        )
    else:
        lines.append(ScoreLine("company_size", "Company size unknown", 0))
    if inputs.contact_email:
        lines.append(ScoreLine("contact_email", "Contact has an e-mail", CONTACT_EMAIL_POINTS))
    if inputs.contact_phone:
        lines.append(ScoreLine("contact_phone", "Contact has a phone", CONTACT_PHONE_POINTS))
    if not (inputs.contact_email or inputs.contact_phone):
        lines.append(ScoreLine("contact", "No contact e-mail or phone", 0))
    if inputs.value is not None and inputs.value > 0:
        lines.append(
            ScoreLine(
                "value",
                f"Value estimate: {inputs.value:,.2f} {inputs.currency}".rstrip(),
                band_points(inputs.value, VALUE_BANDS),
            )
        )
    else:
        lines.append(ScoreLine("value", "No value estimate", 0))
    recent_since = now - timedelta(days=RECENT_ACTIVITY_DAYS)
    if inputs.last_done_at is not None and inputs.last_done_at >= recent_since:
        lines.append(
            ScoreLine(
                "recent_activity",
                f"Activity done in the last {RECENT_ACTIVITY_DAYS} days",
                RECENT_ACTIVITY_POINTS,
            )
        )
    else:
        lines.append(
            ScoreLine("recent_activity", f"No activity in the last {RECENT_ACTIVITY_DAYS} days", 0)
        )
    if inputs.has_open_activity:
        lines.append(ScoreLine("next_step", "Next step planned", NEXT_STEP_POINTS))
    else:
        lines.append(ScoreLine("next_step", "No next step planned", 0))
    total = min(SCORE_MAX, max(SCORE_MIN, sum(line.points for line in lines)))
    return Score(total=total, lines=lines)
