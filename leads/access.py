"""The one way views reach a lead: through `Lead.objects.visible_to`, answering 404 otherwise.

Leads are seen and changed by the same people as deals: the owner, the manager of the lead's
team, and admins.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from leads.models import Lead, LeadQuerySet


def leads_visible_to(user) -> LeadQuerySet:
    """The leads `user` may see: own leads; a manager adds their teams'; an admin all."""
    return Lead.objects.visible_to(user)


def can_change_lead(user, lead: Lead) -> bool:
    """Owners, the manager of the lead's team and admins may change a lead."""
    if user.is_admin or lead.owner_id == user.pk:
        return True
    return user.is_manager and lead.team is not None and lead.team.manager_id == user.pk


def lead_for_user(user, lead_id, *, write: bool = False) -> Lead:
    """The lead `lead_id` if `user` may see it (else 404) and, with write=True, change it (403)."""
    lead = get_object_or_404(
        leads_visible_to(user).select_related(
            "source", "organization", "contact", "owner", "team", "territory", "deal"
        ),
        pk=lead_id,
    )
    if write and not can_change_lead(user, lead):
        raise PermissionDenied("You may see this lead but not change it.")
    return lead
