"""Celery tasks: thin wrappers that take ids and call one service.

All of them are safe to run twice or at the same time in two workers: the services claim
their rows with a conditional update or a unique row. `acks_late` with
`reject_on_worker_lost` (also the project defaults) hands a task whose worker died back to
the broker; the database lease covers a message that is lost altogether.
"""

from celery import shared_task

from activities import services

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**RELIABLE)
def dispatch_reminders() -> int:
    return services.reminders_dispatch()


@shared_task(**RELIABLE)
def deliver_reminders(reminder_ids: list[int]) -> int:
    return services.reminders_deliver(reminder_ids=reminder_ids)


@shared_task(**RELIABLE)
def dispatch_digests() -> int:
    return services.digests_dispatch()


@shared_task(**RELIABLE)
def send_digest(digest_id: int) -> bool:
    return services.digest_send(digest_id=digest_id)
