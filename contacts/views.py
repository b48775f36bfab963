"""Organizations and contacts: lists, detail pages, create and edit in place, typeahead
search and merging. Every view reaches a record through `contacts.access`."""

import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event
from django_htmx.middleware import HtmxDetails

from contacts import queries, services
from contacts.access import (
    contact_for_user,
    organization_for_user,
    organizations_visible_to,
)
from contacts.forms import (
    ContactForm,
    ContactPickForm,
    LookupValue,
    OrganizationForm,
    OrganizationPickForm,
)
from contacts.models import Contact, Organization
from crm.csv_safety import csv_lines
from crm.http import parse_id, safe_next, toast
from customfields.forms import CustomFilterForm, custom_after, custom_update, without_custom
from customfields.models import FieldDefinition
from customfields.queries import parse_filters, requested, user_names_of, with_user_names
from customfields.values import definitions_for, export_cells, export_headers
from notes.queries import subject_history
from notes.subjects import subject_of_object
from notes.views import history_options


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


FIELD_NAME = re.compile(r"^[A-Za-z0-9_-]{1,60}$")

# How a create form is shown, from the element htmx swaps it into.
PAGE, PANEL, QUICK = "page", "panel", "quick"


def _text(value: str | None, limit: int) -> str:
    """Text typed into a box, trimmed to `limit`; NUL characters (which no database column
    may hold) are dropped rather than reaching a query."""
    return (value or "").replace("\x00", "").strip()[:limit]


def _mode(request: HtmxHttpRequest, kind: str) -> str:
    """A whole page (no JavaScript), the panel on the list page, or the quick dialog of the
    deal form (`quick-<kind>`), which answers with the new record for the typeahead."""
    if not request.htmx:
        return PAGE
    if (request.htmx.target or "").startswith(f"quick-{kind}"):
        return QUICK
    return PANEL


def _list_filters(
    request: HtmxHttpRequest, sorts: dict, definitions: list[FieldDefinition]
) -> queries.ListFilters:
    sort = request.GET.get("sort", "name")
    return queries.ListFilters(
        search=_text(request.GET.get("q"), queries.SEARCH_MAX_LENGTH),
        owner_id=parse_id(request.GET.get("owner")),
        sort=sort if sort in sorts else "name",
        organization_id=parse_id(request.GET.get("organization")),
        custom=tuple(parse_filters(request.GET, definitions)),
    )


def _list(request: HtmxHttpRequest, *, kind: str, read, sorts: dict) -> HttpResponse:
    partial = request.htmx and (
        request.GET.get("after") or request.htmx.target == f"{kind}-results"
    )
    # The whole page draws a filter per custom field; a partial reads them only when asked.
    definitions = definitions_for(kind) if not partial or requested(request.GET) else []
    filters = _list_filters(request, sorts, definitions)
    order = sorts[filters.sort]
    after = None
    if request.GET.get("after"):
        try:
            after = queries.decode_cursor(order, request.GET["after"])
        except queries.BadCursor:
            return HttpResponseBadRequest("That page link is not valid; start from the list.")
    page = read(request.user, filters, after=after)
    template = f"contacts/{kind}_list.html"
    context: dict[str, Any] = {"page": page, "sorts": sorts, "kind": kind}
    if request.htmx and after is not None:
        return render(request, f"{template}#more", context)
    if request.htmx and request.htmx.target == f"{kind}-results":
        return render(request, f"{template}#results", context)
    page.owners = queries.list_owners(request.user)
    context["custom_filters"] = CustomFilterForm(
        request.GET, definitions=definitions, people=page.owners
    )
    if kind == "contact" and filters.organization_id:
        context["organization"] = (
            organizations_visible_to(request.user, per_row=True)
            .filter(pk=filters.organization_id)
            .first()
        )
    return render(request, template, context)


EXPORT_COLUMNS = {
    "organization": [
        "id",
        "name",
        "sector",
        "country",
        "employees",
        "year_established",
        "annual_revenue",
        "owner",
        "created_at",
    ],
    "contact": [
        "id",
        "first_name",
        "last_name",
        "organization",
        "job_title",
        "email",
        "phone",
        "owner",
        "created_at",
    ],
}


