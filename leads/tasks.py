"""Celery tasks of leads: thin wrappers over one service, safe to run twice."""

from celery import shared_task

from leads import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def rescore_leads() -> int:
    """Rescore every open lead (a rule counts the last 14 days; contacts change elsewhere)."""
    return services.leads_rescore()
