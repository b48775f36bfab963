"""Activities on deals: list, one, schedule, mark done (activities.access, activities.services)."""

from typing import Annotated

from ninja import Query, Router, Schema, Status

from activities import services
from activities.access import activity_for_user
from activities.forms import ActivityForm
from activities.models import Activity
from api.endpoints.common import ERRORS, Paging, reader, since, writer
from api.errors import valid
from api.pagination import page_of
from api.schemas import ActivityIn, ActivityOut, ActivityPage, Id
from pipeline.access import deal_for_user
from pipeline.models import Deal

router = Router()


class ActivityFilters(Schema):
    deal: Id | None = None
    assignee: Id | None = None
    done: bool | None = None


@router.get("", response={200: ActivityPage, **ERRORS}, summary="List activities")
def activity_list(request, paging: Paging, filters: Annotated[ActivityFilters, Query()]):
    """Activities on the deals you may see (an activity is visible exactly when its deal is)."""
    user = reader(request)
    rows = Activity.objects.filter(deal__in=Deal.objects.visible_to(user).values("pk"))
    if filters.deal is not None:
        rows = rows.filter(deal_id=filters.deal)
    if filters.assignee is not None:
        rows = rows.filter(assignee_id=filters.assignee)
    if filters.done is not None:
        rows = rows.filter(done=filters.done)
    return page_of(since(rows, paging.updated_since), cursor=paging.cursor, limit=paging.limit)


@router.get("/{activity_id}", response={200: ActivityOut, **ERRORS}, summary="One activity")
def activity_detail(request, activity_id: Id):
    return activity_for_user(reader(request), activity_id)


@router.post(
    "/{activity_id}/done", response={200: ActivityOut, **ERRORS}, summary="Mark an activity done"
)
def activity_done(request, activity_id: Id):
    """Mark it done (and cancel its reminder); done already: nothing changes."""
    user = writer(request)
    activity = activity_for_user(user, activity_id, write=True)
    services.activity_complete(activity=activity, actor=user)
    return activity


deal_activities = Router()


@deal_activities.post(
    "/{deal_id}/activities",
    response={201: ActivityOut, **ERRORS},
    summary="Schedule an activity on a deal",
)
def activity_create(request, deal_id: Id, payload: ActivityIn):
    user = writer(request)
    deal = deal_for_user(user, deal_id, write=True)
    data = payload.dict()
    form_data = {
        "type": data["type"],
        "subject": data["subject"],
        "due_date": data["due_date"].isoformat(),
        "due_time": data["due_time"] or "",
        "duration": data["duration_minutes"] or "",
        "assignee": data["assignee_id"] or deal.owner_id,
        "reminder_offset": "" if data["reminder_offset"] is None else data["reminder_offset"],
        "note": data["note"],
    }
    form = ActivityForm({k: str(v) for k, v in form_data.items()}, about=deal, user=user)
    valid(form)
    activity = services.activity_create(actor=user, deal=deal, **form.service_kwargs())
    return Status(201, activity)