def _export(request: HtmxHttpRequest, *, kind: str, rows, sorts: dict) -> StreamingHttpResponse:
    """The records of a list (same filters, visible ones only) as CSV, with a column per
    custom field (header: its label). Streamed in a fixed number of queries."""
    definitions = definitions_for(kind)
    filters = _list_filters(request, sorts, definitions)
    records = with_user_names(rows(request.user, filters).order_by("id"), definitions)
    if kind == "contact":
        records = records.select_related("organization")
    columns = EXPORT_COLUMNS[kind]

    def cell(record, column: str):
        value = getattr(record, column)
        if value is None:
            return ""
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return value if isinstance(value, int | Decimal) else str(value)

    def lines():
        yield [*columns, *export_headers(definitions)]
        for record in records.iterator(chunk_size=2000):
            users = user_names_of(record, definitions)
            yield [
                *(cell(record, column) for column in columns),
                *export_cells(record, definitions, users=users),
            ]

    response = StreamingHttpResponse(csv_lines(lines()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}s.csv"'
    return response


def _search(request: HtmxHttpRequest, *, kind: str, suggest) -> HttpResponse:
    field = request.GET.get("field") or "q"
    if not FIELD_NAME.match(field):
        return HttpResponseBadRequest("Unknown field.")
    text = _text(request.GET.get(field), queries.SEARCH_MAX_LENGTH)
    if not request.htmx:
        # Without JavaScript a search lands on the list, which searches the same way.
        list_url = reverse(f"contacts:{kind}-list")
        return redirect(f"{list_url}?{urlencode({'q': text})}" if text else list_url)
    return render(
        request,
        "contacts/lookup_suggestions.html",
        {
            "kind": kind,
            "suggestions": suggest(request, text),
            "text": text,
            "listbox_id": f"id_{field}_suggestions",
            "can_create": request.GET.get("create") == "1",
        },
    )


def _created(request: HtmxHttpRequest, record, *, kind: str, mode: str) -> HttpResponse:
    message = f"Added {kind} “{record}”."
    detail_url = reverse(f"contacts:{kind}-detail", args=[record.pk])
    if mode == QUICK:
        # The deal form's typeahead selects it (static/js/lookup.js); the dialog closes.
        response = HttpResponse("")
        trigger_client_event(
            response, "lookup:created", {"kind": kind, "id": record.pk, "label": str(record)}
        )
        return toast(response, message)
    messages.success(request, message)
    if mode == PANEL:
        return HttpResponseClientRedirect(detail_url)
    return redirect(safe_next(request, detail_url))


def _form_context(form, *, kind: str, mode: str, record=None, duplicates=None) -> dict:
    if record is not None:
        action = reverse(f"contacts:{kind}-edit", args=[record.pk])
    else:
        action = reverse(f"contacts:{kind}-create")
    form_id = {PAGE: f"{kind}-form", PANEL: f"{kind}-create", QUICK: f"quick-{kind}"}[mode]
    if record is not None and mode != PAGE:
        form_id = f"{kind}-fields"
    return {
        "form": form,
        "kind": kind,
        "mode": mode,
        "record": record,
        "action": action,
        "form_id": form_id,
        "duplicates": duplicates or [],
    }


def _render_form(request: HtmxHttpRequest, context: dict) -> HttpResponse:
    template = "contacts/record_form.html"
    if context["mode"] == PAGE:
        return render(request, template, context)
    return render(request, f"{template}#form", context)


# Organizations ---------------------------------------------------------------------------


@require_GET
def organization_list(request):
    return _list(
        request,
        kind="organization",
        read=queries.organization_list,
        sorts=queries.ORGANIZATION_SORTS,
    )


@require_GET
def organization_export(request):
    return _export(
        request,
        kind="organization",
        rows=queries.organization_rows,
        sorts=queries.ORGANIZATION_SORTS,
    )


@require_GET
def organization_search(request):
    return _search(
        request,
        kind="organization",
        suggest=lambda request, text: queries.organization_suggestions(request.user, text),
    )


@require_GET
def organization_detail(request, organization_id: int):
    organization = organization_for_user(request.user, organization_id)
    detail = queries.organization_detail(organization, user=request.user)
    if request.htmx and request.htmx.target == "organization-fields":
        return render(request, "contacts/organization_detail.html#fields", {"detail": detail})
    context = {
        "detail": detail,
        "history_panel": _history_panel(request, "organization", organization),
    }
    return render(request, "contacts/organization_detail.html", context)


@require_http_methods(["GET", "POST"])
def organization_create(request):
    mode = _mode(request, "organization")
    prefix = "new_organization" if mode == QUICK else None
    initial = {"name": _text(request.GET.get("name"), 200)}
    form = OrganizationForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        prefix=prefix,
        initial=initial,
    )
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = without_custom(form.cleaned_data) | {"custom": custom_after(form, {})}
        if not data.pop("allow_duplicate"):
            duplicates = queries.organization_duplicates(name=data["name"], user=request.user)
        if not duplicates:
            organization = services.organization_create(actor=request.user, **data)
            return _created(request, organization, kind="organization", mode=mode)
    return _render_form(
        request, _form_context(form, kind="organization", mode=mode, duplicates=duplicates)
    )


