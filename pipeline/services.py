"""Every write to deals and pipelines goes through a function here.

Every change to a deal bumps its version and, when the stage or status changes, writes one
`DealStageChange` row in the same transaction; a change of its details writes one
`DealFieldChange` row per field that changed (and marking it lost, one for the reason).
Changes use optimistic locking: the caller passes the version it saw, and a conditional
UPDATE refuses the write when someone else changed the deal since (exactly one of two
concurrent moves wins).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Min
from django.utils import timezone

from activities import services as activity_services
from customfields.values import custom_changes_shown
from pipeline.models import (
    Contact,
    Deal,
    DealFieldChange,
    DealStageChange,
    DealStatus,
    LostReason,
    Organization,
    Product,
    Stage,
    lost_reason_label,
    stage_entry,
)
from pipeline.queries import with_drop_target
from webhooks import services as webhook_services
from webhooks.models import Event as WebhookEvent

# Gap between neighbouring cards, so that a card can be dropped between two others
# without renumbering the column.
POSITION_STEP = 1024


class DealChangeRefused(Exception):
    """The change makes no sense (closed deal, stage of another pipeline...): say why."""


class DealConflict(Exception):
    """Someone else changed the deal since the caller read it."""

    def __init__(self, deal_id: int):
        super().__init__(f"Deal {deal_id} was changed by someone else.")
        self.deal_id = deal_id


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
    contact: Contact | None = None,
    product: Product | None = None,
    currency: str | None = None,
    expected_close_date: date | None = None,
    created_at: datetime | None = None,
    custom: dict[str, Any] | None = None,
) -> Deal:
    """Open a deal at the top of `stage`'s column and record where it entered the pipeline.
    `custom`: its custom field values, as stored (`customfields.values`)."""
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
        custom=custom or {},
    )
    DealStageChange.objects.create(
        deal=deal,
        to_stage=stage,
        to_status=DealStatus.OPEN,
        changed_by=actor,
        changed_at=created_at,
    )
    webhook_services.event_record(name=WebhookEvent.DEAL_CREATED, obj=deal, actor=actor)
    return deal


@dataclass(frozen=True)
class DropTarget:
    stage: Stage
    position: int | None  # None: no room left between the neighbours
    last_entry: datetime | None  # when the deal last entered that stage


def drop_target(*, deal: Deal, stage_id: int, after_id: int | None, actor) -> DropTarget | None:
    """The stage (of the deal's pipeline) and the position just after card `after_id`.

    Without `after_id`, or when it names no open card of that column that `actor` may see,
    the card goes on top: a card the actor cannot see counts as no card at all, so where it
    sits cannot be learnt by dropping after it. One query (`with_drop_target`). None when
    the stage is not in the deal's pipeline.
    """
    rows = with_drop_target(
        Deal.objects.filter(pk=deal.pk), stage_id=stage_id, after_id=after_id, actor=actor
    )
    return drop_target_of(rows.get())


def drop_target_of(row: Any) -> DropTarget | None:
    """The drop target a deal read through `with_drop_target` carries."""
    # Unset when the join found no stage of that id in the deal's pipeline.
    stage: Stage | None = getattr(row, "drop_stage", None)
    if stage is None:
        return None
    # Only a drop after a card has these two.
    anchor_position: int | None = getattr(row, "drop_anchor", None)
    following_position: int | None = getattr(row, "drop_following", None)
    position: int | None
    if anchor_position is None:
        # Top of the column (also when the card it was dropped after has left the column).
        position = 0 if row.drop_top is None else row.drop_top - POSITION_STEP
    elif following_position is None:
        position = anchor_position + POSITION_STEP
    elif following_position - anchor_position > 1:
        position = (anchor_position + following_position) // 2
    else:
        position = None
    return DropTarget(stage=stage, position=position, last_entry=row.drop_last_entry)


def stage_renumber_cards(*, stage: Stage) -> None:
    """Spread the open cards of a column POSITION_STEP apart, keeping their order."""
    deals = connection.ops.quote_name(Deal._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {deals} SET position = ranked.rank * %s
            FROM (
                SELECT id, ROW_NUMBER() OVER (ORDER BY position, id) AS rank
                FROM {deals} WHERE stage_id = %s AND status = %s
            ) AS ranked
            WHERE {deals}.id = ranked.id
            """,
            [POSITION_STEP, stage.pk, DealStatus.OPEN],
        )


