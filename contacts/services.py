"""Every write to organizations and contacts goes through a function here.

Merging is generic on purpose: it re-points every row of every model that refers to the
removed record (foreign keys, many-to-many tables, generic foreign keys), found through the
model's meta at run time. An app that adds a model pointing at organizations or contacts
(notes, files, leads) is merged without a change here.
"""

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Exists, F, ForeignObjectRel, OuterRef, Q, Subquery
from django.utils import timezone

from contacts.models import Contact, MergeKind, MergeRecord, Organization
from contacts.queries import merge_fills, parent_would_loop
from webhooks import services as webhook_services
from webhooks.models import Event as WebhookEvent


class MergeRefused(Exception):
    """The two records cannot be merged (the same record, or one is gone): say why."""


@transaction.atomic
def organization_create(
    *,
    actor,
    name: str,
    sector: str = "",
    country: str = "",
    employees: int | None = None,
    year_established: int | None = None,
    annual_revenue: Decimal | None = None,
    parent: Organization | None = None,
    owner=None,
    custom: dict[str, Any] | None = None,
) -> Organization:
    """Add an organization; whoever creates it owns it unless an owner is given. `custom`:
    its custom field values as stored (`customfields.values`)."""
    return Organization.objects.create(
        name=name.strip(),
        sector=sector,
        country=country,
        employees=employees,
        year_established=year_established,
        annual_revenue=annual_revenue,
        parent=parent,
        owner=owner or actor,
        custom=custom or {},
    )


@transaction.atomic
def organization_update(*, organization: Organization, actor, **fields: Any) -> Organization:
    """Change an organization's details; `save()` keeps its lookup key in step with the name."""
    if "name" in fields:
        fields["name"] = fields["name"].strip()
    if fields.get("parent") is not None and parent_would_loop(organization, fields["parent"]):
        raise ValueError("An organization cannot be a subsidiary of itself.")
    for name, value in fields.items():
        setattr(organization, name, value)
    organization.save()
    return organization


@transaction.atomic
def contact_create(
    *,
    actor,
    organization: Organization,
    first_name: str,
    last_name: str,
    job_title: str = "",
    email: str = "",
    phone: str = "",
    owner=None,
    custom: dict[str, Any] | None = None,
) -> Contact:
    """Add a contact at `organization`; whoever creates it owns it unless an owner is given.
    `custom`: its custom field values as stored (`customfields.values`)."""
    contact = Contact.objects.create(
        organization=organization,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        job_title=job_title,
        email=email.strip(),
        phone=phone.strip(),
        owner=owner or actor,
        custom=custom or {},
    )
    webhook_services.event_record(name=WebhookEvent.CONTACT_CREATED, obj=contact, actor=actor)
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, actor, **fields: Any) -> Contact:
    """Change a contact's details; `save()` keeps its lookup keys in step."""
    for name in ("first_name", "last_name", "email", "phone"):
        if name in fields:
            fields[name] = fields[name].strip()
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.save()
    return contact


@transaction.atomic
def records_take_owners_from_deals() -> int:
    """Give every organization and contact without an owner the (active) owner of its latest
    deal, for data loaded in bulk (the demo); how many records got one."""
    from pipeline.models import Deal  # pipeline's models import this app's

    count = 0
    for model, deal_field in ((Organization, "organization"), (Contact, "contact")):
        latest_owner = (
            Deal.objects.filter(**{deal_field: OuterRef("pk")}, owner__is_active=True)
            .order_by("-created_at", "-id")
            .values("owner_id")[:1]
        )
        count += (
            model._default_manager.filter(owner__isnull=True)
            .filter(Exists(latest_owner))
            .update(owner=Subquery(latest_owner))
        )
    return count


# Merging ---------------------------------------------------------------------------------


def organization_merge(*, keep: Organization, remove: Organization, actor) -> MergeRecord:
    """Fold `remove` into `keep` in one transaction and record it (see `record_merge`)."""
    return record_merge(keep=keep, remove=remove, actor=actor, kind=MergeKind.ORGANIZATION)


def contact_merge(*, keep: Contact, remove: Contact, actor) -> MergeRecord:
    """Fold `remove` into `keep` in one transaction and record it (see `record_merge`)."""
    return record_merge(keep=keep, remove=remove, actor=actor, kind=MergeKind.CONTACT)


