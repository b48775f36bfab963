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


def visible_pairs(pairs: Iterable[tuple]) -> set[tuple[int, int]]:
    """Which of these (user, deal id) pairs name a deal that user may see now, as (user id,
    deal id) pairs: what senders of reminders check just before anything goes out.

    One query however many users: a UNION ALL of each user's `visible_to`.
    """
    wanted: dict[int, tuple] = {}
    for user, deal_id in pairs:
        wanted.setdefault(user.pk, (user, set()))[1].add(deal_id)
    branches = [
        Deal.objects.visible_to(user)
        .filter(pk__in=deal_ids)
        .order_by()
        .values_list(Value(user.pk), "pk")
        for user, deal_ids in wanted.values()
    ]
    branches = [branch for branch in branches if not branch.query.is_empty()]
    if not branches:
        return set()
    return set(branches[0].union(*branches[1:], all=True).order_by())
