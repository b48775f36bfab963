from django import template

from leads.models import LeadStatus

register = template.Library()

# Where a score turns from grey to amber to green on the badges.
WARM, HOT = 30, 60

STATUS_COLOURS: dict[str, str] = {
    LeadStatus.OPEN: "primary",
    LeadStatus.QUALIFIED: "success",
    LeadStatus.DISQUALIFIED: "secondary",
}


@register.filter
def score_colour(score: int) -> str:
    """The Bootstrap colour of a score's badge: green when hot, amber when warm, else grey."""
    if score >= HOT:
        return "success"
    if score >= WARM:
        return "warning"
    return "secondary"


@register.filter
def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, "secondary")
