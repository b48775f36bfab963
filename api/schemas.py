"""What the API reads and writes, as pydantic schemas (the OpenAPI document is built from them).

Each resource has one output schema (`DealOut`, ...): the one place that says how it looks
in JSON, so a new field (custom fields, say) is added there once. Ids and texts from
clients go through the same checks as the pages' (`crm.http.parse_id`): no `²`, no 40-digit
numbers, no NUL characters; datetimes must be representable in UTC.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.utils import timezone
from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
)

from api.custom import custom_out
from crm.http import MAX_ID, parse_id


def _strict_id(value):
    if isinstance(value, bool) or parse_id(value) is None:
        raise ValueError(f"Not an id: a whole number from 1 to {MAX_ID}, in ASCII digits.")
    return parse_id(value)


def _no_nul(value):
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("Null characters are not allowed.")
    return value


def _utc(value: datetime) -> datetime:
    """A client's datetime in UTC (a naive one is read as UTC); refused when UTC can't hold it."""
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("That date and time is out of range.") from error


Id = Annotated[int, BeforeValidator(_strict_id), Field(ge=1, le=MAX_ID)]
Text = Annotated[str, BeforeValidator(_no_nul)]


def text(max_length: int, *, min_length: int = 0):
    return Annotated[
        str,
        BeforeValidator(_no_nul),
        StringConstraints(max_length=max_length, min_length=min_length),
    ]


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
# Money out: an exact string with two decimals ("1250.00"), never a float.
Money = Annotated[
    Decimal,
    PlainSerializer(lambda value: f"{value:.2f}", return_type=str, when_used="always"),
    Field(description="Exact amount with two decimals, as a string."),
]


def custom_values(kind: str):
    """The `custom` field of an output schema: the row's stored values as the API shows
    them (`api.custom.custom_out`), with the definitions read once per request."""

    def shown(stored: Any, info: ValidationInfo) -> dict[str, Any]:
        return custom_out(kind, stored, (info.context or {}).get("request"))

    return Annotated[
        dict[str, str | int | list[str] | None],
        BeforeValidator(shown),
        Field(
            description=(
                "Custom fields (defined by admins) by key: every active field, null when "
                "empty. Text, single choice: a string; number and money: an exact decimal "
                'as a string ("12.5", "1999.99"); date: "YYYY-MM-DD"; multiple choice: a '
                "list of strings; user: the user's id. Archived fields are left out."
            ),
            examples=[{"tier": "Gold", "budget": "1999.99", "renewal": "2027-03-31"}],
        ),
    ]


# Custom values sent on create and update.
CustomIn = Annotated[
    dict[str, Any] | None,
    Field(
        description=(
            "Custom field values by key. Text, choice: a string; number, money: a number or "
            'a decimal string ("1999.99"); date: "YYYY-MM-DD"; multiple choice: a list of '
            "strings; user: the id of someone you can see; null clears a field. On create, "
            "required fields must have a value; on update only the keys sent change."
        ),
        examples=[{"tier": "Gold", "budget": "1999.99", "regions": ["EU", "US"]}],
    ),
]


class Out(BaseModel):
    """An output read from a model's attributes by pydantic itself: lists of these are
    validated in pydantic's core, several times faster than django-ninja's `Schema` (which
    resolves every attribute in Python). Use `Schema` when a field needs a resolver or a
    related manager."""

    model_config = ConfigDict(from_attributes=True)


class ErrorItem(Schema):
    field: str = Field(description="Where the error is: a field name, or `body`/`query`.")
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem] = []


# Deals ------------------------------------------------------------------------------------


class DealOut(Out):
    id: int
    title: str
    status: str = Field(description="open, won or lost")
    value: Money
    currency: str
    pipeline_id: int
    stage_id: int
    position: int = Field(description="Order of the card within its board column.")
    owner_id: int
    team_id: int | None
    territory_id: int | None
    organization_id: int | None
    contact_id: int | None
    product_id: int | None
    expected_close_date: date | None
    lost_reason_id: int | None
    lost_reason_text: str
    created_at: datetime
    updated_at: datetime
    stage_entered_at: datetime
    closed_at: datetime | None
    version: int = Field(description="Pass it back on updates and moves (409 when stale).")
    custom: custom_values("deal")  # type: ignore[valid-type]


class DealPage(Out):
    results: list[DealOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class DealCreateIn(Schema):
    title: text(200, min_length=1)  # type: ignore[valid-type]
    stage_id: Id
    value: Decimal | None = Field(
        None, description="Empty: the product's list price.", max_digits=14, decimal_places=2
    )
    currency: text(3) | None = None  # type: ignore[valid-type]
    owner_id: Id | None = Field(
        None, description="Default: you. Reps may only own deals themselves."
    )
    organization_id: Id | None = None
    contact_id: Id | None = None
    product_id: Id | None = None
    expected_close_date: date | None = None
    custom: CustomIn = None


class DealUpdateIn(Schema):
    version: int = Field(ge=1, le=2**31 - 1, description="The version you read.")
    title: text(200, min_length=1) | None = None  # type: ignore[valid-type]
    value: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    currency: text(3) | None = None  # type: ignore[valid-type]
    owner_id: Id | None = None
    organization_id: Id | None = None
    contact_id: Id | None = None
    product_id: Id | None = None
    expected_close_date: date | None = None
    custom: CustomIn = None


class DealMoveIn(Schema):
    stage_id: Id
    after_id: Id | None = Field(None, description="The card to land after; empty: on top.")
    version: int = Field(ge=1, le=2**31 - 1, description="The version you read.")


class DealVersionIn(Schema):
    version: int = Field(ge=1, le=2**31 - 1, description="The version you read.")


class DealLostIn(DealVersionIn):
    lost_reason_id: Id | None = Field(
        None, description="One of the offered lost reasons; empty: another reason, said in text."
    )
    lost_reason_text: text(200) = ""  # type: ignore[valid-type]


# Pipelines --------------------------------------------------------------------------------


class StageOut(Schema):
    id: int
    name: str
    order: int
    win_probability: int
    rotting_days: int | None


class PipelineOut(Schema):
    id: int
    name: str
    stages: list[StageOut]


# Organizations and contacts ---------------------------------------------------------------


class OrganizationOut(Out):
    id: int
    name: str
    sector: str
    country: str
    employees: int | None
    year_established: int | None
    annual_revenue: Money | None
    parent_id: int | None
    owner_id: int | None
    created_at: datetime
    updated_at: datetime
    custom: custom_values("organization")  # type: ignore[valid-type]


class OrganizationPage(Out):
    results: list[OrganizationOut]
    next_cursor: str | None


class OrganizationIn(Schema):
    name: text(200, min_length=1) | None = None  # type: ignore[valid-type]
    sector: text(100) | None = None  # type: ignore[valid-type]
    country: text(100) | None = None  # type: ignore[valid-type]
    employees: int | None = Field(None, ge=0, le=2**31 - 1)
    year_established: int | None = Field(None, ge=0, le=32767)
    annual_revenue: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    parent_id: Id | None = None
    owner_id: Id | None = Field(None, description="Admins only.")
    custom: CustomIn = None


class ContactOut(Out):
    id: int
    first_name: str
    last_name: str
    organization_id: int
    job_title: str
    email: str
    phone: str
    owner_id: int | None
    created_at: datetime
    updated_at: datetime
    custom: custom_values("contact")  # type: ignore[valid-type]


class ContactPage(Out):
    results: list[ContactOut]
    next_cursor: str | None


class ContactIn(Schema):
    first_name: text(100, min_length=1) | None = None  # type: ignore[valid-type]
    last_name: text(100, min_length=1) | None = None  # type: ignore[valid-type]
    organization_id: Id | None = None
    job_title: text(100) | None = None  # type: ignore[valid-type]
    email: text(254) | None = None  # type: ignore[valid-type]
    phone: text(40) | None = None  # type: ignore[valid-type]
    owner_id: Id | None = Field(None, description="Admins only.")
    custom: CustomIn = None


# Activities and notes ---------------------------------------------------------------------


class ActivityOut(Schema):
    id: int
    type: str
    subject: str
    note: str
    deal_id: int | None
    lead_id: int | None
    assignee_id: int
    due_date: date
    due_at: datetime | None
    duration_minutes: int | None
    reminder_offset: int | None
    done: bool
    done_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_duration_minutes(activity) -> int | None:
        return int(activity.duration.total_seconds() // 60) if activity.duration else None


class ActivityPage(Schema):
    results: list[ActivityOut]
    next_cursor: str | None


class ActivityIn(Schema):
    type: text(10) = "call"  # type: ignore[valid-type]
    subject: text(200, min_length=1)  # type: ignore[valid-type]
    due_date: date
    due_time: text(8) | None = Field(  # type: ignore[valid-type]
        None, description="HH:MM in your time zone; empty: all day."
    )
    duration_minutes: int | None = Field(None, ge=1, le=100000)
    assignee_id: Id | None = Field(None, description="Default: the deal's owner.")
    reminder_offset: int | None = Field(None, ge=0, le=100000)
    note: text(5000) = ""  # type: ignore[valid-type]


class NoteOut(Out):
    id: int
    body: str
    author_id: int | None
    deal_id: int | None
    organization_id: int | None
    contact_id: int | None
    created_at: datetime
    edited_at: datetime | None


class NotePage(Out):
    results: list[NoteOut]
    next_cursor: str | None


class NoteIn(Schema):
    body: text(20000, min_length=1)  # type: ignore[valid-type]


# Reports ----------------------------------------------------------------------------------


class BreakdownRowOut(Schema):
    group: str = Field(description="A rep's username, a team's or territory's name, or total.")
    open_deals: int
    open_value: str
    weighted_value: str
    won_count: int
    lost_count: int
    won_value: str
    avg_deal_size: str | None
    win_rate: float | None
    cycle_days: float | None
    velocity: str | None
    quota: str | None
    quota_coverage: str | None
    attainment: float | None


class BreakdownOut(Schema):
    start: date
    end: date
    by: str
    currency: str
    rows: list[BreakdownRowOut]
