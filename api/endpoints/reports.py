"""The dashboard's breakdown table, with the dashboard's filters and scope rules."""

from datetime import date

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from api.endpoints.common import ERRORS, reader
from api.errors import InvalidInput, form_errors
from api.schemas import BreakdownOut, Id
from reporting.exports import command_records
from reporting.forms import ReportFilterForm
from reporting.periods import Preset
from reporting.queries import breakdown

router = Router()


class BreakdownQuery(Schema):
    period: Preset | None = Field(None, description="A preset; `custom` with start and end.")
    start: date | None = None
    end: date | None = None
    pipeline: Id | None = None
    team: Id | None = None
    territory: Id | None = None
    rep: Id | None = None
    by: str | None = Field(None, pattern="^(rep|team|territory)$")
    sort: str | None = Field(None, max_length=40, pattern="^-?[a-z_]{1,39}$")


@router.get("/breakdown", response={200: BreakdownOut, **ERRORS}, summary="Sales breakdown")
def report_breakdown(request, params: Query[BreakdownQuery]):
    """The figures per rep, team or territory for a period, as the dashboard shows them: the
    same deals (those you may see), the same filters (only teams and reps you may see)."""
    user = reader(request)
    query = QueryDict(mutable=True)
    for name, value in params.dict(exclude_none=True).items():
        query[name] = value.isoformat() if isinstance(value, date) else str(value)
    form = ReportFilterForm(query, user=user, now=timezone.now())
    if not form.is_valid():
        raise InvalidInput(form_errors(form))
    data = form.cleaned_data
    table = breakdown(form.scope(), by=data["by"], sort=data["sort"])
    period = data["report_period"]
    return {
        "start": period.start,
        "end": period.end,
        "by": table.by,
        "currency": settings.DEFAULT_CURRENCY,
        "rows": command_records(table),
    }
