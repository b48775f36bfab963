"""Activities for the demo organisation (`manage.py seed_demo_activities`, run by make run).

Done activities follow each deal's life (what the reports count); most open deals get a
next step, some overdue, some today or later, with reminders armed as the app would.
"""

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from activities.models import Activity, ActivityType, Reminder
from activities.services import due_moment, reminder_time
from pipeline.models import Deal, DealStatus

SEED = 20261127
SUBJECTS = {
    ActivityType.CALL: ["Discovery call", "Follow-up call", "Check in on the decision", "Call"],
    ActivityType.EMAIL: ["Send the proposal", "Send the case study", "Answer the questions"],
    ActivityType.MEETING: ["Product demo", "Pricing meeting", "Meet the buying committee"],
    ActivityType.TASK: ["Prepare the quote", "Update the forecast notes", "Draft the contract"],
    ActivityType.DEADLINE: ["Proposal due", "Budget decision", "Contract signature"],
}
TYPE_WEIGHTS = [5, 4, 3, 2, 1]


def activities_exist() -> bool:
    # Deals' activities: the demo's leads come with their own (leads.demo).
    return Activity.objects.filter(deal__isnull=False).exists()


@transaction.atomic
def seed_demo_activities() -> int:
    """Create the demo's activities and their reminders; returns how many activities."""
    rng = random.Random(SEED)
    now = timezone.now()
    deals = list(Deal.objects.select_related("owner").order_by("pk"))
    activities: list[Activity] = []
    for deal in deals:
        end = deal.closed_at or now
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4])):
            when = deal.created_at + (end - deal.created_at) * rng.random()
            done_at = min(when + timedelta(hours=1), now)
            activities.append(make(rng, deal, when, done_at=done_at))
        if deal.status == DealStatus.OPEN and rng.random() < 0.8:
            offset_days = rng.choice([-6, -2, -1, 0, 0, 1, 1, 2, 3, 5, 8, 14, 30])
            activities.append(make(rng, deal, now + timedelta(days=offset_days)))
    Activity.objects.bulk_create(activities, batch_size=2000)
    reminders = []
    for activity in activities:
        if activity.done or activity.reminder_offset is None:
            continue
        tz = activity.assignee.zoneinfo
        if due_moment(due_date=activity.due_date, due_at=activity.due_at, tz=tz) <= now:
            continue
        remind_at = reminder_time(
            due_date=activity.due_date,
            due_at=activity.due_at,
            offset=activity.reminder_offset,
            tz=tz,
        )
        assert remind_at is not None  # an offset gives a time
        reminders.append(
            Reminder(activity=activity, recipient=activity.assignee, remind_at=remind_at)
        )
    Reminder.objects.bulk_create(reminders, batch_size=2000)
    return len(activities)


def make(rng: random.Random, deal: Deal, when: datetime, done_at=None) -> Activity:
    kind = rng.choices(list(SUBJECTS), weights=TYPE_WEIGHTS)[0]
    owner = deal.owner
    local = timezone.localtime(when, owner.zoneinfo)
    all_day = kind in (ActivityType.TASK, ActivityType.DEADLINE) or rng.random() < 0.2
    due_at = None
    if not all_day:
        wall = datetime.combine(local.date(), time(rng.randint(8, 17), rng.choice([0, 30])))
        due_at = wall.replace(tzinfo=owner.zoneinfo)
    return Activity(
        deal=deal,
        type=kind,
        subject=rng.choice(SUBJECTS[kind]),
        assignee=owner,
        created_by=owner,
        due_date=local.date(),
        due_at=due_at,
        duration=timedelta(minutes=rng.choice([30, 45, 60])) if kind == "meeting" else None,
        reminder_offset=None if done_at else owner.default_reminder_offset,
        done=done_at is not None,
        done_at=done_at,
        created_at=min(when, timezone.now()) - timedelta(days=rng.randint(1, 7)),
    )
