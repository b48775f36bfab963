"""What every endpoint shares: who is asking, the error responses, list parameters."""

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Query, Schema

from api.access import require_write
from api.models import ApiToken
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from api.schemas import ErrorOut, Text, UtcDatetime
from teams.models import User

# Every operation documents the JSON errors it may answer with: 400 (a refused change, a bad
# cursor or body), 401, 403, 404, 409 (stale version), 422 (invalid fields), 429.
ERROR_CODES = frozenset({400, 401, 403, 404, 409, 422, 429})
ERRORS = {ERROR_CODES: ErrorOut}


def reader(request: HttpRequest) -> User:
    """The user behind the request's token."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    return token.user


def writer(request: HttpRequest) -> User:
    """The user behind the request's token, which must be read-write (403 otherwise)."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    require_write(token)
    return token.user


class PageParams(Schema):
    cursor: Text | None = Field(None, max_length=200, description="From `next_cursor`.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    updated_since: UtcDatetime | None = Field(
        None, description="Only rows changed at or after this time (ISO 8601)."
    )


Paging = Annotated[PageParams, Query()]


def since(rows, moment: datetime | None):
    return rows if moment is None else rows.filter(updated_at__gte=moment)
