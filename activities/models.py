from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import F, OrderBy, Q
from django.utils import timezone

from teams.models import ReminderOffset

# Due order: by day, all-day activities first (they are "for the day"), then by time. Spelled
# out because PostgreSQL and SQLite put NULLs at opposite ends.
DUE_ORDER: list[str | OrderBy] = ["due_date", F("due_at").asc(nulls_first=True), "id"]

# An all-day activity is reminded about as if it were due at this time of its day, in the
# assignee's time zone ("1 day before" an all-day Tuesday task: Monday 09:00).
ALL_DAY_REMINDER_TIME = time(9, 0)


class ActivityType(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "E-mail"
    MEETING = "meeting", "Meeting"
    TASK = "task", "Task"
    DEADLINE = "deadline", "Deadline"


class Activity(models.Model):
    """Something a rep does to move a deal or a lead: a call, an e-mail, a meeting, a task, a
    deadline. It is on exactly one of them; a lead's activities move to its deal when the lead
    is qualified.

    `due_date` is the day in the assignee's time zone; `due_at` (UTC) is set when the
    activity has a time of day, and is empty for an all-day activity.
    """

    type = models.CharField(max_length=10, choices=ActivityType.choices, default=ActivityType.CALL)
    subject = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    deal = models.ForeignKey(
        "pipeline.Deal",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="activities"
    )
    due_date = models.DateField()
    due_at = models.DateTimeField(null=True, blank=True)
    duration = models.DurationField(null=True, blank=True)
    reminder_offset = models.PositiveIntegerField(
        "reminder", null=True, blank=True, choices=ReminderOffset.choices
    )
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = DUE_ORDER
        verbose_name_plural = "activities"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(done=False, done_at__isnull=True)
                | models.Q(done=True, done_at__isnull=False),
                name="activity_done_at_matches_done",
            ),
            models.CheckConstraint(
                condition=models.Q(deal__isnull=False, lead__isnull=True)
                | models.Q(deal__isnull=True, lead__isnull=False),
                name="activity_on_a_deal_or_a_lead",
            ),
        ]
        indexes = [
            models.Index(fields=["deal", "done", "due_date"], name="activity_deal_next_idx"),
            models.Index(
                fields=["lead", "done", "due_date"],
                condition=Q(lead__isnull=False),
                name="activity_lead_next_idx",
            ),
            models.Index(fields=["assignee", "done", "due_date"], name="activity_assignee_idx"),
            models.Index(fields=["done", "done_at"], name="activity_done_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()}: {self.subject}"

    @property
    def about(self):
        """The deal or the lead this activity is on."""
        return self.deal if self.deal_id is not None else self.lead

    def is_overdue(self, now=None) -> bool:
        """Open and past due: its time has passed, or (all day) its day is before today.

        "Today" is the day in the active time zone, i.e. the viewer's during a request.
        """
        if self.done:
            return False
        now = now or timezone.now()
        if self.due_at is not None:
            return self.due_at < now
        return self.due_date < timezone.localdate(now)


class ReminderState(models.TextChoices):
    PENDING = "pending", "Pending"  # armed; the dispatcher claims it once remind_at has passed
    QUEUED = "queued", "Queued"  # claimed by a dispatcher and handed to a delivery task
    SENDING = "sending", "Sending"  # in-app notification delivered; its e-mail is owed
    SENT = "sent", "Sent"
    CANCELLED = "cancelled", "Cancelled"  # the activity was edited, completed or its time moved


ARMED_STATES = [ReminderState.PENDING, ReminderState.QUEUED]
CLAIMED_STATES = [ReminderState.QUEUED, ReminderState.SENDING]


class Reminder(models.Model):
    """One reminder about one activity, due at `remind_at` (UTC). The database is its queue.

    At most one reminder per activity is armed (pending or queued); moving an activity's due
    time cancels the armed one and arms a new one, so sent and cancelled rows are history.
    A reminder whose in-app notification went out is "sending" until its e-mail is sent too;
    it can no longer be cancelled.
    """

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="reminders")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    remind_at = models.DateTimeField()
    state = models.CharField(
        max_length=10, choices=ReminderState.choices, default=ReminderState.PENDING
    )
    # Times a dispatcher claimed it; a claim older than the lease is taken again.
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["remind_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity"],
                condition=Q(state__in=ARMED_STATES),
                name="reminder_one_armed_per_activity",
            ),
            models.CheckConstraint(
                condition=Q(state=ReminderState.SENT, sent_at__isnull=False)
                | (~Q(state=ReminderState.SENT) & Q(sent_at__isnull=True)),
                name="reminder_sent_at_matches_state",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=CLAIMED_STATES) | Q(queued_at__isnull=False),
                name="reminder_claimed_has_queued_at",
            ),
        ]
        indexes = [
            models.Index(
                fields=["remind_at"],
                condition=Q(state=ReminderState.PENDING),
                name="reminder_pending_due_idx",
            ),
            models.Index(
                fields=["queued_at"],
                condition=Q(state__in=CLAIMED_STATES),
                name="reminder_claimed_idx",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"Reminder {self.pk} of activity {self.activity_id} at {self.remind_at:%Y-%m-%d %H:%M}Z"
        )


class Channel(models.TextChoices):
    IN_APP = "in_app", "In-app"
    EMAIL = "email", "E-mail"


class Delivery(models.Model):
    """The record that a reminder went out on a channel; the unique pair forbids a second."""

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    delivered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["delivered_at", "id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["reminder", "channel"], name="delivery_once_per_reminder_and_channel"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} for reminder {self.reminder_id}"


class Notification(models.Model):
    """An in-app message in the header's bell. The text is written when it is delivered."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    reminder = models.OneToOneField(
        Reminder, null=True, blank=True, on_delete=models.SET_NULL, related_name="notification"
    )
    deal = models.ForeignKey(
        "pipeline.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(max_length=400)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_idx"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class DigestState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    EMPTY = "empty", "Nothing to report"


class Digest(models.Model):
    """The morning digest of one user for one day (their local date): claimed once, sent once."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    state = models.CharField(max_length=10, choices=DigestState.choices, default=DigestState.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=1)
    queued_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "recipient_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "day"], name="digest_once_per_user_and_day"
            ),
        ]
        indexes = [
            models.Index(
                fields=["queued_at"],
                condition=Q(state=DigestState.QUEUED),
                name="digest_queued_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Digest for {self.recipient_id} on {self.day:%Y-%m-%d}"
