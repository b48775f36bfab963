"""Notes and files on a subject's page (a deal's now; organizations and contacts to come).

Every view reaches the subject through its access function (notes.subjects, notes.access).
With htmx the panel (or one note) is swapped in place; without JavaScript every control is
a plain form or link that ends on the subject's page, or on a small page of its own when a
form has errors.
"""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.http import toast
from notes import services
from notes.access import attachment_for_user, note_for_user
from notes.files import UploadRefused
from notes.forms import AttachmentForm, NoteForm
from notes.queries import note_entry, subject_history
from notes.subjects import Subject, subject_for_user
from notes.timeline import Cursor, dom_id

PANEL = "notes/_history.html"
# The download is a file, never a page: nothing in it may run, load or be framed.
DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def history_options(request) -> dict:
    """Which part of the timeline a request asks for: ?show= and ?before= (a page cursor)."""
    return {
        "show": request.GET.get("show", "all"),
        "before": Cursor.parse(request.GET.get("before")),
    }


def render_panel(request, subject: Subject, **forms) -> HttpResponse:
    """The whole notes panel, re-read from the database (what htmx swaps after a change)."""
    panel = subject_history(subject, user=request.user, **forms)
    return render(request, PANEL, {"panel": panel})


def render_note(request, subject: Subject, note_id: int, *, form=None) -> HttpResponse:
    """One note of the panel, as it reads or (with `form`) being edited."""
    entry = note_entry(subject, note_id, user=request.user)
    if entry is None:
        raise Http404("No such note.")
    template = f"{PANEL}#note_edit" if form is not None else f"{PANEL}#entry"
    return render(request, template, {"entry": entry, "form": form, "subject": subject})


def done(request, subject: Subject, message: str, **forms) -> HttpResponse:
    if request.htmx:
        return toast(render_panel(request, subject, **forms), message)
    messages.success(request, message)
    return redirect(subject.history_url)


@require_GET
def history(request, subject_type: str, subject_id: int):
    """The panel narrowed to some kinds, or (?before=) the next page of its entries."""
    subject = subject_for_user(request.user, subject_type, subject_id)
    options = history_options(request)
    if not request.htmx:
        query = {k: v for k, v in request.GET.items() if k in ("show", "before")}
        return redirect(f"{subject.page_url}?{urlencode(query)}#history")
    panel = subject_history(subject, user=request.user, **options)
    if options["before"] is not None:
        return render(request, f"{PANEL}#entries", {"panel": panel})
    return render(request, PANEL, {"panel": panel})


@require_POST
def note_create(request, subject_type: str, subject_id: int):
    subject = subject_for_user(request.user, subject_type, subject_id, write=True)
    form = NoteForm(request.POST)
    if form.is_valid():
        services.note_create(
            subject=subject.obj, body=form.cleaned_data["body"], actor=request.user
        )
        return done(request, subject, "Note added.")
    if request.htmx:
        return render_panel(request, subject, note_form=form)
    return render(
        request,
        "notes/note_form.html",
        {"form": form, "subject": subject, "note": None},
        status=400,
    )


@require_GET
def note_detail(request, note_id: int):
    note, subject = note_for_user(request.user, note_id)
    if not request.htmx:
        return redirect(f"{subject.page_url}#{dom_id('note', note.pk)}")
    return render_note(request, subject, note.pk)


@require_http_methods(["GET", "POST"])
def note_edit(request, note_id: int):
    note, subject = note_for_user(request.user, note_id, edit=True)
    form = NoteForm(request.POST or None, initial={"body": note.body})
    if request.method == "POST" and form.is_valid():
        services.note_update(note=note, body=form.cleaned_data["body"], actor=request.user)
        if request.htmx:
            return toast(render_note(request, subject, note.pk), "Note saved.")
        messages.success(request, "Note saved.")
        return redirect(f"{subject.page_url}#{dom_id('note', note.pk)}")
    if request.htmx:
        return render_note(request, subject, note.pk, form=form)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "notes/note_form.html",
        {"form": form, "subject": subject, "note": note},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def note_delete(request, note_id: int):
    note, subject = note_for_user(request.user, note_id, delete=True)
    if request.method == "GET":
        return render(
            request,
            "notes/confirm_delete.html",
            {"subject": subject, "note": note, "attachment": None},
        )
    services.note_delete(note=note, actor=request.user)
    return removed(request, subject, "Note deleted.")


def removed(request, subject: Subject, message: str) -> HttpResponse:
    if request.htmx:
        # An empty answer: htmx swaps the entry out of the page.
        return toast(HttpResponse(""), message)
    messages.success(request, message)
    return redirect(subject.history_url)


@require_POST
def attachment_upload(request, subject_type: str, subject_id: int):
    subject = subject_for_user(request.user, subject_type, subject_id, write=True)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = services.attachment_upload(
                subject=subject.obj, file=form.cleaned_data["file"], actor=request.user
            )
        except UploadRefused as refusal:
            form.add_error("file", str(refusal))
        else:
            return done(request, subject, f"Attached “{attachment.original_name}”.")
    if request.htmx:
        return render_panel(request, subject, file_form=form)
    return render(
        request, "notes/attachment_form.html", {"form": form, "subject": subject}, status=400
    )


@require_GET
def attachment_download(request, attachment_id: int):
    """The file, streamed, always as a download: never shown or run as a page of this site."""
    attachment, _ = attachment_for_user(request.user, attachment_id)
    content_type = attachment.content_type
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    return response


@require_http_methods(["GET", "POST"])
def attachment_delete(request, attachment_id: int):
    attachment, subject = attachment_for_user(request.user, attachment_id, delete=True)
    if request.method == "GET":
        return render(
            request,
            "notes/confirm_delete.html",
            {"subject": subject, "note": None, "attachment": attachment},
        )
    name = attachment.original_name
    services.attachment_delete(attachment=attachment, actor=request.user)
    return removed(request, subject, f"Deleted “{name}”.")