@require_http_methods(["GET", "POST"])
def organization_edit(request, organization_id: int):
    organization = organization_for_user(request.user, organization_id, write=True)
    mode = PANEL if request.htmx else PAGE
    form = OrganizationForm(
        request.POST if request.method == "POST" else None,
        instance=organization,
        user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        changed = without_custom({name: form.cleaned_data[name] for name in form.changed_data})
        changed |= custom_update(form, organization.custom)
        organization = services.organization_update(
            organization=organization, actor=request.user, **changed
        )
        message = f"Saved “{organization.name}”."
        if mode == PANEL:
            detail = queries.organization_detail(organization, user=request.user)
            response = render(
                request, "contacts/organization_detail.html#fields", {"detail": detail}
            )
            return toast(response, message)
        messages.success(request, message)
        return redirect("contacts:organization-detail", organization.pk)
    if request.method == "POST":
        # The instance took the submitted values while the form was checked: show the
        # record as it is stored, beside the form with what was typed.
        organization.refresh_from_db()
    return _render_form(
        request, _form_context(form, kind="organization", mode=mode, record=organization)
    )


@require_http_methods(["GET", "POST"])
def organization_merge(request, organization_id: int):
    keep = organization_for_user(request.user, organization_id, write=True)
    return _merge(
        request,
        keep=keep,
        kind="organization",
        pick_form=OrganizationPickForm,
        load=organization_for_user,
        merge=services.organization_merge,
    )


# Contacts --------------------------------------------------------------------------------


@require_GET
def contact_list(request):
    return _list(request, kind="contact", read=queries.contact_list, sorts=queries.CONTACT_SORTS)


@require_GET
def contact_export(request):
    return _export(request, kind="contact", rows=queries.contact_rows, sorts=queries.CONTACT_SORTS)


@require_GET
def contact_search(request):
    return _search(
        request,
        kind="contact",
        suggest=lambda request, text: queries.contact_suggestions(
            request.user, text, organization_id=parse_id(request.GET.get("organization_id"))
        ),
    )


@require_GET
def contact_detail(request, contact_id: int):
    contact = contact_for_user(request.user, contact_id)
    detail = queries.contact_detail(contact, user=request.user)
    if request.htmx and request.htmx.target == "contact-fields":
        return render(request, "contacts/contact_detail.html#fields", {"detail": detail})
    context = {"detail": detail, "history_panel": _history_panel(request, "contact", contact)}
    return render(request, "contacts/contact_detail.html", context)


def _history_panel(request, kind: str, record: Organization | Contact):
    """The record page's notes and files (the notes app draws and serves them)."""
    subject = subject_of_object(request.user, kind, record)
    return subject_history(subject, user=request.user, **history_options(request))


def _contact_initial(request: HtmxHttpRequest) -> dict[str, Any]:
    """What the deal form's quick dialog knows already: its organization and what was typed."""
    initial: dict[str, Any] = {}
    organization_id = parse_id(request.GET.get("organization_id"))
    if organization_id is not None:
        initial["organization"] = LookupValue(
            text=_text(request.GET.get("organization"), 200), id=organization_id
        )
    typed = _text(request.GET.get("name"), 200)
    if "@" in typed:
        initial["email"] = typed
    elif typed:
        first, _, last = typed.partition(" ")
        initial.update(first_name=first, last_name=last.strip())
    return initial


@require_http_methods(["GET", "POST"])
def contact_create(request):
    mode = _mode(request, "contact")
    prefix = "new_contact" if mode == QUICK else None
    initial = _contact_initial(request)
    if "organization" not in initial and (organization_id := request.GET.get("organization")):
        # "Add contact" on an organization's page.
        organization = (
            organizations_visible_to(request.user, per_row=True)
            .filter(pk=parse_id(organization_id) or 0)
            .first()
        )
        if organization is not None:
            initial["organization"] = organization
    form = ContactForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        prefix=prefix,
        initial=initial,
    )
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = without_custom(form.cleaned_data) | {"custom": custom_after(form, {})}
        if not data.pop("allow_duplicate"):
            duplicates = queries.contact_duplicates(email=data["email"], user=request.user)
        if not duplicates:
            contact = services.contact_create(actor=request.user, **data)
            return _created(request, contact, kind="contact", mode=mode)
    return _render_form(
        request, _form_context(form, kind="contact", mode=mode, duplicates=duplicates)
    )


