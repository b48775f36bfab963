"""Leads for the demo organisation (`manage.py seed_demo` calls `seed_demo_leads`).

A few hundred leads over the last four months from a fixed seed: sources with weights,
labels, contacts and organizations from the demo, activities on the open ones, and about
a third decided (qualified into deals, or disqualified with a reason). Scores are computed
by the real scorer.
"""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from activities.models import Activity, ActivityType
from contacts.models import Contact
from leads.models import Lead, LeadLabel, LeadSource, LeadStatus
from leads.services import leads_rescore
from pipeline.models import Pipeline
from pipeline.services import deal_create
from teams.models import Role, User

SEED = 20261202
LEAD_COUNT = 400
HISTORY_DAYS = 120
SOURCES = [  # (name, weight)
    ("Referral", 25),
    ("Partner", 20),
    ("Event", 15),
    ("Website form", 10),
    ("Inbound call", 10),
    ("Cold outreach", 0),
    ("Purchased list", -10),
]
SOURCE_WEIGHTS = [3, 2, 3, 6, 2, 4, 1]
LABELS = [  # (name, colour)
    ("Hot", "danger"),
    ("Enterprise", "primary"),
    ("Follow up", "warning"),
    ("Upsell", "success"),
    ("Partner", "info"),
    ("Nurture", "secondary"),
]
NEEDS = [
    "CRM rollout",
    "Data migration",
    "Support contract",
    "Pilot for 20 seats",
    "Renewal and upsell",
    "Gateway hardware",
    "Team licences",
    "Onboarding",
]
DISQUALIFY_REASONS = ["No budget", "Not a fit for our product", "No response", "Duplicate"]
LEAD_SUBJECTS = {
    ActivityType.CALL: ["Intro call", "Qualification call", "Call back"],
    ActivityType.EMAIL: ["Send the brochure", "Answer the questions"],
    ActivityType.MEETING: ["Discovery meeting"],
}


@transaction.atomic
def seed_demo_leads(*, count: int = LEAD_COUNT) -> int:
    """Create the demo's lead sources, labels and leads; returns how many leads."""
    rng = random.Random(SEED)
    now = timezone.now()
    sources = [LeadSource.objects.create(name=n, weight=w) for n, w in SOURCES]
    labels = [LeadLabel.objects.create(name=n, colour=c) for n, c in LABELS]
    reps = list(User.objects.filter(role=Role.REP).select_related("team").order_by("pk"))
    contacts = list(Contact.objects.select_related("organization").order_by("pk"))
    if not reps:
        return 0

    leads, plans = [], []
    for index in range(count):
        owner = rng.choice(reps)
        contact = rng.choice(contacts) if contacts and rng.random() < 0.8 else None
        organization = contact.organization if contact else None
        created_at = now - timedelta(days=HISTORY_DAYS * rng.random() ** 1.3, hours=rng.random())
        value = None
        if rng.random() < 0.75:
            value = (
                Decimal(rng.choice([800, 2500, 6000, 12000, 30000, 60000, 150000]))
                * Decimal(rng.randint(80, 120))
                / 100
            )
        leads.append(
            Lead(
                title=f"{organization or 'Prospect ' + str(index + 1)}: {rng.choice(NEEDS)}",
                source=rng.choices(sources, weights=SOURCE_WEIGHTS)[0],
                organization=organization,
                contact=contact,
                value=value.quantize(Decimal("0.01")) if value is not None else None,
                owner=owner,
                team=owner.team,
                territory=owner.team.territory if owner.team else None,
                created_by=owner,
                created_at=created_at,
            )
        )
        roll = rng.random()
        decided = None
        if created_at < now - timedelta(days=7) and roll < 0.4:
            decided_at = min(now, created_at + timedelta(days=rng.uniform(2, 30)))
            decided = (LeadStatus.QUALIFIED if roll < 0.25 else LeadStatus.DISQUALIFIED, decided_at)
        plans.append(decided)
    Lead.objects.bulk_create(leads, batch_size=500)

    through = Lead.labels.through
    through.objects.bulk_create(
        through(lead_id=lead.pk, leadlabel_id=label.pk)
        for lead in leads
        for label in rng.sample(labels, rng.choice([0, 0, 1, 1, 2]))
    )

    activities = []
    for lead, plan in zip(leads, plans, strict=True):
        if plan is not None and plan[0] == LeadStatus.QUALIFIED:
            continue  # a qualified lead's activities are its deal's now
        if rng.random() < 0.5:
            done_at = lead.created_at + (now - lead.created_at) * rng.random()
            activities.append(activity(rng, lead, done_at, done=True))
        if plan is None and rng.random() < 0.6:
            activities.append(activity(rng, lead, now + timedelta(days=rng.randint(-3, 10))))
    Activity.objects.bulk_create(activities, batch_size=1000)

    leads_rescore(now=now)
    pipeline = Pipeline.objects.order_by("name").first()
    stage = pipeline.stages.order_by("order", "id").first() if pipeline else None
    for lead, plan in zip(leads, plans, strict=True):
        if plan is None:
            continue
        status, decided_at = plan
        changes: dict = {"status": status, "decided_at": decided_at, "decided_by": lead.owner}
        if status == LeadStatus.QUALIFIED and stage is not None:
            changes["deal"] = deal_create(
                title=lead.title,
                owner=lead.owner,
                stage=stage,
                value=lead.value or Decimal("0"),
                currency=lead.currency,
                organization=lead.organization,
                contact=lead.contact,
                actor=lead.owner,
                created_at=decided_at,
            )
        elif status == LeadStatus.QUALIFIED:
            continue
        else:
            changes["disqualify_reason"] = rng.choice(DISQUALIFY_REASONS)
        Lead.objects.filter(pk=lead.pk).update(**changes)
    return len(leads)


def activity(rng: random.Random, lead: Lead, when: datetime, *, done: bool = False) -> Activity:
    kind = rng.choice(list(LEAD_SUBJECTS))
    owner = lead.owner
    local = timezone.localtime(when, owner.zoneinfo)
    due_at = datetime.combine(local.date(), time(rng.randint(9, 16)), tzinfo=owner.zoneinfo)
    return Activity(
        lead=lead,
        type=kind,
        subject=rng.choice(LEAD_SUBJECTS[kind]),
        assignee=owner,
        created_by=owner,
        due_date=local.date(),
        due_at=due_at,
        done=done,
        done_at=when if done else None,
        created_at=lead.created_at,
    )
