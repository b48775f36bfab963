"""How timeline entries read: icons and labels for their kinds, types and fields."""

from django import template

from activities.models import ActivityType
from pipeline.models import DealStatus, field_label

register = template.Library()

ICONS = {
    "stage": "bi-signpost-split",
    "activity": "bi-calendar-plus",
    "activity_done": "bi-check-circle",
    "note": "bi-sticky",
    "file": "bi-paperclip",
    "field": "bi-pencil-square",
}


@register.filter
def entry_icon(kind: str) -> str:
    return ICONS.get(kind, "bi-dot")


@register.filter
def activity_type_label(value: str) -> str:
    return dict(ActivityType.choices).get(value, value)


@register.filter
def status_label(value: str) -> str:
    return dict(DealStatus.choices).get(value, value).lower()


@register.filter
def deal_field_label(name: str) -> str:
    return field_label(name)
