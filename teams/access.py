"""Who may see and act on teams and people. Deal visibility lives in `Deal.objects.visible_to`."""

from django.db.models import Q, QuerySet

from teams.models import Role, Team, Territory, User


def teams_visible_to(user: User) -> QuerySet[Team]:
    """Teams whose figures `user` may see: all for an admin, managed ones for a manager."""
    teams = Team.objects.all()
    if user.is_admin:
        return teams
    if user.is_manager:
        return teams.filter(Q(manager=user) | Q(pk=user.team_id)).distinct()
    if user.team_id is None:
        return teams.none()
    return teams.filter(pk=user.team_id)


def territories_visible_to(user: User) -> QuerySet[Territory]:
    """Territories that hold at least one team visible to `user` (all for an admin)."""
    if user.is_admin:
        return Territory.objects.all()
    return Territory.objects.filter(teams__in=teams_visible_to(user)).distinct()


def people_visible_to(user: User) -> QuerySet[User]:
    """Users whose deals `user` may see: self, plus the members of the teams they manage."""
    people = User.objects.filter(is_active=True)
    if user.is_admin:
        return people.filter(role__in=[Role.REP, Role.MANAGER])
    if user.is_manager:
        return people.filter(Q(pk=user.pk) | Q(team__manager=user)).distinct()
    return people.filter(pk=user.pk)


def assignable_owners(user: User) -> QuerySet[User]:
    """Users `user` may make the owner of a deal (a rep may only own deals themselves)."""
    return people_visible_to(user)


def owned_or_managed[Rows: QuerySet](rows: Rows, user) -> Rows:
    """The rows (with an `owner` and a `team`) that `user` may see: their own; a manager adds
    those of the teams they manage; an admin all; nobody signed out or inactive. The one rule
    deals and leads (and what hangs off them) share."""
    if not user.is_authenticated or not user.is_active:
        return rows.none()
    if user.is_admin:
        return rows.all()
    if user.is_manager:
        # A subquery rather than a join keeps both sides of the OR on their indexes.
        managed = Team.objects.filter(manager=user).values("pk")
        return rows.filter(Q(owner=user) | Q(team__in=managed))
    return rows.filter(owner=user)
