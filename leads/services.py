"""Every write to leads goes through a function here.

Every change bumps a lead's version (optimistic locking: the caller passes the version it
saw and a conditional UPDATE refuses a stale one) and rescores it. Qualifying and
disqualifying claim the lead with a conditional update on its status, so a lead is decided
once: of two people qualifying it at the same moment, one gets the deal and the other is
told it is already qualified.
"""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from activities.models import Activity, Notification
from contacts.models import Contact, Organization
from leads.models import Lead, LeadLabel, LeadSource, LeadStatus
from leads.queries import open_leads_to_rescore, score_inputs_of, with_score_inputs
from leads.scoring import Score, score_lead
from pipeline import services as deal_services
from pipeline.models import Deal, Pipeline, Stage

RESCORE_CHUNK = 1000


class LeadChangeRefused(Exception):
    """The change makes no sense (the lead is already decided, no reason given...): say why."""


class LeadConflict(Exception):
    """Someone else changed the lead since the caller read it."""

    def __init__(self, lead_id: int):
        super().__init__(f"Lead {lead_id} was changed by someone else.")
        self.lead_id = lead_id


# Scores ----------------------------------------------------------------------------------


def lead_rescore(*, lead: Lead, now: datetime | None = None) -> Score:
    """Recompute an open lead's score from its current inputs and store it with its breakdown.

    A decided lead keeps the score it had when it was qualified or disqualified.
    """
    now = now or timezone.now()
    fresh = with_score_inputs(Lead.objects.filter(pk=lead.pk)).get()
    score = score_lead(score_inputs_of(fresh), now=now)
    if fresh.status == LeadStatus.OPEN:
        Lead.objects.filter(pk=lead.pk, status=LeadStatus.OPEN).update(
            score=score.total, score_details=score.details(), scored_at=now
        )
        lead.score, lead.score_details, lead.scored_at = score.total, score.details(), now
    return score


def leads_rescore(*, leads: QuerySet[Lead] | None = None, now: datetime | None = None) -> int:
    """Rescore open leads (all, or those of `leads`) in chunks; returns how many changed.

    Run every hour by Celery beat (a rule counts the last 14 days, and organizations and
    contacts change elsewhere), and when an admin changes a source's weight.
    """
    now = now or timezone.now()
    rows = with_score_inputs(
        (leads if leads is not None else Lead.objects.all()).filter(status=LeadStatus.OPEN)
    )
    changed, last_id = 0, 0
    while True:
        batch = list(rows.filter(pk__gt=last_id).order_by("pk")[:RESCORE_CHUNK])
        if not batch:
            return changed
        last_id = batch[-1].pk
        stale = []
        for lead in batch:
            score = score_lead(score_inputs_of(lead), now=now)
            details = score.details()
            if lead.score != score.total or lead.score_details != details:
                lead.score, lead.score_details, lead.scored_at = score.total, details, now
                stale.append(lead)
        # Only the score columns are written, so an edit made meanwhile is not undone.
        Lead.objects.bulk_update(stale, ["score", "score_details", "scored_at"])
        changed += len(stale)


def lead_source_changed(*, source: LeadSource) -> int:
    """Rescore the open leads of a source whose name or weight an admin changed."""
    return leads_rescore(leads=open_leads_to_rescore(source=source))


def lead_activity_changed(*, activity: Activity) -> None:
    """An activity was scheduled, changed, done, reopened or deleted: rescore its lead."""
    if activity.lead_id is not None:
        lead_rescore(lead=Lead(pk=activity.lead_id))


# Leads -----------------------------------------------------------------------------------


def team_fields(owner) -> dict:
    """A lead's team and territory follow its owner, as a deal's do."""
    team = owner.team
    return {"team": team, "territory": team.territory if team else None}


@transaction.atomic
def lead_create(
    *,
    title: str,
    source: LeadSource,
    owner,
    actor,
    organization: Organization | None = None,
    contact: Contact | None = None,
    value: Decimal | None = None,
    currency: str | None = None,
    labels: Iterable[LeadLabel] = (),
    created_at: datetime | None = None,
) -> Lead:
    """Add an open lead and score it."""
    lead = Lead.objects.create(
        title=title,
        source=source,
        owner=owner,
        **team_fields(owner),
        organization=organization,
        contact=contact,
        value=value,
        currency=currency or Lead._meta.get_field("currency").get_default(),
        created_by=actor,
        created_at=created_at or timezone.now(),
    )
    lead.labels.set(labels)
    lead_rescore(lead=lead)
    return lead


