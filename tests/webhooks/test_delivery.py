"""Delivery: the signed POST, what each answer does, retries with backoff, disabling."""

import hashlib
import hmac
import json
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from activities.models import Notification
from pipeline import services as deal_services
from tests.webhooks.conftest import make_webhook, verify
from webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from webhooks.services import delivery_attempt, events_fan_out, retry_delay, sign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_targets")]

START = "2026-11-27 15:00:00+00:00"


def one_delivery(cast, receiver, **webhook) -> WebhookDelivery:
    """rep_b's webhook to the receiver, and one deal.updated event for it, fanned out."""
    hook = make_webhook(
        cast.rep_b,
        url=receiver.url,
        created_at=timezone.now() - timedelta(minutes=1),
        **webhook,
    )
    deal_services.deal_update(deal=cast.deal_b, version=1, actor=cast.rep_b, title="Signed")
    events_fan_out()
    return WebhookDelivery.objects.get(webhook=hook)


def answering(*statuses):
    """A receiver answer: these statuses for the first arrivals of a delivery, then 200."""

    def answer(delivery_id, count):
        return (statuses[count - 1] if count <= len(statuses) else 200), 0

    return answer


def test_a_delivery_posts_the_event_signed_with_the_webhooks_secret(cast, receiver):
    delivery = one_delivery(cast, receiver)
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.SUCCEEDED
    [request] = receiver.requests
    headers = request.headers
    assert headers["Content-Type"] == "application/json"
    assert headers["X-CRM-Event"] == "deal.updated"
    assert headers["X-CRM-Delivery"] == str(delivery.uuid)
    assert headers["Host"] == f"127.0.0.1:{receiver.server.server_address[1]}"
    # Recomputed here from the raw body and the secret, as a receiver would.
    assert verify(delivery.webhook.secret, headers["X-CRM-Signature"], request.body)
    assert not verify("whsec_wrong", headers["X-CRM-Signature"], request.body)
    assert not verify(delivery.webhook.secret, headers["X-CRM-Signature"], request.body + b" ")
    assert request.json == delivery.event.payload
    assert request.json["data"]["title"] == "Signed"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.last_status_code == 200
    assert delivery.last_response == "ok"
    assert delivery.delivered_at is not None and delivery.last_duration is not None
    assert delivery.attempts == 1 and delivery.lease_token is None


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(b"whsec_test", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert sign("whsec_test", 1700000000, b'{"a":1}') == f"t=1700000000,v1={expected}"


def test_a_delivered_event_is_not_sent_again(cast, receiver):
    delivery = one_delivery(cast, receiver)
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.SUCCEEDED
    assert delivery_attempt(delivery_id=delivery.pk) is None  # a retried task
    assert len(receiver.requests) == 1


def test_a_delivery_held_by_another_worker_is_left_alone_until_its_lease_runs_out(
    cast, receiver, settings
):
    delivery = one_delivery(cast, receiver)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        lease_token=uuid.uuid4(), leased_until=timezone.now() + timedelta(seconds=60)
    )
    assert delivery_attempt(delivery_id=delivery.pk) is None
    assert receiver.requests == []
    # That worker died: after the lease the delivery goes out, with the same delivery id.
    later = timezone.now() + timedelta(seconds=61)
    assert delivery_attempt(delivery_id=delivery.pk, now=later) == DeliveryStatus.SUCCEEDED
    assert receiver.requests[0].headers["X-CRM-Delivery"] == str(delivery.uuid)


def test_retry_delays_follow_the_schedule_with_ten_percent_jitter(settings):
    settings.WEBHOOK_RETRY_DELAYS = [60, 300, 1800, 7200, 43200]
    for attempt, seconds in enumerate([60, 300, 1800, 7200, 43200], start=1):
        assert retry_delay(attempt, rand=0.5) == timedelta(seconds=seconds)
        assert retry_delay(attempt, rand=0.0) == timedelta(seconds=seconds * 0.9)
        assert retry_delay(attempt, rand=1.0) == timedelta(seconds=seconds * 1.1)
    assert retry_delay(6) is None


def test_a_failing_receiver_is_retried_on_the_backoff_schedule_then_given_up(
    cast, receiver, settings
):
    receiver.answer = answering(*[500] * 10)
    with time_machine.travel(START, tick=False) as clock:
        delivery = one_delivery(cast, receiver)
        waits = []
        for _ in range(6):
            status = delivery_attempt(delivery_id=delivery.pk)
            delivery.refresh_from_db()
            if status == DeliveryStatus.FAILED:
                wait = delivery.next_attempt_at - timezone.now()
                waits.append(wait)
                # Not due before its time.
                assert delivery_attempt(delivery_id=delivery.pk) is None
                clock.shift(wait)
    expected = [60, 300, 1800, 7200, 43200]
    assert len(waits) == 5
    for wait, seconds in zip(waits, expected, strict=True):
        assert timedelta(seconds=seconds * 0.9) <= wait <= timedelta(seconds=seconds * 1.1)
    assert delivery.status == DeliveryStatus.GIVEN_UP
    assert delivery.attempts == 6
    assert delivery.last_status_code == 500
    assert "Given up after 6 attempts" in delivery.last_error
    assert len(receiver.requests) == 6
    assert {r.headers["X-CRM-Delivery"] for r in receiver.requests} == {str(delivery.uuid)}
    assert Webhook.objects.get().consecutive_failures == 1


