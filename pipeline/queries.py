"""Reads of deals and pipelines. Every list starts from `Deal.objects.visible_to`."""

from django.db.models import Q, QuerySet

from pipeline.models import Deal, DealStageChange, DealStatus


def deals_for_list(user, *, status: str = "", search: str = "") -> QuerySet[Deal]:
    """Visible deals, newest first, filtered by status and a text search on title or account."""
    deals = Deal.objects.visible_to(user).select_related("organization", "owner", "stage")
    if status in DealStatus.values:
        deals = deals.filter(status=status)
    if search:
        deals = deals.filter(Q(title__icontains=search) | Q(organization__name__icontains=search))
    return deals.order_by("-created_at", "-id")


def deal_timeline(deal: Deal) -> QuerySet[DealStageChange]:
    """The deal's stage and status changes, oldest first, with who made them."""
    return deal.stage_changes.select_related("from_stage", "to_stage", "changed_by").order_by(
        "changed_at", "id"
    )
