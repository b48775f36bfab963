"""Organizations and contacts: list, one, create, update, through contacts.access."""

from typing import Annotated

from ninja import Field, Query, Router, Schema, Status

from api.custom import (
    checked_custom,
    custom_change,
    custom_filters,
    without_custom_form_fields,
)
from api.endpoints.common import ERRORS, Paging, reader, since, writer
from api.errors import refuse, valid
from api.pagination import page_of
from api.schemas import (
    ContactIn,
    ContactOut,
    ContactPage,
    Id,
    OrganizationIn,
    OrganizationOut,
    OrganizationPage,
    Text,
)
from contacts import services
from contacts.access import (
    contact_for_user,
    contacts_visible_to,
    organization_for_user,
    organizations_visible_to,
)
from contacts.forms import ContactForm, OrganizationForm
from contacts.models import Contact, Organization
from contacts.queries import contact_search, organization_search
from customfields.queries import apply_filters
from customfields.values import merge

organizations = Router()
contacts = Router()


class RecordFilters(Schema):
    q: Text | None = Field(None, max_length=100, description="Start of a name (or e-mail).")
    owner: Id | None = None


class ContactFilters(RecordFilters):
    organization: Id | None = None


def _form_data(instance, fields: list[str], changes: dict) -> dict:
    """A record form's fields: the record's current values, then the changes (API names)."""
    data = {}
    for name in fields:
        if instance is not None:
            data[name] = getattr(
                instance, f"{name}_id" if name in {"parent", "organization", "owner"} else name
            )
    for name, value in changes.items():
        data[name.removesuffix("_id")] = value
    return {name: "" if value is None else str(value) for name, value in data.items()}


# The pages' forms decide which fields a record has; the API fills in the same ones.
ORGANIZATION_FIELDS = list(OrganizationForm.Meta.fields)
CONTACT_FIELDS = list(ContactForm.Meta.fields)


def _check_owner_field(form, changes: dict) -> None:
    if "owner_id" in changes and "owner" not in form.fields:
        raise refuse("owner_id", "Only admins give a record to someone else.")


def _created(form, payload, *, model, user) -> dict:
    """A new record's fields: the form's (checked as on the page), and its custom values
    (every required one must be sent); 422 with both kinds of error at once."""
    custom, custom_errors = checked_custom(
        model=model, sent=payload.custom, partial=False, user=user
    )
    data = dict(valid(without_custom_form_fields(form), also=custom_errors))
    data.pop("allow_duplicate", None)
    return data | {"custom": merge({}, custom)}


def _changed(form, payload, *, record, user) -> dict:
    """The fields a PATCH changes: the form's, and `custom` (merged over the stored values)
    when a custom value changes."""
    custom, custom_errors = checked_custom(
        model=record, sent=payload.custom, partial=True, user=user, current=record.custom
    )
    cleaned = valid(without_custom_form_fields(form), also=custom_errors)
    changed = {name: cleaned[name] for name in form.changed_data}
    return changed | custom_change(record.custom, custom)


# Organizations ----------------------------------------------------------------------------


@organizations.get("", response={200: OrganizationPage, **ERRORS}, summary="List organizations")
def organization_list(request, paging: Paging, filters: Annotated[RecordFilters, Query()]):
    """The organizations you may see, newest first; `cf_<key>=value` narrows by a custom
    field as on the page (see the deal list)."""
    custom = custom_filters(request, "organization")
    rows = apply_filters(organizations_visible_to(reader(request)), custom)
    if filters.q:
        rows = organization_search(rows, filters.q.strip())
    if filters.owner is not None:
        rows = rows.filter(owner_id=filters.owner)
    return page_of(
        since(rows, paging.updated_since),
        cursor=paging.cursor,
        limit=paging.limit,
        fields=list(OrganizationOut.model_fields),
    )


@organizations.get(
    "/{organization_id}", response={200: OrganizationOut, **ERRORS}, summary="One organization"
)
def organization_detail(request, organization_id: Id):
    return organization_for_user(reader(request), organization_id)


@organizations.post("", response={201: OrganizationOut, **ERRORS}, summary="Create an organization")
def organization_create(request, payload: OrganizationIn):
    user = writer(request)
    changes = payload.dict(exclude_unset=True, exclude={"custom"})
    if not changes.get("name"):
        raise refuse("name", "This field is required.")
    form = OrganizationForm(_form_data(None, ORGANIZATION_FIELDS, changes), user=user)
    _check_owner_field(form, changes)
    data = _created(form, payload, model=Organization, user=user)
    return Status(201, services.organization_create(actor=user, **data))


@organizations.patch(
    "/{organization_id}",
    response={200: OrganizationOut, **ERRORS},
    summary="Change an organization",
)
def organization_update(request, organization_id: Id, payload: OrganizationIn):
    user = writer(request)
    organization = organization_for_user(user, organization_id, write=True)
    changes = payload.dict(exclude_unset=True, exclude={"custom"})
    form = OrganizationForm(
        _form_data(organization, ORGANIZATION_FIELDS, changes), instance=organization, user=user
    )
    _check_owner_field(form, changes)
    changed = _changed(form, payload, record=organization, user=user)
    return services.organization_update(organization=organization, actor=user, **changed)


# Contacts ---------------------------------------------------------------------------------


@contacts.get("", response={200: ContactPage, **ERRORS}, summary="List contacts")
def contact_list(request, paging: Paging, filters: Annotated[ContactFilters, Query()]):
    """The contacts you may see, newest first; `cf_<key>=value` narrows by a custom field
    as on the page (see the deal list)."""
    custom = custom_filters(request, "contact")
    rows = apply_filters(contacts_visible_to(reader(request)), custom)
    if filters.q:
        rows = contact_search(rows, filters.q.strip())
    if filters.owner is not None:
        rows = rows.filter(owner_id=filters.owner)
    if filters.organization is not None:
        rows = rows.filter(organization_id=filters.organization)
    return page_of(
        since(rows, paging.updated_since),
        cursor=paging.cursor,
        limit=paging.limit,
        fields=list(ContactOut.model_fields),
    )


@contacts.get("/{contact_id}", response={200: ContactOut, **ERRORS}, summary="One contact")
def contact_detail(request, contact_id: Id):
    return contact_for_user(reader(request), contact_id)


@contacts.post("", response={201: ContactOut, **ERRORS}, summary="Create a contact")
def contact_create(request, payload: ContactIn):
    user = writer(request)
    changes = payload.dict(exclude_unset=True, exclude={"custom"})
    form = ContactForm(_form_data(None, CONTACT_FIELDS, changes), user=user)
    _check_owner_field(form, changes)
    data = _created(form, payload, model=Contact, user=user)
    return Status(201, services.contact_create(actor=user, **data))


@contacts.patch("/{contact_id}", response={200: ContactOut, **ERRORS}, summary="Change a contact")
def contact_update(request, contact_id: Id, payload: ContactIn):
    user = writer(request)
    contact = contact_for_user(user, contact_id, write=True)
    changes = payload.dict(exclude_unset=True, exclude={"custom"})
    form = ContactForm(_form_data(contact, CONTACT_FIELDS, changes), instance=contact, user=user)
    _check_owner_field(form, changes)
    changed = _changed(form, payload, record=contact, user=user)
    return services.contact_update(contact=contact, actor=user, **changed)
