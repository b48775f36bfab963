"""Every write to webhooks, their outbox and their deliveries goes through a function here.

How an event reaches a receiver once
------------------------------------
1. A service that changes a deal, an activity or a contact calls `event_record`, which
   writes one `OutboxEvent` row (its JSON built now) in the caller's transaction: the event
   exists exactly when the change does. After the commit it asks for a dispatch.
2. `webhooks_dispatch` (beat every WEBHOOK_DISPATCH_SECONDS, and those on-commit requests)
   claims waiting events with `SELECT ... FOR UPDATE SKIP LOCKED` and, in the same
   transaction, writes one `WebhookDelivery` per active webhook that subscribes to the
   event, existed when it happened, and whose owner may see the object now (one SQL query
   over `Deal.objects.visible_to` for the whole batch). The delivery is unique per webhook
   and event, and the event is marked fanned out in that transaction.
3. It then claims due deliveries (pending, or failed and due for a retry; no live lease)
   the same way, sets their lease and queues one `deliver_webhook` task per id on commit.
4. `delivery_attempt` claims the delivery with a conditional update that sets a fresh lease
   token, POSTs outside any transaction (a slow receiver holds no lock), and records the
   answer with an update that only the holder of that token can make: 2xx succeeded, 410
   given up and the webhook disabled, anything else retried after a backoff, then given up.

A retried or duplicated task finds nothing to claim. A worker killed mid-delivery leaves
the lease to run out (WEBHOOK_LEASE_SECONDS); the delivery is then sent again, with the same
`X-CRM-Delivery` id. That is the one window no database closes: the receiver accepted the
POST and the worker died before recording it. Receivers de-duplicate on that id.
"""

import hashlib
import hmac
import json
import logging
import random
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Model, Q
from django.utils import timezone

from activities.models import Activity, Notification
from contacts.access import contacts_visible_to
from contacts.models import Contact
from leads.models import Lead
from pipeline.access import visible_pairs
from pipeline.models import Deal, DealStatus
from teams.models import User
from webhooks import payloads, transport
from webhooks.models import (
    DUE_STATUSES,
    PING,
    DeliveryStatus,
    Event,
    ObjectKind,
    OutboxEvent,
    Webhook,
    WebhookDelivery,
    new_secret,
)

log = logging.getLogger(__name__)

FAN_OUT_BATCH = 500  # events claimed per transaction
DISPATCH_BATCH = 500  # deliveries queued per transaction
USER_AGENT = "CRM-Webhooks/1"


# Recording -------------------------------------------------------------------------------

# What a change of a deal's status announces: reopening is an update of the deal.
STATUS_EVENTS = {
    DealStatus.WON: Event.DEAL_WON,
    DealStatus.LOST: Event.DEAL_LOST,
    DealStatus.OPEN: Event.DEAL_UPDATED,
}


def deal_status_event(status: str) -> str:
    """The event a deal's new status announces (won, lost, or updated when reopened)."""
    return STATUS_EVENTS[DealStatus(status)]


