"""Deals: list (the board's filters), one, create, update and move."""

from typing import Annotated

from django.db.models import Q, QuerySet
from ninja import Field, Query, Router, Schema, Status

from api.custom import (
    checked_custom,
    custom_change,
    custom_filters,
    without_custom_form_fields,
)
from api.endpoints.common import ERRORS, Paging, reader, since, writer
from api.errors import refuse, valid
from api.pagination import page_of
from api.schemas import (
    DealCreateIn,
    DealLostIn,
    DealMoveIn,
    DealOut,
    DealPage,
    DealUpdateIn,
    DealVersionIn,
    Id,
    Text,
)
from customfields.queries import CustomFilter
from customfields.values import merge
from pipeline import services
from pipeline.access import deal_for_user
from pipeline.forms import DealForm, DealLostForm
from pipeline.models import Deal, DealStatus, Stage
from pipeline.queries import BoardFilters, lost_reasons_offered, with_drop_target
from teams.models import Team
from teams.queries import TerritoryTree

router = Router()
DEAL_FIELDS = list(DealOut.model_fields)


class DealFilters(Schema):
    pipeline: Id | None = None
    stage: Id | None = None
    owner: Id | None = None
    team: Id | None = None
    territory: Id | None = Field(None, description="Also the territories inside it.")
    status: DealStatus | None = None
    q: Text | None = Field(None, max_length=100, description="Title or organization name.")


def filtered_deals(
    user, filters: DealFilters, custom: list[CustomFilter] | None = None
) -> QuerySet[Deal]:
    """The deals `user` may see, narrowed like the board (filters only ever narrow), also by
    custom fields (`cf_<key>=value`)."""
    deals: QuerySet[Deal] = Deal.objects.visible_to(user)
    if user.is_manager and not user.is_admin:
        # Always true of visible deals, but with literal team ids PostgreSQL estimates a
        # narrow filter (one team's won deals) well and reads the owner and team indexes
        # instead of walking every deal by id (as reporting's ReportScope.narrowed does).
        managed = list(Team.objects.filter(manager=user).values_list("pk", flat=True))
        deals = deals.filter(Q(owner=user) | Q(team_id__in=managed))
    territory_ids: tuple[int, ...] = ()
    if filters.territory is not None:
        territory_ids = tuple(TerritoryTree.load().descendants_and_self(filters.territory))
    deals = BoardFilters(
        owner_id=filters.owner,
        team_id=filters.team,
        territory_ids=territory_ids,
        search=(filters.q or "").strip(),
        custom=tuple(custom or ()),
    ).apply(deals)
    if filters.pipeline is not None:
        deals = deals.filter(pipeline_id=filters.pipeline)
    if filters.stage is not None:
        deals = deals.filter(stage_id=filters.stage)
    if filters.status is not None:
        deals = deals.filter(status=filters.status)
    return deals


@router.get("", response={200: DealPage, **ERRORS}, summary="List deals")
def deal_list(request, paging: Paging, filters: Annotated[DealFilters, Query()]):
    """The deals you may see, newest first, `limit` at a time.

    `cf_<key>=value` narrows by a custom text, choice or user field, as on the deal list
    page (a multiple choice field: deals that include the value; a user field: the user's
    id); 422 for a field that cannot filter or a value no deal can have."""
    custom = custom_filters(request, "deal")
    deals = since(filtered_deals(reader(request), filters, custom), paging.updated_since)
    return page_of(deals, cursor=paging.cursor, limit=paging.limit, fields=DEAL_FIELDS)


@router.get("/{deal_id}", response={200: DealOut, **ERRORS}, summary="One deal")
def deal_detail(request, deal_id: Id):
    return deal_for_user(reader(request), deal_id)


def _form_data(deal: Deal | None, changes: dict, user) -> dict:
    """The deal form's fields: the deal's current values (or defaults), then the changes."""
    data: dict = {}
    if deal is not None:
        data = {
            "title": deal.title,
            "organization": deal.organization_id or "",
            "contact": deal.contact_id or "",
            "product": deal.product_id or "",
            "value": deal.value,
            "currency": deal.currency,
            "owner": deal.owner_id,
            "expected_close_date": deal.expected_close_date or "",
            "version": deal.version,
        }
    else:
        data = {"owner": user.pk, "currency": Deal._meta.get_field("currency").default}
    names = {
        "organization_id": "organization",
        "contact_id": "contact",
        "product_id": "product",
        "owner_id": "owner",
        "stage_id": "stage",
    }
    for name, value in changes.items():
        data[names.get(name, name)] = "" if value is None else value
    return {name: "" if value is None else str(value) for name, value in data.items()}


def _check_owner(user, owner_id: int | None) -> None:
    # The page's form disables the owner field for reps (it then keeps its initial value);
    # an API client is told instead of having the value ignored.
    if owner_id is not None and owner_id != user.pk and not (user.is_admin or user.is_manager):
        raise refuse("owner_id", "You may only own deals yourself.")