@require_http_methods(["GET", "POST"])
def contact_edit(request, contact_id: int):
    contact = contact_for_user(request.user, contact_id, write=True)
    mode = PANEL if request.htmx else PAGE
    form = ContactForm(
        request.POST if request.method == "POST" else None, instance=contact, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        changed = without_custom({name: form.cleaned_data[name] for name in form.changed_data})
        changed |= custom_update(form, contact.custom)
        contact = services.contact_update(contact=contact, actor=request.user, **changed)
        message = f"Saved “{contact}”."
        if mode == PANEL:
            detail = queries.contact_detail(contact, user=request.user)
            response = render(request, "contacts/contact_detail.html#fields", {"detail": detail})
            return toast(response, message)
        messages.success(request, message)
        return redirect("contacts:contact-detail", contact.pk)
    if request.method == "POST":
        contact.refresh_from_db()
    return _render_form(request, _form_context(form, kind="contact", mode=mode, record=contact))


@require_http_methods(["GET", "POST"])
def contact_merge(request, contact_id: int):
    keep = contact_for_user(request.user, contact_id, write=True)
    return _merge(
        request,
        keep=keep,
        kind="contact",
        pick_form=ContactPickForm,
        load=contact_for_user,
        merge=services.contact_merge,
    )


# Merging ---------------------------------------------------------------------------------


def _merge(request: HtmxHttpRequest, *, keep, kind: str, pick_form, load, merge) -> HttpResponse:
    """Pick the duplicate (GET ?other=), confirm side by side, then merge (POST remove=ID).

    Both records must be ones the user may change; the one whose page this is stays.
    """
    template = "contacts/merge.html"
    if request.method == "POST":
        remove_id = parse_id(request.POST.get("remove"))
        if remove_id is None:
            return HttpResponseBadRequest("Say which record to merge into this one.")
        remove = load(request.user, remove_id, write=True)
        try:
            record = merge(keep=keep, remove=remove, actor=request.user)
        except services.MergeRefused as refusal:
            messages.error(request, str(refusal))
            return redirect(f"contacts:{kind}-merge", keep.pk)
        messages.success(request, f"Merged “{record.removed_label}” into “{keep}”.")
        return redirect(f"contacts:{kind}-detail", keep.pk)

    form = pick_form(request.GET if "other" in request.GET else None, user=request.user)
    other = None
    if form.is_bound and form.is_valid():
        other = form.cleaned_data["other"]
        if other.pk == keep.pk:
            form.add_error("other", "That is this record; pick its duplicate.")
            other = None
        else:
            try:
                other = load(request.user, other.pk, write=True)
            except PermissionDenied:
                form.add_error("other", f"You may see “{other}” but not change it.")
                other = None
    context = {"keep": keep, "other": other, "form": form, "kind": kind}
    if other is not None:
        context["comparison"] = queries.merge_comparison(keep, other)
    return render(request, template, context)
