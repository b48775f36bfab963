"""Celery tasks for webhooks: thin wrappers that take ids and call one service.

Both are safe to run twice or in two workers at once: the dispatcher claims rows with
`SKIP LOCKED`, and a delivery is claimed with a conditional update and a lease token.
"""

from celery import shared_task

from webhooks import services

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**RELIABLE)
def dispatch_webhooks() -> int:
    return services.webhooks_dispatch()


@shared_task(**RELIABLE)
def deliver_webhook(delivery_id: int) -> str | None:
    return services.delivery_attempt(delivery_id=delivery_id)
