from datetime import datetime, timedelta

from django import template
from django.urls import reverse
from django.utils import dateformat, timezone

from activities.models import Activity
from activities.queries import page_url_of, unread_notification_count
from crm.dates import safe_localtime

register = template.Library()

TYPE_ICONS = {
    "call": "bi-telephone",
    "email": "bi-envelope",
    "meeting": "bi-people",
    "task": "bi-check2-square",
    "deadline": "bi-flag",
}


@register.filter
def type_icon(activity_type: str) -> str:
    """The Bootstrap icon class of an activity type."""
    return TYPE_ICONS.get(activity_type, "bi-circle")


@register.filter
def about_url(activity: Activity) -> str:
    """The page of the deal or the lead an activity is on."""
    return page_url_of(activity.about)


@register.filter
def next_step_url(activity: Activity) -> str:
    """Where to schedule the step after `activity`, on the same deal or lead."""
    if activity.lead_id is not None:
        url = reverse("activities:lead-activity-create", args=[activity.lead_id])
    else:
        url = reverse("activities:activity-create", args=[activity.deal_id])
    return f"{url}?after={activity.pk}"


@register.filter
def due_label(activity: Activity) -> str:
    """When an activity is due, in the active (the viewer's) time zone: 'Tue 3 Mar, 14:30'."""
    today = timezone.localdate()
    if activity.due_at is None:
        day, time = activity.due_date, None
    else:
        local = safe_localtime(activity.due_at)
        day, time = local.date(), local
    if day == today:
        label = "Today"
    elif day == today + timedelta(days=1):
        label = "Tomorrow"
    elif day == today - timedelta(days=1):
        label = "Yesterday"
    else:
        label = dateformat.format(day, "D j M" if day.year == today.year else "D j M Y")
    return f"{label}, {dateformat.format(time, 'H:i')}" if time else f"{label} (all day)"


@register.filter
def local(value: datetime | None) -> datetime | None:
    """`value` in the active time zone; an instant at the ends of what `datetime` holds (an
    activity stored due in year 9999) is shown just inside them instead of overflowing."""
    return safe_localtime(value) if value is not None else None


@register.filter
def duration_label(duration: timedelta | None) -> str:
    if not duration:
        return ""
    hours, minutes = divmod(int(duration.total_seconds() // 60), 60)
    if hours and minutes:
        return f"{hours} h {minutes:02d}"
    return f"{hours} h" if hours else f"{minutes} min"


@register.inclusion_tag("activities/_bell.html", takes_context=True)
def notification_bell(context) -> dict:
    """The header's bell with the unread count; it polls itself to stay current."""
    user = context["request"].user
    return {"unread": unread_notification_count(user) if user.is_authenticated else 0}


@register.filter
def badge_count(count: int) -> str:
    return "99+" if count > 99 else str(count)
