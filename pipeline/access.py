"""The one way views reach a deal: through `Deal.objects.visible_to`, answering 404 otherwise."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Value
from django.shortcuts import get_object_or_404

from pipeline.models import Deal


def can_change_deal(user, deal: Deal) -> bool:
    """Owners, the manager of the deal's team and admins may change a deal."""
    if user.is_admin or deal.owner_id == user.pk:
        return True
    return user.is_manager and deal.team is not None and deal.team.manager_id == user.pk


def deal_for_user(user, deal_id, *, write: bool = False, deals=None) -> Deal:
    """The deal with id `deal_id` if `user` may see it (and change it, with write=True).

    `deals` is the queryset to read it from, when the caller needs annotations too.
    """
    deal = get_object_or_404(
        (Deal.objects.all() if deals is None else deals)
        .visible_to(user)
        .select_related(
            "organization",
            "contact",
            "product",
            "owner",
            "team",
            "territory",
            "pipeline",
            "stage",
            "lost_reason",
        ),
        pk=deal_id,
    )
    if write and not can_change_deal(user, deal):
        raise PermissionDenied("You may see this deal but not change it.")
    return deal


def visible_pairs(pairs: Iterable[tuple], *, visible=None) -> set[tuple[int, int]]:
    """Which of these (user, object id) pairs name an object that user may see now, as (user
    id, object id) pairs: what senders of reminders and webhooks check just before anything
    goes out.

    `visible(user)` is the queryset of what a user may see: their deals by default
    (`Deal.objects.visible_to`); leads and contacts pass their own rule.
    One query however many users: a UNION ALL of each user's visible rows.
    """
    visible = Deal.objects.visible_to if visible is None else visible
    wanted: dict[int, tuple] = {}
    for user, object_id in pairs:
        wanted.setdefault(user.pk, (user, set()))[1].add(object_id)
    branches = [
        visible(user).filter(pk__in=object_ids).order_by().values_list(Value(user.pk), "pk")
        for user, object_ids in wanted.values()
    ]
    branches = [branch for branch in branches if not branch.query.is_empty()]
    if not branches:
        return set()
    return set(branches[0].union(*branches[1:], all=True).order_by())
