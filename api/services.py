"""Every write to API tokens: creating, revoking, and noting their use."""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from api.models import ApiToken, TokenScope

TOKEN_PREFIX = "crm_"
# A token in use is stamped at most this often: not one UPDATE per request.
LAST_USED_PRECISION = timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def token_create(*, user, name: str = "", scope: str = TokenScope.READ) -> tuple[ApiToken, str]:
    """A new token for `user`, with the secret to show them once (only its hash is kept)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        scope=scope,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        key_hash=token_hash(raw),
    )
    return token, raw


def token_revoke(*, token: ApiToken, actor) -> bool:
    """Revoke a token for good; False if it already was."""
    now = timezone.now()
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    token.revoked_at = token.revoked_at or now
    return bool(revoked)


def token_mark_used(*, token: ApiToken, now=None) -> None:
    """Remember when the token was last used (to the minute)."""
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