@transaction.atomic
def lead_update(*, lead: Lead, version: int, actor, **fields) -> Lead:
    """Change a lead's details (labels too); the owner decides team and territory. Rescores."""
    if not lead.is_open:
        raise LeadChangeRefused(
            f"“{lead.title}” is {lead.get_status_display().lower()}; its details no longer change."
        )
    labels = fields.pop("labels", None)
    if "owner" in fields:
        fields |= team_fields(fields["owner"])
    fields["updated_at"] = timezone.now()
    updated = Lead.objects.filter(pk=lead.pk, version=version, status=LeadStatus.OPEN).update(
        version=F("version") + 1, **fields
    )
    if not updated:
        raise LeadConflict(lead.pk)
    for name, value in fields.items():
        setattr(lead, name, value)
    lead.version = version + 1
    if labels is not None:
        lead.labels.set(labels)
    lead_rescore(lead=lead)
    return lead


def _claim_decision(*, lead: Lead, version: int, actor, now: datetime, **changes) -> None:
    """Decide an open lead with a conditional update: exactly one of two deciders wins."""
    claimed = Lead.objects.filter(pk=lead.pk, version=version, status=LeadStatus.OPEN).update(
        version=F("version") + 1, decided_at=now, decided_by=actor, updated_at=now, **changes
    )
    if claimed:
        return
    current = Lead.objects.filter(pk=lead.pk).values_list("status", flat=True).first()
    if current is not None and current != LeadStatus.OPEN:
        raise LeadChangeRefused(f"“{lead.title}” is already {LeadStatus(current).label.lower()}.")
    raise LeadConflict(lead.pk)


def first_stage(pipeline: Pipeline) -> Stage | None:
    return pipeline.stages.order_by("order", "id").first()


@transaction.atomic
def lead_qualify(*, lead: Lead, version: int, pipeline: Pipeline, actor) -> Deal:
    """Turn an open lead into a deal at the first stage of `pipeline`.

    The deal gets the lead's title, value (0 when none was estimated), currency, contact,
    organization and owner, and its entry in the stage history; the lead's activities (with
    their reminders and notifications) move to the deal. Raises LeadChangeRefused when the
    lead is already decided and LeadConflict when `version` is stale.
    """
    if not lead.is_open:
        raise LeadChangeRefused(f"“{lead.title}” is already {lead.get_status_display().lower()}.")
    stage = first_stage(pipeline)
    if stage is None:
        raise LeadChangeRefused(f"The pipeline “{pipeline}” has no stage to start a deal in.")
    now = timezone.now()
    _claim_decision(lead=lead, version=version, actor=actor, now=now, status=LeadStatus.QUALIFIED)
    deal = deal_services.deal_create(
        title=lead.title,
        owner=lead.owner,
        stage=stage,
        value=lead.value if lead.value is not None else Decimal("0"),
        currency=lead.currency,
        organization=lead.organization,
        contact=lead.contact,
        actor=actor,
        created_at=now,
    )
    Lead.objects.filter(pk=lead.pk).update(deal=deal)
    Activity.objects.filter(lead_id=lead.pk).update(deal=deal, lead=None, updated_at=now)
    Notification.objects.filter(lead_id=lead.pk).update(deal=deal)
    lead.status, lead.deal, lead.decided_at, lead.decided_by = (
        LeadStatus.QUALIFIED,
        deal,
        now,
        actor,
    )
    lead.version = version + 1
    return deal


@transaction.atomic
def lead_disqualify(*, lead: Lead, version: int, reason: str, actor) -> Lead:
    """Close an open lead as disqualified, with the reason (required). Its activities stay."""
    if not lead.is_open:
        raise LeadChangeRefused(f"“{lead.title}” is already {lead.get_status_display().lower()}.")
    reason = reason.strip()
    if not reason:
        raise LeadChangeRefused("Say why the lead is disqualified.")
    now = timezone.now()
    _claim_decision(
        lead=lead,
        version=version,
        actor=actor,
        now=now,
        status=LeadStatus.DISQUALIFIED,
        disqualify_reason=reason,
    )
    lead.status, lead.disqualify_reason, lead.decided_at, lead.decided_by = (
        LeadStatus.DISQUALIFIED,
        reason,
        now,
        actor,
    )
    lead.version = version + 1
    return lead
