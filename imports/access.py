"""Who may import: admins only. Everyone else gets a 404 on every import page, as if there
were none (imports create and change records of every owner)."""

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from crm.http import parse_id
from imports.models import ImportJob


def can_import(user) -> bool:
    """Whether `user` may upload files and see imports: an active admin."""
    return bool(user.is_authenticated and user.is_active and user.is_admin)


def require_importer(user) -> None:
    """404 unless `user` may import."""
    if not can_import(user):
        raise Http404("No such page.")


def import_jobs_visible_to(user) -> QuerySet[ImportJob]:
    """Every import for an admin; none for anyone else."""
    jobs = ImportJob.objects.select_related("uploaded_by")
    return jobs if can_import(user) else jobs.none()


def import_job_for_user(user, job_id) -> ImportJob:
    """The import with this id if `user` may see it; 404 otherwise (also for a malformed id)."""
    pk = parse_id(job_id)
    if pk is None:
        raise Http404("No such import.")
    return get_object_or_404(import_jobs_visible_to(user), pk=pk)
