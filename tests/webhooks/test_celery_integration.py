"""Webhooks through real Celery worker and beat processes, Redis and PostgreSQL, to a local
HTTP receiver (allowed by WEBHOOKS_ALLOW_PRIVATE_TARGETS in the processes' environment)."""

import time
from collections import Counter

import pytest

from pipeline import services as deal_services
from tests.activities.processes import CeleryProcesses
from tests.webhooks.conftest import make_webhook, verify
from webhooks.models import DeliveryStatus, OutboxEvent, WebhookDelivery

pytestmark = [
    pytest.mark.services,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("requires_postgres"),
]

ENV = {
    "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "1",
    "WEBHOOK_DISPATCH_SECONDS": "1",
    "WEBHOOK_LEASE_SECONDS": "3",
    "WEBHOOK_RETRY_DELAYS": "1,1,1,1,1",
}


@pytest.fixture
def processes(redis_url, tmp_path, transactional_db):
    processes = CeleryProcesses(redis_url=redis_url, directory=tmp_path, **ENV)
    yield processes
    processes.stop_all()
    processes.forget_queue()


def record_events(cast, receiver, count: int):
    """An admin's webhook to the receiver (it sees every deal), then `count` events."""
    webhook = make_webhook(cast.admin, url=receiver.url)
    deal = cast.deal_a
    for index in range(count):
        deal = deal_services.deal_update(
            deal=deal, version=deal.version, actor=cast.rep_a, title=f"Edit {index}"
        )
    assert OutboxEvent.objects.filter(name="deal.updated").count() == count
    return webhook


def all_delivered(count: int):
    return lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == count


def assert_each_event_delivered_once(webhook, receiver, count: int) -> None:
    deliveries = WebhookDelivery.objects.filter(webhook=webhook)
    assert deliveries.count() == count
    assert set(deliveries.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}
    accepted = [r for r in receiver.requests if r.json["name"] == "deal.updated"]
    # Every event arrived, each under one delivery id, and every arrival is signed.
    assert len({r.headers["X-CRM-Delivery"] for r in accepted}) == count
    assert len({r.json["id"] for r in accepted}) == count
    for request in accepted:
        assert verify(webhook.secret, request.headers["X-CRM-Signature"], request.body)
    by_delivery: dict[str, set[bytes]] = {}
    for request in accepted:
        by_delivery.setdefault(request.headers["X-CRM-Delivery"], set()).add(request.body)
    assert all(len(bodies) == 1 for bodies in by_delivery.values())


def test_worker_and_beat_deliver_each_event_once_with_a_valid_signature(cast, receiver, processes):
    webhook = record_events(cast, receiver, 30)
    processes.worker()
    processes.beat()
    processes.wait_for(all_delivered(30), "every event to be delivered")
    time.sleep(4)  # past a lease and several dispatches: nothing more may go out
    processes.stop_all()
    assert_each_event_delivered_once(webhook, receiver, 30)
    assert len(receiver.requests) == 30


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_only_in_flight_posts(
    cast, receiver, processes
):
    """SIGKILL the worker while both pool processes wait for the receiver; a new worker
    delivers the rest. Only a POST the receiver had taken when the worker died can arrive
    twice (the window the README documents), and then with the same delivery id."""
    receiver.answer = lambda delivery_id, count: (200, 0.4)
    webhook = record_events(cast, receiver, 30)
    worker = processes.worker()
    processes.beat()
    processes.wait_for(lambda: len(receiver.requests) >= 8, "the first deliveries")
    processes.kill(worker)
    delivered_before = WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count()
    assert delivered_before < 30

    processes.worker("worker-restarted")
    processes.wait_for(all_delivered(30), "the restarted worker to deliver the rest")
    time.sleep(4)  # past another lease: the dead worker's claims must not go out again
    processes.stop_all()
    assert_each_event_delivered_once(webhook, receiver, 30)
    repeated = {
        d: n
        for d, n in Counter(r.headers["X-CRM-Delivery"] for r in receiver.requests).items()
        if n > 1
    }
    assert sum(repeated.values()) - len(repeated) <= 2, repeated  # the two in flight at most


def test_a_receiver_that_fails_first_gets_each_event_on_a_retry(cast, receiver, processes):
    receiver.answer = lambda delivery_id, count: (500 if count <= 2 else 200, 0)
    webhook = record_events(cast, receiver, 10)
    processes.worker()
    processes.beat()
    processes.wait_for(all_delivered(10), "the retries to succeed")
    time.sleep(3)
    processes.stop_all()
    assert_each_event_delivered_once(webhook, receiver, 10)
    assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {3}
    arrivals = Counter(r.headers["X-CRM-Delivery"] for r in receiver.requests)
    assert set(arrivals.values()) == {3}
