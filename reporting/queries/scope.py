"""What a report covers: the viewer's visible deals, narrowed by filters; one snapshot."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet

from activities.models import Activity
from pipeline.models import Deal, Pipeline
from reporting.periods import Period
from teams.access import people_visible_to, teams_visible_to
from teams.models import Quota, Team, Territory, User
from teams.queries import TerritoryTree


@contextmanager
def one_snapshot() -> Iterator[None]:
    """Run a report's queries against one consistent state of the data.

    On PostgreSQL: one read-only REPEATABLE READ transaction (when not already inside one),
    so that a deal won between two queries cannot show in one block and not in another; and
    settings for large aggregates: enough memory to hash a quarter of stage history, and no
    JIT compilation, which costs more than it saves on these sub-second queries.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            if not connection.savepoint_ids:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL jit = off")
        yield


@dataclass(frozen=True)
class ReportScope:
    """The deals a report covers: those `viewer` may see (all when None), narrowed by filters.

    `viewer=None` is the command line's admin view. Period days are local to `period.tz`.
    """

    viewer: User | None
    period: Period
    territories: TerritoryTree
    pipeline: Pipeline | None = None
    team: Team | None = None
    territory: Territory | None = None
    rep: User | None = None
    currency: str = settings.DEFAULT_CURRENCY
    # The teams whose figures the viewer may see (teams.access.teams_visible_to).
    figure_team_ids: frozenset[int] = frozenset()

    @property
    def previous(self) -> Period:
        return self.period.previous()

    @property
    def per_rep(self) -> bool:
        """Whether quotas are the reps' own (a rep's view, or a rep filter) or the teams'."""
        if self.rep is not None:
            return True
        viewer = self.viewer
        return viewer is not None and not (viewer.is_admin or viewer.is_manager)

    def territory_ids(self) -> set[int]:
        assert self.territory is not None
        return self.territories.descendants_and_self(self.territory.pk)

    def deals(self) -> QuerySet[Deal]:
        """The visible deals in the report's currency that match the filters."""
        deals = self.narrowed(Deal.objects).filter(currency=self.currency)
        if self.pipeline is not None:
            deals = deals.filter(pipeline=self.pipeline)
        return deals

    def narrowed(self, rows):
        """Rows with an owner, a team and a territory (deals, leads), as the report covers
        them: visible to its viewer and narrowed by team, territory (with the territories
        inside it) and rep. `rows` is a manager with `visible_to`."""
        viewer = self.viewer
        if viewer is None:
            narrowed = rows.all()
        else:
            narrowed = rows.visible_to(viewer)
            if not viewer.is_admin and self.team is None:
                # Figures are about the viewer's own rows and the teams whose figures they
                # may see: always true of visible rows, and written with literal ids so that
                # the database can read one team's rows through its indexes.
                narrowed = narrowed.filter(Q(owner=viewer) | Q(team_id__in=self.figure_team_ids))
        if self.team is not None:
            narrowed = narrowed.filter(team=self.team)
        if self.territory is not None:
            narrowed = narrowed.filter(territory_id__in=self.territory_ids())
        if self.rep is not None:
            narrowed = narrowed.filter(owner=self.rep)
        return narrowed

    def quotas(self) -> QuerySet[Quota]:
        """The quotas the viewer may see that match the filters (quotas are not per pipeline).

        Quotas are amounts in the default currency, so other currencies have none. Like deals:
        a rep sees their own, a manager also those of the teams they manage, an admin all.
        """
        quotas = Quota.objects.all()
        if self.currency != settings.DEFAULT_CURRENCY:
            return quotas.none()
        viewer = self.viewer
        if viewer is not None and not viewer.is_admin:
            if viewer.is_manager:
                quotas = quotas.filter(Q(team__manager=viewer) | Q(rep=viewer))
            else:
                quotas = quotas.filter(rep=viewer)
        if self.team is not None:
            quotas = quotas.filter(team=self.team)
        if self.territory is not None:
            quotas = quotas.filter(team__territory_id__in=self.territory_ids())
        if self.rep is not None:
            quotas = quotas.filter(rep=self.rep)
        return quotas

    def activities(self) -> QuerySet[Activity]:
        """Activities done in the period by the people whose figures the viewer may see.

        Activities count for the person who did them and that person's team; the team,
        territory and rep filters apply to that person, the pipeline filter to the deal.
        """
        activities = Activity.objects.filter(
            done=True, done_at__gte=self.period.start_at, done_at__lt=self.period.end_before
        )
        viewer = self.viewer
        if viewer is not None and not viewer.is_admin:
            activities = activities.filter(assignee__in=people_visible_to(viewer).values("pk"))
        if self.pipeline is not None:
            activities = activities.filter(deal__pipeline=self.pipeline)
        if self.team is not None:
            activities = activities.filter(assignee__team=self.team)
        if self.territory is not None:
            activities = activities.filter(assignee__team__territory_id__in=self.territory_ids())
        if self.rep is not None:
            activities = activities.filter(assignee=self.rep)
        return activities


def report_scope(
    viewer: User | None,
    *,
    period: Period,
    pipeline: Pipeline | None = None,
    team: Team | None = None,
    territory: Territory | None = None,
    rep: User | None = None,
    currency: str | None = None,
) -> ReportScope:
    """The scope of a report for `viewer` (None: everything), with its filters."""
    figure_team_ids: frozenset[int] = frozenset()
    if viewer is not None and not viewer.is_admin:
        figure_team_ids = frozenset(teams_visible_to(viewer).values_list("pk", flat=True))
    return ReportScope(
        viewer=viewer,
        period=period,
        territories=TerritoryTree.load(),
        pipeline=pipeline,
        team=team,
        territory=territory,
        rep=rep,
        currency=currency or settings.DEFAULT_CURRENCY,
        figure_team_ids=figure_team_ids,
    )
