from django.db.models import QuerySet

from api.models import ApiToken


def tokens_of(user) -> QuerySet[ApiToken]:
    """The tokens `user` may still use, newest first (revoked ones are gone for good)."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by(
        "-created_at", "-id"
    )