@transaction.atomic
def deal_move(
    *,
    deal: Deal,
    stage_id: int,
    after_id: int | None,
    version: int,
    actor,
    at: datetime | None = None,
) -> Deal:
    """Move an open deal to `stage_id`, just after card `after_id` (or on top).

    Raises DealChangeRefused for a closed deal or a stage outside its pipeline, and
    DealConflict when `version` is not the deal's current version. `at` dates the move
    when it happened earlier than now (an import records it); by default it is now.
    """
    if deal.is_closed:
        raise DealChangeRefused(
            f"“{deal.title}” is {deal.get_status_display().lower()}; reopen it to move it."
        )
    if version != deal.version:
        raise DealConflict(deal.pk)
    # The board reads the target together with the card it moves (`deal_card_for_user`).
    if getattr(deal, "drop_for", None) == (stage_id, after_id):
        target = drop_target_of(deal)
    else:
        target = drop_target(deal=deal, stage_id=stage_id, after_id=after_id, actor=actor)
    if target is None:
        raise DealChangeRefused("That stage does not exist in this deal's pipeline.")
    if target.position is None:
        stage_renumber_cards(stage=target.stage)
        target = drop_target(deal=deal, stage_id=stage_id, after_id=after_id, actor=actor)
        assert target is not None  # the stage was found a moment ago, in this transaction

    now = timezone.now()
    when = at or now
    from_stage_id = deal.stage_id
    stage_changed = target.stage.pk != from_stage_id
    changes = {"stage": target.stage, "position": target.position, "updated_at": now}
    if stage_changed:
        changes["stage_entered_at"] = when
    updated = Deal.objects.filter(pk=deal.pk, version=version, status=DealStatus.OPEN).update(
        version=F("version") + 1, **changes
    )
    if not updated:
        raise DealConflict(deal.pk)
    if stage_changed:
        # Entries into earlier stages have now moved on (the funnel counts them).
        DealStageChange.objects.filter(
            stage_entry(),
            deal=deal,
            moved_on_at__isnull=True,
            to_stage__order__lt=target.stage.order,
        ).update(moved_on_at=when)
        DealStageChange.objects.create(
            deal=deal,
            from_stage_id=from_stage_id,
            to_stage=target.stage,
            from_status=DealStatus.OPEN,
            to_status=DealStatus.OPEN,
            changed_by=actor,
            changed_at=when,
            entered_before_at=target.last_entry,
        )
    for name, value in changes.items():
        setattr(deal, name, value)
    deal.version = version + 1
    if stage_changed:  # a reorder within a column changes nothing a receiver cares about
        webhook_services.event_record(
            name=WebhookEvent.DEAL_MOVED,
            obj=deal,
            actor=actor,
            extra={"from_stage_id": from_stage_id},
        )
    return deal


def _deal_set_status(
    *,
    deal: Deal,
    status: str,
    version: int,
    actor,
    lost_reason: LostReason | None = None,
    lost_reason_text: str = "",
    at: datetime | None = None,
) -> Deal:
    now = timezone.now()
    when = at or now
    before = deal.status
    changes: dict[str, Any] = {
        "status": status,
        "closed_at": None if status == DealStatus.OPEN else when,
        "lost_reason": lost_reason,
        "lost_reason_text": lost_reason_text,
        "updated_at": now,
    }
    if status == DealStatus.OPEN:
        # A reopened deal comes back on top of its column.
        changes["position"] = top_of_column_position(deal.stage)
        changes["stage_entered_at"] = when
    updated = Deal.objects.filter(pk=deal.pk, version=version, status=before).update(
        version=F("version") + 1, **changes
    )
    if not updated:
        raise DealConflict(deal.pk)
    for name, value in changes.items():
        setattr(deal, name, value)
    if status == DealStatus.OPEN:
        activity_services.deal_reminders_rearm(deal=deal, now=now)
    else:
        activity_services.deal_reminders_cancel(deal=deal)
    DealStageChange.objects.create(
        deal=deal,
        from_stage_id=deal.stage_id,
        to_stage_id=deal.stage_id,
        from_status=before,
        to_status=status,
        changed_by=actor,
        changed_at=when,
    )
    deal.version = version + 1
    webhook_services.event_record(
        name=webhook_services.deal_status_event(status), obj=deal, actor=actor
    )
    return deal


@transaction.atomic
def deal_mark_won(*, deal: Deal, version: int, actor, at: datetime | None = None) -> Deal:
    """Close an open deal as won (`at`: when, if not now), cancelling its reminders."""
    if deal.is_closed:
        raise DealChangeRefused(f"“{deal.title}” is already {deal.get_status_display().lower()}.")
    return _deal_set_status(deal=deal, status=DealStatus.WON, version=version, actor=actor, at=at)


