"""Every write to deals and pipelines goes through a function here."""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from pipeline.models import Deal, DealStageChange, DealStatus, Organization, Product, Stage

# Gap between neighbouring cards, so that a card can be dropped between two others
# without renumbering the column.
POSITION_STEP = 1024


def top_of_column_position(stage: Stage) -> int:
    lowest = Deal.objects.filter(stage=stage, status=DealStatus.OPEN).aggregate(low=Min("position"))
    return (lowest["low"] or POSITION_STEP) - POSITION_STEP


@transaction.atomic
def deal_create(
    *,
    title: str,
    owner,
    stage: Stage,
    value: Decimal,
    actor,
    organization: Organization | None = None,
    contact=None,
    product: Product | None = None,
    currency: str | None = None,
    expected_close_date=None,
    created_at: datetime | None = None,
) -> Deal:
    """Open a deal at the top of `stage`'s column and record where it entered the pipeline."""
    created_at = created_at or timezone.now()
    team = owner.team
    deal = Deal.objects.create(
        title=title,
        owner=owner,
        team=team,
        territory=team.territory if team else None,
        pipeline_id=stage.pipeline_id,
        stage=stage,
        value=value,
        currency=currency
        or (product.currency if product else Deal._meta.get_field("currency").default),
        organization=organization,
        contact=contact,
        product=product,
        expected_close_date=expected_close_date,
        created_at=created_at,
        stage_entered_at=created_at,
        position=top_of_column_position(stage),
    )
    DealStageChange.objects.create(
        deal=deal,
        to_stage=stage,
        to_status=DealStatus.OPEN,
        changed_by=actor,
        changed_at=created_at,
    )
    return deal