@transaction.atomic
def record_merge(*, keep, remove, actor, kind: str) -> MergeRecord:
    """Move everything that points at `remove` to `keep`, fill `keep`'s blank fields from
    `remove`, delete `remove` and write a MergeRecord, all or nothing.

    Both rows are locked first (in id order, so two opposite merges cannot deadlock) and
    re-read, so a concurrent edit or merge is not lost. The caller checks that `actor` may
    change both records.
    """
    model = type(keep)
    if keep.pk == remove.pk:
        raise MergeRefused("A record cannot be merged with itself.")
    locked = {
        row.pk: row
        for row in model._default_manager.select_for_update()
        .filter(pk__in=[keep.pk, remove.pk])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise MergeRefused("One of the two records no longer exists.")
    keep, remove = locked[keep.pk], locked[remove.pk]
    removed_data = _snapshot(remove)
    if isinstance(keep, Organization) and keep.parent_id == remove.pk:
        # keep was a subsidiary of remove: it takes remove's place rather than its own.
        keep.parent_id = remove.parent_id if remove.parent_id != keep.pk else None
    moved = repoint_references(keep=keep, remove=remove)
    filled = _fill_blanks(keep=keep, remove=remove)
    keep.save()
    removed_label, removed_id = str(remove), remove.pk
    remove.delete()
    return MergeRecord.objects.create(
        kind=kind,
        organization=keep if kind == MergeKind.ORGANIZATION else None,
        contact=keep if kind == MergeKind.CONTACT else None,
        removed_id=removed_id,
        removed_label=removed_label[:255],
        removed_data=removed_data,
        filled_fields=filled,
        moved=moved,
        merged_by=actor,
    )


def _snapshot(record: models.Model) -> dict[str, Any]:
    values = {
        field.attname: getattr(record, field.attname) for field in record._meta.concrete_fields
    }
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def _fill_blanks(*, keep: Any, remove: Any) -> list[str]:
    """Copy `remove`'s values into the blank fields of `keep`; the names of those filled."""
    filled = merge_fills(keep, remove)
    for field in keep._meta.concrete_fields:
        if field.name in filled:
            setattr(keep, field.attname, getattr(remove, field.attname))
    # Custom fields too, one by one: the removed record's values fill those `keep` lacks.
    missing = {k: v for k, v in (remove.custom or {}).items() if k not in (keep.custom or {})}
    if missing:
        keep.custom = {**(keep.custom or {}), **missing}
        filled += [f"custom.{key}" for key in sorted(missing)]
    return filled


def repoint_references(*, keep: models.Model, remove: models.Model) -> dict[str, int]:
    """Point every row that refers to `remove` at `keep`; how many rows moved, per reference.

    Covers every foreign key to the model (hidden ones too, which is how many-to-many tables
    are reached) and every generic foreign key. Where a unique constraint would then hold
    twice (the same tag on both records, say), `remove`'s row is dropped: `keep` already has
    it. Rows that keep a `version` counter for optimistic locking (deals) get it bumped, so
    an open board or form notices the change; an `updated_at` is set to now.
    """
    moved: dict[str, int] = {}
    now = timezone.now()
    for relation in keep._meta.get_fields(include_hidden=True):
        # Reverse relations only; many-to-many ones are reached through the hidden foreign
        # keys of their tables, which come up here as well.
        if not isinstance(relation, ForeignObjectRel) or relation.many_to_many:
            continue
        related_field, related_model = relation.field, relation.related_model
        label = f"{related_model._meta.label}.{related_field.name}"
        count = _repoint(related_model, related_field.name, keep=keep, remove=remove, now=now)
        if count:
            moved[label] = count
    content_type = ContentType.objects.get_for_model(type(keep))
    for model in apps.get_models():
        for private in model._meta.private_fields:
            if not isinstance(private, GenericForeignKey):
                continue
            rows = model._base_manager.filter(
                **{private.ct_field: content_type, private.fk_field: remove.pk}
            )
            count = rows.update(**{private.fk_field: keep.pk})
            if count:
                moved[f"{model._meta.label}.{private.name}"] = count
    return moved


def _repoint(model, field_name: str, *, keep, remove, now: datetime) -> int:
    rows = model._base_manager.filter(**{field_name: remove})
    for together in _unique_sets(model, field_name):
        others, condition = together
        taken = model._base_manager.filter(condition, **{field_name: keep}).filter(
            **{other: OuterRef(other) for other in others}
        )
        rows.filter(condition).filter(Exists(taken)).delete()
    changes: dict[str, Any] = {field_name: keep}
    names = {field.name for field in model._meta.concrete_fields}
    if "updated_at" in names:
        changes["updated_at"] = now
    if "version" in names:
        changes["version"] = F("version") + 1
    return rows.update(**changes)


def _unique_sets(model, field_name: str) -> list[tuple[list[str], Q]]:
    """The other fields (and condition) of each uniqueness rule `field_name` takes part in."""
    sets: list[tuple[list[str], Q]] = []
    meta = model._meta
    if meta.get_field(field_name).unique:
        sets.append(([], Q()))
    for together in meta.unique_together:
        if field_name in together:
            sets.append(([name for name in together if name != field_name], Q()))
    for constraint in meta.total_unique_constraints + [
        c for c in meta.constraints if isinstance(c, models.UniqueConstraint) and c.condition
    ]:
        if constraint.fields and field_name in constraint.fields:
            others = [name for name in constraint.fields if name != field_name]
            sets.append((others, constraint.condition or Q()))
    return sets
