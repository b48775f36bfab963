"""Who may see and change organizations and contacts: the one way views reach them.

Visibility follows the deals (`Deal.objects.visible_to`):

- a rep sees the records they own and those linked to a deal they can see;
- a manager also sees the records owned by members of the teams they manage, and those
  linked to those teams' deals (which `visible_to` already gives them);
- an admin sees everything.

Changing a record (editing it, merging it) is for its owner, the manager of the owner's team
and admins. Someone who sees a record only through a deal reads it and may link it to their
deals, but does not change it: it is someone else's account.

Both visibility querysets are one WHERE clause: the owner, OR the id among the visible deals'
foreign keys, OR (managers) the owner among their teams' members. For lists the subqueries
are hashed once and probed per row, with no join and no DISTINCT, so a list ordered by an
indexed column reads that index in order and stops after one page; at worst (a user who sees
almost nothing) it probes every row once, never a sort of a big join. For a single record
(`per_row=True`) the deal test is an EXISTS on the deals' indexed foreign key instead.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from contacts.models import Contact, Organization
from crm.http import parse_id
from pipeline.models import Deal, DealQuerySet
from teams.models import Team, User


def linked_deal_parts(user) -> list[DealQuerySet]:
    """The deals `user` may see, as parts whose union is `Deal.objects.visible_to(user)`.

    For a manager that is their own deals OR their teams' deals. PostgreSQL reads such an OR
    with a subquery by scanning every deal; asked for each part on its own, it reads the
    owner and the team indexes. Each part is `visible_to` narrowed further, so if the rule
    there ever grows, this can show less, never more (a test checks that both agree).
    """
    deals = Deal.objects.visible_to(user).order_by()
    if not user.is_manager:
        return [deals]
    managed = Team.objects.filter(manager=user).values("pk")
    return [deals.filter(owner=user), deals.filter(team__in=managed)]


def _visible(model: type[Model], deal_field: str, user, *, per_row: bool) -> QuerySet:
    records = model._default_manager.all()
    if not user.is_authenticated or not user.is_active:
        return records.none()
    if user.is_admin:
        return records
    condition = Q(owner=user)
    if per_row:
        linked = Deal.objects.visible_to(user).filter(**{deal_field: OuterRef("pk")})
        condition |= Q(Exists(linked))
    else:
        for part in linked_deal_parts(user):
            ids = part.filter(**{f"{deal_field}__isnull": False}).values(deal_field)
            condition |= Q(pk__in=ids)
    if user.is_manager:
        managed = Team.objects.filter(manager=user).values("pk")
        condition |= Q(owner__in=User.objects.filter(team__in=managed).values("pk"))
    return records.filter(condition)


def organizations_visible_to(user, *, per_row: bool = False) -> QuerySet[Organization]:
    """The organizations `user` may see (see the module docstring).

    For a list, leave `per_row` off: the visible deals are read once and hashed. A caller
    that keeps a handful of rows by id (one record, a page's worth of ids) passes
    per_row=True: each row is then checked with an EXISTS on the deals' indexed foreign key,
    without reading every visible deal first.
    """
    return _visible(Organization, "organization", user, per_row=per_row)


def contacts_visible_to(user, *, per_row: bool = False) -> QuerySet[Contact]:
    """The contacts `user` may see; `per_row` as for `organizations_visible_to`."""
    return _visible(Contact, "contact", user, per_row=per_row)


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
        organizations_visible_to(user, per_row=True).select_related("owner__team", "parent"),
        pk=_parsed(organization_id),
    )
    if write and not can_change_record(user, organization):
        raise PermissionDenied("You may see this organization but not change it.")
    return organization


def contact_for_user(user, contact_id, *, write: bool = False) -> Contact:
    """The contact if `user` may see it (else 404), and may change it with write=True (403)."""
    contact = get_object_or_404(
        contacts_visible_to(user, per_row=True).select_related("owner__team", "organization"),
        pk=_parsed(contact_id),
    )
    if write and not can_change_record(user, contact):
        raise PermissionDenied("You may see this contact but not change it.")
    return contact
