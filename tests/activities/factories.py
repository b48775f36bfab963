"""Builders for activities, through the services so that reminders are armed as in the app."""

from datetime import date, datetime, timedelta

from activities.models import Activity, ActivityType
from activities.services import activity_create
from leads.models import Lead
from pipeline.models import Deal
from teams.models import User


def make_activity(
    *,
    deal: Deal | None = None,
    lead: Lead | None = None,
    assignee: User | None = None,
    due_at: datetime | None = None,
    due_date: date | None = None,
    reminder_offset: int | None = None,
    type: str = ActivityType.CALL,
    subject: str = "Call the buyer",
    duration: timedelta | None = None,
    note: str = "",
) -> Activity:
    about = deal if deal is not None else lead
    assert about is not None, "give a deal or a lead"
    assignee = assignee or about.owner
    if due_date is None:
        if due_at is None:
            raise ValueError("give due_at or due_date")
        due_date = due_at.date()
    return activity_create(
        deal=deal,
        lead=lead,
        actor=assignee,
        type=type,
        subject=subject,
        assignee=assignee,
        due_date=due_date,
        due_at=due_at,
        duration=duration,
        reminder_offset=reminder_offset,
        note=note,
    )
