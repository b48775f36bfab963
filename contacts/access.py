"""Who may see and change organizations and contacts: the one way views reach them.

Visibility follows the deals (`Deal.objects.visible_to`):

- a rep sees the records they own and those linked to a deal they can see;
- a manager also sees the records owned by members of the teams they manage, and those
  linked to those teams' deals (which `visible_to` already gives them);
- an admin sees everything.

Changing a record (editing it, merging it) is for its owner, the manager of the owner's team
and admins. Someone who sees a record only through a deal reads it and may link it to their
deals, but does not change it: it is someone else's account.

Both visibility querysets are one `pk IN (... UNION ALL ...)` over indexed columns (the
record's owner, the deal's owner, team and foreign key), with no join and no DISTINCT, so
they stay cheap at any size and can be combined with any filter, order or slice.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from contacts.models import Contact, Organization
from crm.http import parse_id
from pipeline.models import Deal
from teams.models import Team, User


def _visible(model: type[Model], deal_field: str, user) -> QuerySet:
    records = model._default_manager.all()
    if not user.is_authenticated or not user.is_active:
        return records.none()
    if user.is_admin:
        return records
    ids = [
        model._default_manager.filter(owner=user).order_by().values("pk"),
        Deal.objects.visible_to(user)
        .filter(**{f"{deal_field}__isnull": False})
        .order_by()
        .values(deal_field),
    ]
    if user.is_manager:
        members = User.objects.filter(team__in=Team.objects.filter(manager=user).values("pk"))
        ids.append(
            model._default_manager.filter(owner__in=members.values("pk")).order_by().values("pk")
        )
    return records.filter(pk__in=ids[0].union(*ids[1:], all=True))


def organizations_visible_to(user) -> QuerySet[Organization]:
    """The organizations `user` may see (see the module docstring)."""
    return _visible(Organization, "organization", user)


def contacts_visible_to(user) -> QuerySet[Contact]:
    """The contacts `user` may see (see the module docstring)."""
    return _visible(Contact, "contact", user)


def can_change_record(user, record: Organization | Contact) -> bool:
    """The owner, the manager of the owner's team and admins may change a record.

    `record.owner` (and its team) should be loaded with the record: the access functions
    below select them.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_admin:
        return True
    if record.owner_id is None:
        return False
    if record.owner_id == user.pk:
        return True
    owner = record.owner
    return (
        user.is_manager
        and owner is not None
        and owner.team is not None
        and owner.team.manager_id == user.pk
    )


def can_reassign_owner(user) -> bool:
    """Only admins give a record to someone else (the creator owns it at first)."""
    return user.is_authenticated and user.is_admin


def _parsed(record_id) -> int:
    """An id from a URL or a form; anything that cannot be one is a record nobody sees."""
    parsed = parse_id(record_id)
    if parsed is None:
        raise Http404("No such record.")
    return parsed


def organization_for_user(user, organization_id, *, write: bool = False) -> Organization:
    """The organization if `user` may see it (else 404), and may change it with write=True (403)."""
    organization = get_object_or_404(
        organizations_visible_to(user).select_related("owner__team", "parent"),
        pk=_parsed(organization_id),
    )
    if write and not can_change_record(user, organization):
        raise PermissionDenied("You may see this organization but not change it.")
    return organization


def contact_for_user(user, contact_id, *, write: bool = False) -> Contact:
    """The contact if `user` may see it (else 404), and may change it with write=True (403)."""
    contact = get_object_or_404(
        contacts_visible_to(user).select_related("owner__team", "organization"),
        pk=_parsed(contact_id),
    )
    if write and not can_change_record(user, contact):
        raise PermissionDenied("You may see this contact but not change it.")
    return contact