@router.post("", response={201: DealOut, **ERRORS}, summary="Create a deal")
def deal_create(request, payload: DealCreateIn):
    user = writer(request)
    _check_owner(user, payload.owner_id)
    stage = Stage.objects.select_related("pipeline").filter(pk=payload.stage_id).first()
    if stage is None:
        raise refuse("stage_id", "No such stage.")
    data = payload.dict(exclude_unset=True, exclude={"custom"})
    form = DealForm(_form_data(None, data, user), user=user, pipeline=stage.pipeline)
    custom, custom_errors = checked_custom(
        model=Deal, sent=payload.custom, partial=False, user=user
    )
    cleaned = valid(without_custom_form_fields(form), also=custom_errors)
    deal = services.deal_create(
        title=cleaned["title"],
        owner=cleaned["owner"],
        stage=cleaned["stage"],
        value=cleaned["value"],
        currency=cleaned["currency"],
        organization=cleaned["organization"],
        contact=cleaned["contact"],
        product=cleaned["product"],
        expected_close_date=cleaned["expected_close_date"],
        custom=merge({}, custom),
        actor=user,
    )
    return Status(201, deal)


@router.patch("/{deal_id}", response={200: DealOut, **ERRORS}, summary="Change a deal")
def deal_update(request, deal_id: Id, payload: DealUpdateIn):
    """Change a deal's details (not its stage: move it). Fields left out keep their value,
    and so do custom fields left out of `custom`."""
    user = writer(request)
    deal = deal_for_user(user, deal_id, write=True)
    _check_owner(user, payload.owner_id)
    changes = payload.dict(exclude_unset=True, exclude={"custom"})
    form = DealForm(
        _form_data(deal, changes, user), instance=deal, user=user, pipeline=deal.pipeline
    )
    custom, custom_errors = checked_custom(
        model=Deal, sent=payload.custom, partial=True, user=user, current=deal.custom
    )
    cleaned = valid(without_custom_form_fields(form), also=custom_errors)
    changed = {name: cleaned[name] for name in form.changed_data if name != "version"}
    # The service records custom changes in the deal's history under each field's label.
    changed |= custom_change(deal.custom, custom)
    services.deal_update(deal=deal, version=payload.version, actor=user, **changed)
    return deal_for_user(user, deal_id)


@router.post("/{deal_id}/move", response={200: DealOut, **ERRORS}, summary="Move a deal")
def deal_move(request, deal_id: Id, payload: DealMoveIn):
    """Move an open deal to a stage of its pipeline, after card `after_id` (or on top), as
    a drag on the board does: 409 when `version` is not the deal's current version."""
    user = writer(request)
    # Read with where it lands, in one query, as the board does (`deal_card_for_user`).
    drop = (payload.stage_id, payload.after_id)
    rows = with_drop_target(Deal.objects.all(), stage_id=drop[0], after_id=drop[1], actor=user)
    deal = deal_for_user(user, deal_id, write=True, deals=rows)
    deal.drop_for = drop  # type: ignore[attr-defined]
    return services.deal_move(
        deal=deal,
        stage_id=payload.stage_id,
        after_id=payload.after_id,
        version=payload.version,
        actor=user,
    )


@router.post("/{deal_id}/won", response={200: DealOut, **ERRORS}, summary="Mark a deal won")
def deal_mark_won(request, deal_id: Id, payload: DealVersionIn):
    user = writer(request)
    deal = deal_for_user(user, deal_id, write=True)
    return services.deal_mark_won(deal=deal, version=payload.version, actor=user)


@router.post("/{deal_id}/lost", response={200: DealOut, **ERRORS}, summary="Mark a deal lost")
def deal_mark_lost(request, deal_id: Id, payload: DealLostIn):
    """Close it as lost, for one of the offered reasons or, without one, a reason in text."""
    user = writer(request)
    deal = deal_for_user(user, deal_id, write=True)
    form = DealLostForm(
        {
            "version": str(payload.version),
            "reason": str(payload.lost_reason_id or DealLostForm.OTHER),
            "reason_text": payload.lost_reason_text,
        },
        reasons=lost_reasons_offered(),
    )
    cleaned = valid(form)
    return services.deal_mark_lost(
        deal=deal,
        version=payload.version,
        reason=cleaned["reason"],
        reason_text=cleaned["reason_text"],
        actor=user,
    )


@router.post("/{deal_id}/reopen", response={200: DealOut, **ERRORS}, summary="Reopen a deal")
def deal_reopen(request, deal_id: Id, payload: DealVersionIn):
    """Put a won or lost deal back on the board, in the stage it was closed from."""
    user = writer(request)
    deal = deal_for_user(user, deal_id, write=True)
    return services.deal_reopen(deal=deal, version=payload.version, actor=user)
