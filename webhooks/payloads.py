"""The JSON documents webhooks receive: one shape per kind of object, documented in the README.

Built from the object as the service just wrote it, inside the same transaction, so they
read only what the caller already loaded (a deal's owner, stage, pipeline and organization
are loaded by every path that changes a deal). Money is a string with its decimals,
datetimes are ISO 8601 in UTC with a `Z`, dates ISO 8601, ids numbers.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from activities.models import Activity
from contacts.models import Contact
from pipeline.models import Deal, DealStatus


def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def user_data(user) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username}


def deal_data(deal: Deal) -> dict[str, Any]:
    organization = deal.organization
    return {
        "id": deal.pk,
        "title": deal.title,
        "value": money(deal.value),
        "currency": deal.currency,
        "status": deal.status,
        "lost_reason": deal.lost_reason_label if deal.status == DealStatus.LOST else "",
        "pipeline": {"id": deal.pipeline_id, "name": deal.pipeline.name},
        "stage": {"id": deal.stage_id, "name": deal.stage.name},
        "owner": user_data(deal.owner),
        "team_id": deal.team_id,
        "territory_id": deal.territory_id,
        "organization": (
            None if organization is None else {"id": organization.pk, "name": organization.name}
        ),
        "contact_id": deal.contact_id,
        "product_id": deal.product_id,
        "expected_close_date": iso(deal.expected_close_date),
        "created_at": iso(deal.created_at),
        "stage_entered_at": iso(deal.stage_entered_at),
        "closed_at": iso(deal.closed_at),
        "version": deal.version,
    }


def activity_data(activity: Activity) -> dict[str, Any]:
    return {
        "id": activity.pk,
        "type": activity.type,
        "subject": activity.subject,
        "note": activity.note,
        "deal_id": activity.deal_id,
        "lead_id": activity.lead_id,
        "assignee": user_data(activity.assignee),
        "due_date": iso(activity.due_date),
        "due_at": iso(activity.due_at),
        "duration_minutes": (
            None if activity.duration is None else int(activity.duration.total_seconds() // 60)
        ),
        "done": activity.done,
        "done_at": iso(activity.done_at),
        "created_at": iso(activity.created_at),
    }


def contact_data(contact: Contact) -> dict[str, Any]:
    organization = contact.organization
    return {
        "id": contact.pk,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "job_title": contact.job_title,
        "email": contact.email,
        "phone": contact.phone,
        "organization": {"id": organization.pk, "name": organization.name},
    }
