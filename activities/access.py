"""Who may see and change activities and notifications.

An activity is visible exactly when its deal (or lead) is: every activity is reached through
`pipeline.access.deal_for_user` or `leads.access.lead_for_user`, which answer 404 to
outsiders (and 403 on a write without the right to change the deal or lead).
"""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from activities.models import Activity, Notification
from leads.access import lead_for_user
from leads.models import Lead
from pipeline.access import deal_for_user
from pipeline.models import Deal
from teams.access import people_visible_to
from teams.models import Role, User


def activity_for_user(user: User, activity_id, *, write: bool = False) -> Activity:
    """The activity with id `activity_id` if `user` may see its deal or lead (and change it,
    with write)."""
    activity = get_object_or_404(Activity.objects.select_related("assignee"), pk=activity_id)
    if activity.lead_id is not None:
        activity.lead = lead_for_user(user, activity.lead_id, write=write)
    else:
        activity.deal = deal_for_user(user, activity.deal_id, write=write)
    return activity


def agenda_people(user: User) -> QuerySet[User]:
    """Whose activity lists `user` may open: their own, and a manager's the reps of their teams."""
    return (
        User.objects.filter(Q(pk=user.pk) | Q(pk__in=people_visible_to(user).values("pk")))
        .select_related("team")
        .order_by("first_name", "last_name", "username")
    )


def agenda_person_for(user: User, person_id) -> User:
    """The person whose activities `user` asked to see; 404 for anyone outside their teams."""
    return get_object_or_404(agenda_people(user), pk=person_id)


def assignees_for(deal: Deal | Lead, user: User) -> QuerySet[User]:
    """Who `user` may assign an activity on `deal` (or a lead, seen by the same people) to:
    people they see who can see it.

    A rep sees only their own deals, so the candidates are the deal's owner, the manager of
    its team and `user` themselves when they see it; never a rep of another team.
    """
    may_see_deal = Q(pk=deal.owner_id) | Q(role=Role.ADMIN) | Q(is_superuser=True)
    if deal.team is not None and deal.team.manager_id is not None:
        may_see_deal |= Q(pk=deal.team.manager_id, role=Role.MANAGER)
    return (
        User.objects.filter(is_active=True)
        .filter(Q(pk=user.pk) | Q(pk__in=people_visible_to(user).values("pk")))
        .filter(may_see_deal)
        .order_by("first_name", "last_name", "username")
    )


def notification_for_user(user: User, notification_id) -> Notification:
    """One of `user`'s own notifications; 404 for anyone else's."""
    return get_object_or_404(Notification.objects.filter(recipient=user), pk=notification_id)
