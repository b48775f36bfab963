"""Reading what a request sends, and answering it, the same way in every app.

User input arrives as text: ids and numbers are parsed here and nowhere else, so a crafted
value (`²`, `1e9`, a 40-digit number, `-0`) is refused the same way on every URL.
"""

import ipaddress
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import trigger_client_event

if TYPE_CHECKING:
    from teams.models import User


# Ids are BIGINT (DEFAULT_AUTO_FIELD); anything larger cannot name a row.
MAX_ID = 2**63 - 1
MAX_INT = 2**63 - 1


def parse_int(value, *, minimum: int = -MAX_INT, maximum: int = MAX_INT) -> int | None:
    """An integer written in ASCII digits (an optional leading minus) within the bounds, or None.

    `int()` alone accepts Unicode digits, underscores and surrounding spaces; these don't.
    """
    if value is None:
        return None
    text = str(value)
    digits = text[1:] if text.startswith("-") else text
    if not digits or len(digits) > 19 or not (digits.isascii() and digits.isdigit()):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def parse_id(value) -> int | None:
    """A database id from user input (1 to MAX_ID, ASCII digits), or None."""
    return parse_int(value, minimum=1, maximum=MAX_ID)


def parse_ids(values) -> tuple[int, ...]:
    """The valid ids among `values` (a list of strings), in order; the others are dropped."""
    return tuple(i for i in map(parse_id, values) if i is not None)


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` URL of the request when it stays on this site, else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path on this site: `redirect()` would take a bare word for a URL name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def toast(response: HttpResponse, message: str, level: str = "success") -> HttpResponse:
    """Ask the page to show `message` as a toast (static/js/app.js listens for "toast")."""
    return trigger_client_event(response, "toast", {"message": message, "level": level})


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address: REMOTE_ADDR, or what our own proxies put in X-Forwarded-For.

    Only the entry appended by the nearest of TRUSTED_PROXY_COUNT proxies is believed; the
    ones before it are whatever the client sent. None when no valid address is found.
    """
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(hops) >= proxies and hops[-proxies]:
            address = hops[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


class AuthenticatedHttpRequest(HttpRequest):
    """The type of a request that reached a view: LoginRequiredMiddleware let only users in."""

    user: "User"
