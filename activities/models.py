from django.conf import settings
from django.db import models
from django.utils import timezone


class ActivityType(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "E-mail"
    MEETING = "meeting", "Meeting"
    TASK = "task", "Task"
    DEADLINE = "deadline", "Deadline"


class Activity(models.Model):
    """Something a rep does to move a deal: a call, an e-mail, a meeting, a task, a deadline.

    `due_date` is the day in the assignee's time zone; `due_at` (UTC) is set when the
    activity has a time of day, and is empty for an all-day activity.
    """

    type = models.CharField(max_length=10, choices=ActivityType.choices, default=ActivityType.CALL)
    subject = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    deal = models.ForeignKey("pipeline.Deal", on_delete=models.CASCADE, related_name="activities")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="activities"
    )
    due_date = models.DateField()
    due_at = models.DateTimeField(null=True, blank=True)
    duration = models.DurationField(null=True, blank=True)
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "due_at", "id"]
        verbose_name_plural = "activities"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(done=False, done_at__isnull=True)
                | models.Q(done=True, done_at__isnull=False),
                name="activity_done_at_matches_done",
            ),
        ]
        indexes = [
            models.Index(fields=["deal", "done", "due_date"], name="activity_deal_next_idx"),
            models.Index(fields=["assignee", "done", "due_date"], name="activity_assignee_idx"),
            models.Index(fields=["done", "done_at"], name="activity_done_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()}: {self.subject}"
