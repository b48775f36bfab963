"""Webhooks: who wants which events where, the outbox of events, and each delivery's record.

The database is the queue (as for reminders): `OutboxEvent` rows are written in the
transaction of the change they describe, the dispatcher turns each into one
`WebhookDelivery` per matching webhook, and delivery tasks work through those rows.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Event(models.TextChoices):
    """The events a webhook can subscribe to; the value is the name receivers see."""

    DEAL_CREATED = "deal.created", "Deal created"
    DEAL_UPDATED = "deal.updated", "Deal updated (details changed, or reopened)"
    DEAL_MOVED = "deal.moved", "Deal moved to another stage"
    DEAL_WON = "deal.won", "Deal won"
    DEAL_LOST = "deal.lost", "Deal lost"
    ACTIVITY_CREATED = "activity.created", "Activity scheduled"
    ACTIVITY_DONE = "activity.done", "Activity done"
    CONTACT_CREATED = "contact.created", "Contact created"


# Sent by "Send test ping" only; nobody subscribes to it.
PING = "ping"


class ObjectKind(models.TextChoices):
    DEAL = "deal", "Deal"
    ACTIVITY = "activity", "Activity"
    CONTACT = "contact", "Contact"
    WEBHOOK = "webhook", "Webhook"  # a test ping


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Webhook(models.Model):
    """A URL that receives a signed POST for each subscribed event its owner may see.

    The signing secret is stored as it is: the worker needs it in clear to sign every
    delivery (HMAC is symmetric), so encrypting it would only move the key next to it in the
    same deployment. It is shown once, to its creator, and never again (not in admin either).
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.CharField("URL", max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="The names of the subscribed events.")
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    active = models.BooleanField(default=True)
    # Deliveries given up in a row since the last success; WEBHOOK_DISABLE_AFTER disables it.
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(active=True, disabled_at__isnull=True)
                | Q(active=False, disabled_at__isnull=False),
                name="webhook_disabled_at_matches_active",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="webhook_owner_idx"),
            models.Index(
                fields=["created_at"], condition=Q(active=True), name="webhook_active_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.url

    def subscribes_to(self, name: str) -> bool:
        return name in self.events


class OutboxEvent(models.Model):
    """Something that happened, written in the transaction that made it happen.

    `payload` is the whole JSON document receivers get, built at the time of the change.
    `deal_id` is the deal whose visibility decides who hears about it (a deal's own events
    and its activities'), `lead_id` the lead for activities on a lead; plain ids, so that
    deleting the deal or lead keeps the record. Contacts are decided by their own visibility.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=40)
    object_kind = models.CharField(max_length=20, choices=ObjectKind.choices)
    object_id = models.BigIntegerField()
    deal_id = models.BigIntegerField(null=True, blank=True)
    lead_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    # Set when the dispatcher has written its deliveries; until then it is waiting.
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["id"],
                condition=Q(fanned_out_at__isnull=True),
                name="outbox_waiting_idx",
            ),
            models.Index(fields=["object_kind", "object_id"], name="outbox_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.object_kind} {self.object_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # the first attempt is due
    FAILED = "failed", "Failed, will retry"  # the last attempt failed; the next is scheduled
    SUCCEEDED = "succeeded", "Succeeded"
    GIVEN_UP = "given_up", "Given up"


DUE_STATUSES = [DeliveryStatus.PENDING, DeliveryStatus.FAILED]


class WebhookDelivery(models.Model):
    """One event for one webhook: at most one row per pair, sent until it succeeds or is
    given up. `uuid` is the `X-CRM-Delivery` header, the same on every attempt.

    The lease: the dispatcher sets `leased_until` when it queues the delivery (so that it is
    not queued again meanwhile); a worker claims it with a fresh `lease_token` just before
    sending, and only the holder of the token records the result. A lease that runs out
    (lost message, killed worker) makes the delivery due again.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    leased_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_response = models.CharField(max_length=4096, blank=True)
    last_duration = models.DurationField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "event"], name="webhook_delivery_once_per_event"
            ),
            models.CheckConstraint(
                condition=Q(status=DeliveryStatus.SUCCEEDED, delivered_at__isnull=False)
                | (~Q(status=DeliveryStatus.SUCCEEDED) & Q(delivered_at__isnull=True)),
                name="webhook_delivery_delivered_at_matches_status",
            ),
        ]
        indexes = [
            # The dispatcher: due deliveries, oldest first.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=DUE_STATUSES),
                name="webhook_delivery_due_idx",
            ),
            # A webhook's log, newest first (keyset pages on id).
            models.Index(fields=["webhook", "-id"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self) -> str:
        return f"Delivery {self.uuid} of event {self.event_id} to webhook {self.webhook_id}"

    @property
    def status_color(self) -> str:
        """The Bootstrap colour of its status badge."""
        return {
            DeliveryStatus.SUCCEEDED: "success",
            DeliveryStatus.FAILED: "warning",
            DeliveryStatus.GIVEN_UP: "danger",
        }.get(DeliveryStatus(self.status), "secondary")