def event_payload(
    *,
    name: str,
    obj: Model,
    actor: User | None,
    event_id: uuid.UUID,
    occurred_at: datetime,
    extra: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    """The object's kind and the document to send."""
    kind, data = object_data(obj)
    document = {
        "id": str(event_id),
        "name": name,
        "occurred_at": payloads.iso(occurred_at),
        "actor": payloads.user_data(actor),
        "data": data,
    }
    if extra:
        document["data"] = {**data, **extra}
    return kind, document


def object_data(obj: Model) -> tuple[str, dict[str, Any]]:
    if isinstance(obj, Deal):
        return ObjectKind.DEAL, payloads.deal_data(obj)
    if isinstance(obj, Activity):
        return ObjectKind.ACTIVITY, payloads.activity_data(obj)
    if isinstance(obj, Contact):
        return ObjectKind.CONTACT, payloads.contact_data(obj)
    raise TypeError(f"No webhook event describes a {obj.__class__.__name__}.")


def event_record(
    *,
    name: str,
    obj: Model,
    actor: User | None,
    extra: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> OutboxEvent:
    """Record that `name` happened to `obj`, in the caller's transaction (one INSERT).

    The JSON receivers get is built now, from `obj` as the caller wrote it; `extra` adds
    fields to its `data`. Fanning it out to webhooks happens later, in a worker.
    """
    if name not in Event.values:
        raise ValueError(f"Unknown webhook event {name!r}.")
    now = now or timezone.now()
    event_id = uuid.uuid4()
    kind, document = event_payload(
        name=name, obj=obj, actor=actor, event_id=event_id, occurred_at=now, extra=extra
    )
    event = OutboxEvent.objects.create(
        uuid=event_id,
        name=name,
        object_kind=kind,
        object_id=obj.pk,
        deal_id=obj.pk if kind == ObjectKind.DEAL else getattr(obj, "deal_id", None),
        lead_id=obj.lead_id if isinstance(obj, Activity) else None,
        payload=document,
        created_at=now,
    )
    dispatch_after_commit()
    return event


def dispatch_after_commit() -> None:
    """Ask for a dispatch once the current transaction commits (once per transaction)."""
    pending = connection.run_on_commit if connection.in_atomic_block else []
    if any(entry[1] is _request_dispatch for entry in pending):
        return
    transaction.on_commit(_request_dispatch, robust=True)


def _request_dispatch() -> None:
    from webhooks.tasks import dispatch_webhooks

    # Beat dispatches every few seconds anyway: a broker that is down must not slow down or
    # fail the request that committed the change.
    dispatch_webhooks.apply_async(retry=False, expires=max(settings.WEBHOOK_DISPATCH_SECONDS, 30))


# Fan-out ---------------------------------------------------------------------------------


def visible_events(pairs: list[tuple[Webhook, OutboxEvent]]) -> set[tuple[int, int]]:
    """Which (webhook, event) pairs name an object the webhook's owner may see now, as
    (webhook id, event id) pairs. One query each for the batch's deals, leads and contacts:
    a deal's events and its activities' follow the deal, a lead's activities the lead."""
    deals = [(w.owner, e.deal_id) for w, e in pairs if e.deal_id is not None]
    leads = [(w.owner, e.lead_id) for w, e in pairs if e.deal_id is None and e.lead_id]
    contacts = [(w.owner, e.object_id) for w, e in pairs if e.object_kind == ObjectKind.CONTACT]
    seen = {
        "deal": visible_pairs(deals) if deals else set(),
        "lead": visible_pairs(leads, visible=Lead.objects.visible_to) if leads else set(),
        "contact": (
            visible_pairs(contacts, visible=lambda u: contacts_visible_to(u, per_row=True))
            if contacts
            else set()
        ),
    }
    visible = set()
    for webhook, event in pairs:
        if event.deal_id is not None:
            decided_by = ("deal", event.deal_id)
        elif event.lead_id is not None:
            decided_by = ("lead", event.lead_id)
        elif event.object_kind == ObjectKind.CONTACT:
            decided_by = ("contact", event.object_id)
        else:
            continue
        if (webhook.owner_id, decided_by[1]) in seen[decided_by[0]]:
            visible.add((webhook.pk, event.pk))
    return visible


EVENT_FAN_OUT_FIELDS = [
    "pk",
    "name",
    "object_kind",
    "object_id",
    "deal_id",
    "lead_id",
    "created_at",
]


def events_fan_out(*, now: datetime | None = None) -> int:
    """Turn waiting events into deliveries, one per matching webhook; returns how many
    events were handled. Safe in several processes at once (rows are claimed, deliveries
    unique)."""
    now = now or timezone.now()
    handled = 0
    while True:
        with transaction.atomic():
            events = list(
                OutboxEvent.objects.filter(fanned_out_at__isnull=True)
                .order_by("id")
                .select_for_update(skip_locked=True)
                .only("pk", "name", "object_kind", "object_id", "deal_id", "lead_id", "created_at")[
                    :FAN_OUT_BATCH
                ]
            )
            if not events:
                return handled
            webhooks = list(
                Webhook.objects.filter(active=True, owner__is_active=True).select_related("owner")
            )
            candidates = [
                (webhook, event)
                for event in events
                for webhook in webhooks
                if webhook.subscribes_to(event.name) and webhook.created_at <= event.created_at
            ]
            visible = visible_events(candidates)
            WebhookDelivery.objects.bulk_create(
                [
                    WebhookDelivery(webhook=webhook, event=event, next_attempt_at=now)
                    for webhook, event in candidates
                    if (webhook.pk, event.pk) in visible
                ],
                ignore_conflicts=True,
            )
            OutboxEvent.objects.filter(pk__in=[event.pk for event in events]).update(
                fanned_out_at=now
            )
        handled += len(events)
        if len(events) < FAN_OUT_BATCH:
            return handled


# Dispatch --------------------------------------------------------------------------------


def due_deliveries(now: datetime) -> Q:
    """Deliveries whose attempt is due and that nobody holds: new, retries whose time has
    come, and those whose lease ran out (a lost message, a killed worker)."""
    return Q(status__in=DUE_STATUSES, next_attempt_at__lte=now) & (
        Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    )


def webhooks_dispatch(*, now: datetime | None = None) -> int:
    """Fan out waiting events, then queue every due delivery of an active webhook; returns
    how many deliveries were queued."""
    from webhooks.tasks import deliver_webhook

    now = now or timezone.now()
    events_fan_out(now=now)
    lease = now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    queued = 0
    while True:
        with transaction.atomic():
            ids = list(
                WebhookDelivery.objects.filter(due_deliveries(now), webhook__active=True)
                .order_by("next_attempt_at", "id")
                .select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", flat=True)[:DISPATCH_BATCH]
            )
            if ids:
                WebhookDelivery.objects.filter(pk__in=ids).update(
                    leased_until=lease, lease_token=None
                )
                for delivery_id in ids:
                    deliver_webhook.delay_on_commit(delivery_id)
        queued += len(ids)
        if len(ids) < DISPATCH_BATCH:
            return queued


# Delivery --------------------------------------------------------------------------------


def retry_delay(attempts: int, *, rand: float | None = None) -> timedelta | None:
    """How long to wait after the `attempts`-th failed attempt (None: give up), +-10%."""
    delays = settings.WEBHOOK_RETRY_DELAYS
    if attempts > len(delays):
        return None
    jitter = 0.9 + 0.2 * (random.random() if rand is None else rand)
    return timedelta(seconds=delays[attempts - 1] * jitter)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-CRM-Signature` header: `t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def delivery_body(event: OutboxEvent) -> bytes:
    """The exact bytes POSTed: the event's document, the same on every attempt."""
    return json.dumps(event.payload, separators=(",", ":"), sort_keys=True).encode()


def delivery_headers(delivery: WebhookDelivery, body: bytes, *, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-CRM-Event": delivery.event.name,
        "X-CRM-Delivery": str(delivery.uuid),
        "X-CRM-Attempt": str(delivery.attempts),
        "X-CRM-Signature": sign(delivery.webhook.secret, timestamp, body),
    }


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> str | None:
    """Make one attempt at a due delivery; returns its new status, or None when there was
    nothing to do (not due, done, its webhook disabled, or another worker holds it)."""
    now = now or timezone.now()
    token = uuid.uuid4()
    # Conditions on the row's own columns only, so that PostgreSQL re-checks them when two
    # workers race for it: exactly one gets the row.
    # Queued by the dispatcher (no token yet), or held by a worker whose lease ran out.
    unheld = Q(lease_token__isnull=True) | Q(leased_until__lt=now)
    claimed = WebhookDelivery.objects.filter(
        unheld, pk=delivery_id, status__in=DUE_STATUSES, next_attempt_at__lte=now
    ).update(
        lease_token=token,
        leased_until=now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS),
        attempts=F("attempts") + 1,
        last_attempt_at=now,
    )
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("webhook__owner", "event").get(pk=delivery_id)
    webhook = delivery.webhook
    if not webhook.active:
        # Disabled since it was queued: hand the attempt back; it waits for re-enabling.
        WebhookDelivery.objects.filter(pk=delivery_id, lease_token=token).update(
            lease_token=None, leased_until=None, attempts=F("attempts") - 1
        )
        return None
    if delivery.event.name != PING and not visible_events([(webhook, delivery.event)]):
        # Whatever was true at fan-out, nobody hears about what they can no longer see.
        return delivery_finish(
            delivery=delivery,
            token=token,
            status=DeliveryStatus.GIVEN_UP,
            error="Not sent: the webhook's owner can no longer see this object.",
            now=now,
        )
    body = delivery_body(delivery.event)
    headers = delivery_headers(delivery, body, timestamp=int(time.time()))
    response = transport.post(webhook.url, body=body, headers=headers)
    return delivery_record(delivery=delivery, token=token, response=response)


def delivery_record(
    *, delivery: WebhookDelivery, token: uuid.UUID, response: transport.Response
) -> str | None:
    """Record what the receiver answered, if this worker still holds the delivery."""
    now = timezone.now()
    status_code, duration = response.status, timedelta(seconds=response.duration)
    if status_code is not None and 200 <= status_code < 300:
        return delivery_finish(
            delivery=delivery,
            token=token,
            status=DeliveryStatus.SUCCEEDED,
            status_code=status_code,
            response_text=response.body,
            duration=duration,
            now=now,
        )
    if status_code == 410:
        return delivery_finish(
            delivery=delivery,
            token=token,
            status=DeliveryStatus.GIVEN_UP,
            status_code=status_code,
            response_text=response.body,
            error="410 Gone: the receiver asked for no more deliveries.",
            duration=duration,
            now=now,
            disable_reason="The receiver answered 410 Gone.",
        )
    if response.error:
        error = response.error
    elif status_code is not None and 300 <= status_code < 400:
        error = f"HTTP {status_code}: redirects are not followed; register the final URL."
    else:
        error = f"HTTP {status_code}."
    wait = retry_delay(delivery.attempts)
    if wait is None:
        return delivery_finish(
            delivery=delivery,
            token=token,
            status=DeliveryStatus.GIVEN_UP,
            status_code=status_code,
            response_text=response.body,
            error=f"{error} Given up after {delivery.attempts} attempts.",
            duration=duration,
            now=now,
            failed_for_good=True,
        )
    return delivery_finish(
        delivery=delivery,
        token=token,
        status=DeliveryStatus.FAILED,
        status_code=status_code,
        response_text=response.body,
        error=error,
        duration=duration,
        now=now,
        retry_at=now + wait,
    )


def delivery_finish(
    *,
    delivery: WebhookDelivery,
    token: uuid.UUID,
    status: str,
    now: datetime,
    status_code: int | None = None,
    response_text: str = "",
    error: str = "",
    duration: timedelta | None = None,
    retry_at: datetime | None = None,
    disable_reason: str = "",
    failed_for_good: bool = False,
) -> str | None:
    """Write an attempt's outcome and its effect on the webhook, in one transaction:
    a success clears its failure count, a delivery that failed every attempt adds one,
    `disable_reason` disables it."""
    with transaction.atomic():
        updated = WebhookDelivery.objects.filter(pk=delivery.pk, lease_token=token).update(
            status=status,
            last_status_code=status_code,
            last_response=response_text[: transport.RESPONSE_LIMIT],
            last_error=error[:500],
            last_duration=duration,
            delivered_at=now if status == DeliveryStatus.SUCCEEDED else None,
            next_attempt_at=retry_at or F("next_attempt_at"),
            lease_token=None,
            leased_until=None,
        )
        if not updated:
            # The lease ran out and another worker took the delivery over: its word counts.
            log.warning("Webhook delivery %s: lease lost, result dropped", delivery.pk)
            return None
        webhook = delivery.webhook
        if status == DeliveryStatus.SUCCEEDED:
            Webhook.objects.filter(pk=webhook.pk, consecutive_failures__gt=0).update(
                consecutive_failures=0
            )
        elif disable_reason:
            webhook_auto_disable(webhook=webhook, reason=disable_reason, now=now)
        elif failed_for_good:
            webhook_failure_count(webhook=webhook, now=now)
    return status


def webhook_failure_count(*, webhook: Webhook, now: datetime) -> None:
    """Count a delivery given up; disable the webhook when too many failed in a row."""
    Webhook.objects.filter(pk=webhook.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    failures = Webhook.objects.filter(pk=webhook.pk).values_list("consecutive_failures", flat=True)
    if (failures.first() or 0) >= settings.WEBHOOK_DISABLE_AFTER:
        webhook_auto_disable(
            webhook=webhook,
            reason=f"{settings.WEBHOOK_DISABLE_AFTER} deliveries in a row failed every attempt.",
            now=now,
        )


def webhook_auto_disable(*, webhook: Webhook, reason: str, now: datetime) -> bool:
    """Disable a webhook the receiver keeps refusing, and tell its owner in the app."""
    disabled = Webhook.objects.filter(pk=webhook.pk, active=True).update(
        active=False, disabled_at=now, disabled_reason=reason
    )
    if disabled:
        Notification.objects.create(
            recipient_id=webhook.owner_id,
            text=f"Webhook to {webhook.url} was disabled: {reason} "
            "Fix the receiver, then enable it again under Webhooks."[:400],
            created_at=now,
        )
    return bool(disabled)


# Webhooks --------------------------------------------------------------------------------


@transaction.atomic
def webhook_create(
    *, owner: User, url: str, events: Iterable[str], description: str = ""
) -> Webhook:
    """Register a webhook for `owner`; its secret is generated here (shown once)."""
    return Webhook.objects.create(
        owner=owner,
        url=url,
        events=sorted(set(events)),
        description=description,
        secret=new_secret(),
    )


@transaction.atomic
def webhook_update(
    *, webhook: Webhook, actor: User, url: str, events: Iterable[str], description: str = ""
) -> Webhook:
    """Change where a webhook sends and what it subscribes to."""
    webhook.url = url
    webhook.events = sorted(set(events))
    webhook.description = description
    webhook.save(update_fields=["url", "events", "description", "updated_at"])
    return webhook


@transaction.atomic
def webhook_delete(*, webhook: Webhook, actor: User) -> None:
    """Delete a webhook with its delivery log."""
    Webhook.objects.filter(pk=webhook.pk).delete()


def webhook_disable(*, webhook: Webhook, actor: User, now: datetime | None = None) -> bool:
    """Stop deliveries to a webhook; pending ones wait until it is enabled again."""
    now = now or timezone.now()
    return bool(
        Webhook.objects.filter(pk=webhook.pk, active=True).update(
            active=False, disabled_at=now, disabled_reason=f"Disabled by {actor.username}."
        )
    )


def webhook_enable(*, webhook: Webhook, actor: User) -> bool:
    """Deliver again (pending and retrying deliveries resume), with a clean failure count."""
    enabled = Webhook.objects.filter(pk=webhook.pk, active=False).update(
        active=True, disabled_at=None, disabled_reason="", consecutive_failures=0
    )
    if enabled:
        dispatch_after_commit()
    return bool(enabled)


@transaction.atomic
def webhook_ping(*, webhook: Webhook, actor: User, now: datetime | None = None) -> WebhookDelivery:
    """Queue a signed test event to this webhook alone (whatever it subscribes to)."""
    now = now or timezone.now()
    event_id = uuid.uuid4()
    event = OutboxEvent.objects.create(
        uuid=event_id,
        name=PING,
        object_kind=ObjectKind.WEBHOOK,
        object_id=webhook.pk,
        payload={
            "id": str(event_id),
            "name": PING,
            "occurred_at": payloads.iso(now),
            "actor": payloads.user_data(actor),
            "data": {"webhook_id": webhook.pk, "message": "A test ping from the CRM."},
        },
        created_at=now,
        fanned_out_at=now,
    )
    delivery = WebhookDelivery.objects.create(webhook=webhook, event=event, next_attempt_at=now)
    dispatch_after_commit()
    return delivery
