"""The import pages, for admins only (imports.access: everyone else gets 404).

The job page polls its progress with htmx every second while the job is queued or running;
the answer that finds it finished carries no trigger, so the polling stops there and the
summary and error report take the bar's place. Without JavaScript the page has a refresh
link, and "Show more" of the error report is a plain link.
"""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.csv_safety import safe_writer
from crm.http import parse_id, toast
from imports import services
from imports.access import import_job_for_user, require_importer
from imports.csvfile import FileRefused
from imports.formats import FORMATS
from imports.forms import ImportForm
from imports.models import ImportJob
from imports.queries import BadCursor, ErrorCursor, error_page, error_rows, import_jobs_page

DETAIL = "imports/import_detail.html"


@require_http_methods(["GET", "POST"])
def import_list(request):
    """Past imports, newest first, and the form that uploads a new one."""
    require_importer(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(
                kind=form.cleaned_data["kind"], file=form.cleaned_data["file"], actor=request.user
            )
        except FileRefused as refusal:
            form.add_error("file", str(refusal))
        else:
            messages.success(request, f"“{job.original_name}” is queued for import.")
            return redirect("imports:import-detail", job.pk)
    page = import_jobs_page(request.user, before=parse_id(request.GET.get("before")))
    context = {
        "form": form,
        "page": page,
        "formats": FORMATS.values(),
        "max_bytes": settings.IMPORT_MAX_BYTES,
    }
    if request.htmx and request.GET.get("before"):
        return render(request, "imports/import_list.html#jobs", context)
    status = 400 if request.method == "POST" else 200
    return render(request, "imports/import_list.html", context, status=status)


def _detail_context(job: ImportJob, after: ErrorCursor | None = None) -> dict:
    return {"job": job, "report": error_page(job, after=after)}


@require_GET
def import_detail(request, job_id: int):
    """A job's progress, summary and error report (?after= pages the report)."""
    job = import_job_for_user(request.user, job_id)
    try:
        after = ErrorCursor.parse(request.GET.get("after"))
    except BadCursor:
        return HttpResponseBadRequest("That page link is not valid; open the import again.")
    context = _detail_context(job, after)
    if request.htmx and after is not None:
        return render(request, f"{DETAIL}#error_rows", context)
    return render(request, DETAIL, context)


@require_GET
def import_progress(request, job_id: int):
    """What the job page polls: the bar while the job runs, then the summary and report."""
    job = import_job_for_user(request.user, job_id)
    if not request.htmx:
        return redirect("imports:import-detail", job.pk)
    return render(request, f"{DETAIL}#status", _detail_context(job))


@require_GET
def import_errors_csv(request, job_id: int):
    """The whole error report as CSV (formula-like cells neutralised: crm.csv_safety)."""
    job = import_job_for_user(request.user, job_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    writer = safe_writer(response)
    writer.writerow(["line", "column", "value", "reason"])
    for row in error_rows(job):
        writer.writerow(row)
    return response


@require_POST
def import_resume(request, job_id: int):
    """Go on with a failed import from its first row not imported."""
    job = import_job_for_user(request.user, job_id)
    if services.import_job_resume(job=job, actor=request.user):
        message, level = "Resumed: the import goes on where it stopped.", "success"
    else:
        message, level = "Only a failed import can be resumed.", "info"
    if request.htmx:
        job.refresh_from_db()
        return toast(render(request, f"{DETAIL}#status", _detail_context(job)), message, level)
    getattr(messages, level)(request, message)
    return redirect("imports:import-detail", job.pk)
