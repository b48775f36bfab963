"""Who holds an API request: the token in its Authorization header, and what it may do."""

import re

from django.core.exceptions import PermissionDenied
from django.http import Http404

from api.models import ApiToken
from api.services import token_hash

# "crm_" and 43 URL-safe base64 characters; anything else is not one of our tokens.
TOKEN_PATTERN = re.compile(r"crm_[A-Za-z0-9_-]{20,100}")


def token_for_secret(raw: str) -> ApiToken | None:
    """The active token of an active user with this secret, or None."""
    if not TOKEN_PATTERN.fullmatch(raw):
        return None
    token = (
        ApiToken.objects.select_related("user__team")
        .filter(key_hash=token_hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    return token


def require_write(token: ApiToken) -> None:
    """403 for a read-only token on a request that changes something."""
    if not token.can_write:
        raise PermissionDenied("This token is read-only; create a read-write token to change data.")


def token_for_owner(user, token_id) -> ApiToken:
    """One of `user`'s own tokens (404 for anyone else's)."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise Http404("No such token.")
    return token