def test_a_receiver_that_recovers_gets_the_event_on_a_retry(cast, receiver):
    receiver.answer = answering(503, 500)
    with time_machine.travel(START, tick=False) as clock:
        delivery = one_delivery(cast, receiver)
        assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.FAILED
        clock.shift(timedelta(minutes=2))
        assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.FAILED
        clock.shift(timedelta(minutes=6))
        assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.SUCCEEDED
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (3, 200, "")


def test_410_gone_gives_up_and_disables_the_webhook_with_a_notification(cast, receiver):
    receiver.answer = answering(410)
    delivery = one_delivery(cast, receiver)
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.GIVEN_UP
    webhook = Webhook.objects.get()
    assert not webhook.active and webhook.disabled_at is not None
    assert "410" in webhook.disabled_reason
    notification = Notification.objects.get(recipient=cast.rep_b)
    assert receiver.url in notification.text and "disabled" in notification.text


def test_a_webhook_is_disabled_after_deliveries_fail_for_good_in_a_row(cast, receiver, settings):
    settings.WEBHOOK_RETRY_DELAYS = []  # give up after the first attempt
    settings.WEBHOOK_DISABLE_AFTER = 3
    receiver.answer = answering(*[500] * 100)
    hook = make_webhook(
        cast.rep_b, url=receiver.url, created_at=timezone.now() - timedelta(minutes=1)
    )
    deal = cast.deal_b
    for index in range(3):
        deal = deal_services.deal_update(
            deal=deal, version=deal.version, actor=cast.rep_b, title=f"Edit {index}"
        )
        events_fan_out()
        delivery = WebhookDelivery.objects.filter(webhook=hook).order_by("-id").first()
        assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.GIVEN_UP
        hook.refresh_from_db()
        assert hook.active == (index < 2)
    assert hook.consecutive_failures == 3
    assert "3 deliveries in a row" in hook.disabled_reason
    assert Notification.objects.filter(recipient=cast.rep_b).count() == 1


def test_a_success_clears_the_failure_count(cast, receiver, settings):
    settings.WEBHOOK_RETRY_DELAYS = []
    delivery = one_delivery(cast, receiver)
    Webhook.objects.update(consecutive_failures=4)
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.SUCCEEDED
    assert Webhook.objects.get().consecutive_failures == 0


def test_a_redirect_is_not_followed_and_counts_as_a_failure(cast, receiver):
    receiver.answer = answering(302)
    delivery = one_delivery(cast, receiver)
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert "redirects are not followed" in delivery.last_error
    assert len(receiver.requests) == 1


def test_a_refused_connection_is_retried(cast, receiver):
    delivery = one_delivery(cast, receiver)
    receiver.server.shutdown()
    receiver.server.server_close()
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert delivery.last_status_code is None
    assert "Connection" in delivery.last_error or "refused" in delivery.last_error


def test_a_private_target_is_refused_at_delivery_time(cast, receiver, settings):
    delivery = one_delivery(cast, receiver)
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert "loopback" in delivery.last_error
    assert receiver.requests == []


def test_a_webhook_disabled_after_queueing_sends_nothing_and_keeps_the_delivery(cast, receiver):
    delivery = one_delivery(cast, receiver)
    Webhook.objects.update(active=False, disabled_at=timezone.now())
    assert delivery_attempt(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.lease_token) == ("pending", 0, None)
    assert receiver.requests == []


def test_an_owner_who_no_longer_sees_the_deal_is_not_sent_it(cast, receiver):
    delivery = one_delivery(cast, receiver)
    # The deal changes hands after the fan-out: rep_b may no longer see it.
    deal = cast.deal_b
    deal.refresh_from_db()
    deal_services.deal_update(deal=deal, version=deal.version, actor=cast.admin, owner=cast.rep_a)
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.GIVEN_UP
    delivery.refresh_from_db()
    assert "can no longer see" in delivery.last_error
    assert receiver.requests == []


def test_the_body_is_the_same_bytes_on_every_attempt(cast, receiver):
    receiver.answer = answering(500)
    with time_machine.travel(START, tick=False) as clock:
        delivery = one_delivery(cast, receiver)
        delivery_attempt(delivery_id=delivery.pk)
        clock.shift(timedelta(minutes=2))
        delivery_attempt(delivery_id=delivery.pk)
    first, second = receiver.requests
    assert first.body == second.body
    assert json.loads(first.body) == delivery.event.payload
    assert (first.headers["X-CRM-Attempt"], second.headers["X-CRM-Attempt"]) == ("1", "2")
