"""Who may see and change webhooks: their owner and admins; everybody else gets a 404.

Every signed-in user may register webhooks. That is safe for reps too: a webhook receives
only what its owner may see (the fan-out asks `Deal.objects.visible_to`), so a rep's webhook
carries their own deals and nothing of another team's. Whoever sees a webhook may change it
(an admin, say, disables one that misbehaves), so there is no read-only case.
"""

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from crm.http import parse_id
from teams.models import User
from webhooks.models import Webhook, WebhookDelivery


def webhooks_visible_to(user: User) -> QuerySet[Webhook]:
    """The webhooks `user` may see and change: their own; an admin's, everyone's."""
    webhooks = Webhook.objects.select_related("owner")
    if not user.is_authenticated or not user.is_active:
        return webhooks.none()
    if user.is_admin:
        return webhooks
    return webhooks.filter(owner=user)


def webhook_for_user(user: User, webhook_id) -> Webhook:
    """The webhook with this id if `user` may see it; 404 otherwise (also for a malformed id)."""
    return get_object_or_404(webhooks_visible_to(user), pk=_id(webhook_id))


def delivery_for_user(user: User, webhook_id, delivery_id) -> WebhookDelivery:
    """One delivery of a webhook `user` may see (404 otherwise, or if it is another's)."""
    webhook = webhook_for_user(user, webhook_id)
    delivery = get_object_or_404(
        WebhookDelivery.objects.select_related("event"), pk=_id(delivery_id), webhook=webhook
    )
    delivery.webhook = webhook
    return delivery


def _id(value) -> int:
    pk = parse_id(value)
    if pk is None:
        raise Http404("No such id.")
    return pk
