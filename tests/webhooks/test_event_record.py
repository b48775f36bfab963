"""Recording: the services write one outbox row per event, in their own transaction."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from activities.services import activity_complete
from contacts.models import Contact
from pipeline import services as deal_services
from pipeline.models import LostReason
from tests.activities.factories import make_activity
from tests.factories import make_organization
from webhooks.models import Event, ObjectKind, OutboxEvent
from webhooks.services import event_record

pytestmark = pytest.mark.django_db


def names() -> list[str]:
    return list(OutboxEvent.objects.order_by("id").values_list("name", flat=True))


def last_event() -> OutboxEvent:
    return OutboxEvent.objects.order_by("-id").first()


@time_machine.travel("2026-11-27 15:00:00+00:00", tick=False)
def test_creating_a_deal_records_deal_created_with_the_documented_payload(cast):
    stage = cast.pipeline.stages.order_by("order").first()
    organization = make_organization("Acme")
    deal = deal_services.deal_create(
        title="Big one",
        owner=cast.rep_a,
        stage=stage,
        value=Decimal("1234.5"),
        organization=organization,
        actor=cast.manager_a,
    )
    event = last_event()
    assert (event.name, event.object_kind, event.object_id, event.deal_id) == (
        "deal.created",
        ObjectKind.DEAL,
        deal.pk,
        deal.pk,
    )
    payload = event.payload
    assert payload["id"] == str(event.uuid)
    assert payload["name"] == "deal.created"
    assert payload["occurred_at"] == "2026-11-27T15:00:00Z"
    assert payload["actor"] == {"id": cast.manager_a.pk, "username": "manager_a"}
    data = payload["data"]
    assert data["value"] == "1234.50"
    assert data["currency"] == "USD"
    assert data["owner"] == {"id": cast.rep_a.pk, "username": "rep_a"}
    assert data["stage"] == {"id": stage.pk, "name": stage.name}
    assert data["pipeline"] == {"id": cast.pipeline.pk, "name": "Sales"}
    assert data["organization"] == {"id": organization.pk, "name": "Acme"}
    assert data["status"] == "open"
    assert data["created_at"] == "2026-11-27T15:00:00Z"
    assert data["closed_at"] is None
    assert data["version"] == 1


def test_the_outbox_row_rolls_back_with_the_change(cast):
    stage = cast.pipeline.stages.first()
    before = OutboxEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        deal_services.deal_create(
            title="Never", owner=cast.rep_a, stage=stage, value=Decimal("1"), actor=cast.rep_a
        )
        assert OutboxEvent.objects.count() == before + 1
        raise RuntimeError("the request failed after the write")
    assert OutboxEvent.objects.count() == before


def test_a_move_to_another_stage_is_deal_moved_and_a_reorder_records_nothing(cast):
    first, second = cast.pipeline.stages.order_by("order")[:2]
    deal = cast.deal_a
    OutboxEvent.objects.all().delete()
    deal = deal_services.deal_move(
        deal=deal, stage_id=second.pk, after_id=None, version=deal.version, actor=cast.rep_a
    )
    event = last_event()
    assert event.name == "deal.moved"
    assert event.payload["data"]["stage"] == {"id": second.pk, "name": second.name}
    assert event.payload["data"]["from_stage_id"] == first.pk
    deal_services.deal_move(
        deal=deal, stage_id=second.pk, after_id=None, version=deal.version, actor=cast.rep_a
    )
    assert names() == ["deal.moved"]


def test_closing_reopening_and_editing_a_deal_record_their_events(cast):
    OutboxEvent.objects.all().delete()
    deal = deal_services.deal_mark_won(deal=cast.deal_a, version=1, actor=cast.rep_a)
    deal = deal_services.deal_reopen(deal=deal, version=deal.version, actor=cast.rep_a)
    price = LostReason.objects.create(name="Price")
    deal = deal_services.deal_mark_lost(
        deal=deal, version=deal.version, reason=price, reason_text="20% over", actor=cast.rep_a
    )
    assert last_event().payload["data"]["lost_reason"] == "Price: 20% over"
    assert last_event().payload["data"]["status"] == "lost"
    deal_services.deal_update(deal=deal, version=deal.version, actor=cast.rep_a, title="Renamed")
    assert names() == ["deal.won", "deal.updated", "deal.lost", "deal.updated"]
    assert last_event().payload["data"]["title"] == "Renamed"


def test_a_reassigned_deal_announces_its_new_owner(cast):
    OutboxEvent.objects.all().delete()
    deal_services.deal_update(deal=cast.deal_a, version=1, actor=cast.manager_a, owner=cast.rep_a2)
    assert last_event().payload["data"]["owner"]["username"] == "rep_a2"


def test_scheduling_and_completing_an_activity_record_their_events(cast):
    OutboxEvent.objects.all().delete()
    activity = make_activity(deal=cast.deal_b, due_at=timezone.now() + timedelta(days=1))
    created = last_event()
    assert (created.name, created.object_kind, created.deal_id) == (
        "activity.created",
        ObjectKind.ACTIVITY,
        cast.deal_b.pk,
    )
    assert created.payload["data"]["assignee"]["username"] == "rep_b"
    assert created.payload["data"]["done"] is False
    assert activity_complete(activity=activity, actor=cast.rep_b)
    assert not activity_complete(activity=activity, actor=cast.rep_b)  # already done
    assert names() == ["activity.created", "activity.done"]
    done = last_event().payload["data"]
    assert done["done"] is True and done["done_at"].endswith("Z")


def test_contact_created_is_recorded_by_a_direct_call(cast):
    """The people branch's contact_create calls this; here the call is made directly."""
    contact = Contact.objects.create(
        organization=make_organization("Globex"), first_name="Ann", last_name="Lee"
    )
    event = event_record(name=Event.CONTACT_CREATED, obj=contact, actor=cast.rep_a)
    assert (event.object_kind, event.object_id, event.deal_id) == ("contact", contact.pk, None)
    assert event.payload["data"]["organization"]["name"] == "Globex"
    assert event.payload["data"]["last_name"] == "Lee"


def test_an_unknown_event_name_is_refused(cast):
    with pytest.raises(ValueError):
        event_record(name="deal.exploded", obj=cast.deal_a, actor=cast.rep_a)


def test_one_dispatch_is_requested_per_transaction(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for deal in (cast.deal_a, cast.deal_a2, cast.deal_b):
            deal_services.deal_update(deal=deal, version=1, actor=cast.admin, title="x")
    assert len(callbacks) == 1
