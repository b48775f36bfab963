"""The REST API (django-ninja): one NinjaAPI under /api/v1/, token auth, JSON errors.

Every request carries `Authorization: Bearer <token>`; there is no session or cookie auth,
so no CSRF either. The token's user is `request.auth.user`: every endpoint reads and writes
through the same access functions and services as the pages.
"""

import pydantic_core
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.renderers import BaseRenderer
from ninja.security import HttpBearer

from api.access import token_for_secret
from api.errors import InvalidInput
from api.models import ApiToken
from api.pagination import BadCursor
from api.ratelimit import RateLimited, check_rate
from api.services import token_mark_used
from pipeline.services import DealChangeRefused, DealConflict


class FastJSONRenderer(BaseRenderer):
    """JSON written by pydantic's core (in Rust) rather than Python's json module: money stays
    an exact string, datetimes ISO 8601, and a page of 200 deals costs well under a ms."""

    media_type = "application/json"

    def render(self, request: HttpRequest, data, *, response_status: int) -> bytes:
        return pydantic_core.to_json(data)


class StrictJSONParser(Parser):
    """JSON bodies read by pydantic's core, which refuses a lone surrogate escape (`"\\ud800"`):
    valid JSON but not text, which no database column or JSON encoder takes (json.loads lets
    it through, to fail as a 500 later). Any parse error is django-ninja's 400."""

    def parse_body(self, request: HttpRequest):
        return pydantic_core.from_json(request.body)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = token_for_secret(token.strip())
        if found is None:
            return None
        # The window is counted per token (its hash, unique, never reused).
        check_rate(found.key_hash[:24])
        token_mark_used(token=found)
        return found


api = NinjaAPI(
    title="CRM API",
    version="1",
    description=(
        "Deals, pipelines, organizations, contacts, activities, notes and reports. "
        "Authenticate with `Authorization: Bearer <token>` (create a token on your profile "
        "page). Lists are paged with `cursor` and `limit`; errors are "
        '`{"detail": ..., "errors": [...]}`.'
    ),
    urls_namespace="api",
    renderer=FastJSONRenderer(),
    parser=StrictJSONParser(),
    auth=BearerToken(),
)


def error_response(request, status: int, detail: str, errors=None, headers=None):
    response = api.create_response(
        request, {"detail": detail, "errors": errors or []}, status=status
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    errors = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ())]
        # ninja prefixes the parameter's source and its schema's name: keep what clients sent.
        if len(location) >= 2 and location[0] == "body" and location[1] == "payload":
            location = location[2:] or ["body"]
        elif len(location) >= 2 and location[0] in {"query", "path"}:
            location = location[1:]
        errors.append({"field": ".".join(location) or "body", "message": error.get("msg", "")})
    return error_response(request, 422, "The request is not valid.", errors)


@api.exception_handler(InvalidInput)
def invalid_input(request, exc: InvalidInput):
    return error_response(request, exc.status, exc.detail, exc.errors)


@api.exception_handler(BadCursor)
def bad_cursor(request, exc: BadCursor):
    return error_response(request, 400, str(exc), [{"field": "cursor", "message": str(exc)}])


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return error_response(
        request,
        401,
        "Authentication required: send `Authorization: Bearer <token>` with a valid token.",
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    return error_response(request, 404, "Not found.")


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return error_response(request, 403, str(exc) or "You may not do that.")


@api.exception_handler(DealConflict)
def conflict(request, exc):
    return error_response(
        request, 409, "Someone else changed this deal since you read it; read it again."
    )


@api.exception_handler(DealChangeRefused)
def refused(request, exc):
    return error_response(request, 400, str(exc))


@api.exception_handler(RateLimited)
def rate_limited(request, exc: RateLimited):
    return error_response(
        request,
        429,
        f"Too many requests: at most {settings.API_RATE_LIMIT} a minute per token.",
        headers={"Retry-After": str(exc.retry_after)},
    )


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return error_response(request, exc.status_code, str(exc))


def register_endpoints() -> None:
    from api.endpoints import activities, deals, notes, pipelines, records, reports

    api.add_router("/deals", deals.router, tags=["deals"])
    api.add_router("/pipelines", pipelines.router, tags=["pipelines"])
    api.add_router("/organizations", records.organizations, tags=["organizations"])
    api.add_router("/contacts", records.contacts, tags=["contacts"])
    api.add_router("/activities", activities.router, tags=["activities"])
    api.add_router("/deals", activities.deal_activities, tags=["activities"])
    api.add_router("/", notes.router, tags=["notes"])
    api.add_router("/reports", reports.router, tags=["reports"])


register_endpoints()
