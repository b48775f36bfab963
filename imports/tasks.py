"""Celery tasks for imports: thin wrappers that take ids and call one service.

Both are safe to run twice or in two workers at once: a job is claimed with a conditional
update and a lease token (imports.services), so a duplicate message finds nothing to take.
"""

from celery import shared_task
from django.conf import settings

from imports import services

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**RELIABLE)
def process_import(job_id: int) -> str:
    return services.import_job_process(job_id=job_id, time_budget=settings.IMPORT_TASK_SECONDS)


@shared_task(**RELIABLE)
def dispatch_imports() -> int:
    return services.imports_dispatch()