@transaction.atomic
def deal_mark_lost(
    *,
    deal: Deal,
    version: int,
    reason: LostReason | None,
    reason_text: str = "",
    actor,
    at: datetime | None = None,
) -> Deal:
    """Close an open deal as lost, for `reason` (None: another reason, which `reason_text`
    must say; with a reason it adds details), cancelling its reminders (`at`: when, if not
    now). The reason is recorded among the deal's field changes."""
    if deal.is_closed:
        raise DealChangeRefused(f"“{deal.title}” is already {deal.get_status_display().lower()}.")
    reason_text = reason_text.strip()
    if reason is None and not reason_text:
        raise DealChangeRefused("Say why the deal was lost.")
    deal = _deal_set_status(
        deal=deal,
        status=DealStatus.LOST,
        version=version,
        actor=actor,
        lost_reason=reason,
        lost_reason_text=reason_text,
        at=at,
    )
    DealFieldChange.objects.create(
        deal=deal,
        field="lost_reason",
        new_value=lost_reason_label(reason, reason_text),
        changed_by=actor,
        changed_at=deal.closed_at or timezone.now(),
    )
    return deal


@transaction.atomic
def deal_reopen(*, deal: Deal, version: int, actor, at: datetime | None = None) -> Deal:
    """Put a won or lost deal back on the board, in the stage it was closed from (`at`:
    when, if not now), and arm again the reminders still ahead."""
    if not deal.is_closed:
        raise DealChangeRefused(f"“{deal.title}” is already open.")
    return _deal_set_status(deal=deal, status=DealStatus.OPEN, version=version, actor=actor, at=at)


@transaction.atomic
def deal_update(*, deal: Deal, version: int, actor, **fields) -> Deal:
    """Change a deal's details (not its stage or status); the owner decides team and territory.

    Each field whose value changes is recorded as a `DealFieldChange` (old and new as text).
    A new owner takes over the former owner's open activities on the deal, with their
    reminders, so that nobody is reminded of a deal they may no longer see.
    """
    if "owner" in fields:
        team = fields["owner"].team
        fields["team"] = team
        fields["territory"] = team.territory if team else None
    # The row as it is at `version`, read rather than taken from `deal`, on which a ModelForm
    # has already set the new values. The versioned update below fails if the row changed
    # since, so these are the values this update replaces.
    related = [name for name in fields if Deal._meta.get_field(name).is_relation]
    rows = Deal.objects.select_related(*related) if related else Deal.objects.all()
    before = rows.filter(pk=deal.pk, version=version).first()
    if before is None:
        raise DealConflict(deal.pk)
    now = timezone.now()
    updated = Deal.objects.filter(pk=deal.pk, version=version).update(
        version=F("version") + 1, updated_at=now, **fields
    )
    if not updated:
        raise DealConflict(deal.pk)
    DealFieldChange.objects.bulk_create(
        [
            *(
                DealFieldChange(
                    deal=deal,
                    field=name,
                    old_value=display_value(getattr(before, name)),
                    new_value=display_value(value),
                    changed_by=actor,
                    changed_at=now,
                )
                for name, value in fields.items()
                if name != "custom" and _stored(getattr(before, name)) != _stored(value)
            ),
            *(
                DealFieldChange(
                    deal=deal,
                    field=change.label,
                    old_value=change.old,
                    new_value=change.new,
                    changed_by=actor,
                    changed_at=now,
                )
                for change in custom_changes_shown(
                    kind="deal",
                    before=before.custom,
                    after=fields.get("custom", before.custom),
                    currency=fields.get("currency", before.currency),
                )
            ),
        ]
    )
    if "owner" in fields and before.owner_id != fields["owner"].pk:
        activity_services.deal_activities_reassign(
            deal=deal, former_owner_id=before.owner_id, owner=fields["owner"], actor=actor
        )
    for name, value in fields.items():
        setattr(deal, name, value)
    deal.updated_at = now
    deal.version = version + 1
    webhook_services.event_record(name=WebhookEvent.DEAL_UPDATED, obj=deal, actor=actor)
    return deal


def display_value(value) -> str:
    """A field's value as a deal's history shows it: names, amounts with cents, ISO dates."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, datetime):
        return timezone.localtime(value, UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _stored(value):
    """What the database keeps: a related row's id, a value as it is."""
    return value.pk if hasattr(value, "_meta") else value
