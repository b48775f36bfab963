"""Reads of webhooks and their delivery logs."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from teams.models import User
from webhooks.access import webhooks_visible_to
from webhooks.models import DeliveryStatus, Webhook, WebhookDelivery

LOG_PAGE = 50


def webhooks_with_counts(user: User) -> QuerySet[Webhook]:
    """The webhooks `user` sees, newest first, with their counts of failing deliveries."""
    return webhooks_visible_to(user).annotate(
        retrying=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED))
    )


@dataclass
class DeliveryLog:
    """One page of a webhook's deliveries, newest first; `older` is the next page's cursor."""

    deliveries: list[WebhookDelivery]
    older: int | None


def delivery_log(webhook: Webhook, *, before: int | None = None) -> DeliveryLog:
    """The deliveries of `webhook` older than id `before` (keyset paging on id, one query)."""
    deliveries = WebhookDelivery.objects.filter(webhook=webhook).select_related("event")
    if before is not None:
        deliveries = deliveries.filter(pk__lt=before)
    page = list(deliveries.order_by("-id").defer("event__payload", "last_response")[: LOG_PAGE + 1])
    older = page[LOG_PAGE - 1].pk if len(page) > LOG_PAGE else None
    return DeliveryLog(deliveries=page[:LOG_PAGE], older=older)
