"""Fan-out: one delivery per matching webhook whose owner may see the object, and no more."""

from datetime import timedelta

import pytest
from django.utils import timezone

from contacts import services as contact_services
from contacts.models import Contact
from pipeline import services as deal_services
from tests.activities.factories import make_activity
from tests.factories import make_organization
from tests.webhooks.conftest import make_webhook
from webhooks.models import Event, OutboxEvent, WebhookDelivery
from webhooks.services import event_record, events_fan_out, webhooks_dispatch

pytestmark = pytest.mark.django_db

CAST = ["rep_a", "rep_a2", "rep_b", "manager_a", "manager_b", "admin"]


@pytest.fixture
def hooks(cast):
    """A webhook for every user of the cast, subscribed to everything, made before the events."""
    return {
        name: make_webhook(cast.user(name), created_at=timezone.now() - timedelta(hours=1))
        for name in CAST
    }


def receivers(event: OutboxEvent) -> set[str]:
    return set(
        WebhookDelivery.objects.filter(event=event).values_list(
            "webhook__owner__username", flat=True
        )
    )


@pytest.mark.parametrize(
    ("deal", "expected"),
    [
        ("deal_a", {"rep_a", "manager_a", "admin"}),
        ("deal_a2", {"rep_a2", "manager_a", "admin"}),
        ("deal_b", {"rep_b", "manager_b", "admin"}),
    ],
)
def test_a_deal_event_reaches_only_webhooks_whose_owner_sees_the_deal(cast, hooks, deal, expected):
    deal_services.deal_update(deal=cast.deal(deal), version=1, actor=cast.admin, title="New")
    events_fan_out()
    assert receivers(OutboxEvent.objects.get(name="deal.updated")) == expected


def test_an_activity_event_follows_the_visibility_of_its_deal(cast, hooks):
    make_activity(deal=cast.deal_b, due_at=timezone.now() + timedelta(days=1))
    events_fan_out()
    assert receivers(OutboxEvent.objects.get(name="activity.created")) == {
        "rep_b",
        "manager_b",
        "admin",
    }


def test_an_ownerless_contact_event_reaches_admins_only(cast, hooks):
    contact = Contact.objects.create(
        organization=make_organization(), first_name="Ann", last_name="Lee"
    )
    event = event_record(name=Event.CONTACT_CREATED, obj=contact, actor=cast.rep_a)
    events_fan_out()
    assert receivers(event) == {"admin"}


def test_creating_a_contact_records_the_event_that_follows_the_contacts_visibility(cast, hooks):
    contact_services.contact_create(
        actor=cast.rep_a, organization=make_organization(), first_name="Ann", last_name="Lee"
    )
    events_fan_out()
    event = OutboxEvent.objects.get(name="contact.created")
    assert event.payload["data"]["first_name"] == "Ann"
    assert receivers(event) == {"rep_a", "manager_a", "admin"}


def test_an_activity_on_a_lead_follows_the_visibility_of_the_lead(cast, hooks):
    from tests.leads.factories import make_lead

    lead = make_lead(owner=cast.rep_b, title="Warm lead")
    make_activity(lead=lead, due_at=timezone.now() + timedelta(days=1))
    events_fan_out()
    event = OutboxEvent.objects.get(name="activity.created")
    assert (event.payload["data"]["lead_id"], event.payload["data"]["deal_id"]) == (lead.pk, None)
    assert receivers(event) == {"rep_b", "manager_b", "admin"}


def test_unsubscribed_disabled_and_later_webhooks_get_nothing(cast):
    earlier = timezone.now() - timedelta(hours=1)
    make_webhook(cast.rep_a, events=[Event.DEAL_WON], created_at=earlier)
    make_webhook(cast.manager_a, active=False, disabled_at=earlier, created_at=earlier)
    deal_services.deal_update(deal=cast.deal_a, version=1, actor=cast.rep_a, title="New")
    make_webhook(cast.admin)  # registered after the event happened
    events_fan_out()
    assert not WebhookDelivery.objects.exists()
    assert not OutboxEvent.objects.filter(fanned_out_at__isnull=True).exists()


def test_an_inactive_owners_webhook_gets_nothing(cast, hooks):
    cast.rep_a.is_active = False
    cast.rep_a.save()
    deal_services.deal_update(deal=cast.deal_a, version=1, actor=cast.manager_a, title="New")
    events_fan_out()
    assert receivers(OutboxEvent.objects.get(name="deal.updated")) == {"manager_a", "admin"}


def test_fanning_out_twice_writes_each_delivery_once(cast, hooks):
    deal_services.deal_update(deal=cast.deal_a, version=1, actor=cast.rep_a, title="New")
    assert events_fan_out() == 1
    assert events_fan_out() == 0
    # Even an event handed out again (a crash between the two writes) adds no second row.
    OutboxEvent.objects.update(fanned_out_at=None)
    assert events_fan_out() == 1
    assert WebhookDelivery.objects.count() == 3


def test_dispatch_queues_each_due_delivery_once_under_a_lease(
    cast, hooks, settings, django_capture_on_commit_callbacks
):
    deal_services.deal_update(deal=cast.deal_b, version=1, actor=cast.rep_b, title="New")
    with django_capture_on_commit_callbacks() as queued:
        assert webhooks_dispatch() == 3
    assert len(queued) == 3
    lease_end = timezone.now() + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    for leased_until in WebhookDelivery.objects.values_list("leased_until", flat=True):
        assert abs(leased_until - lease_end) < timedelta(seconds=5)
    # Queued and leased: the next dispatch leaves them alone until the lease runs out.
    with django_capture_on_commit_callbacks() as queued_again:
        assert webhooks_dispatch() == 0
    assert not queued_again
    later = timezone.now() + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS + 1)
    assert webhooks_dispatch(now=later) == 3


def test_dispatch_skips_the_deliveries_of_a_disabled_webhook(cast, hooks):
    deal_services.deal_update(deal=cast.deal_b, version=1, actor=cast.rep_b, title="New")
    events_fan_out()
    hooks["admin"].active = False
    hooks["admin"].disabled_at = timezone.now()
    hooks["admin"].save()
    assert webhooks_dispatch() == 2
