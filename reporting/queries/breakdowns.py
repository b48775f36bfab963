"""The breakdown table: rows per rep, team or territory summed from the deal cells."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from activities.models import ActivityType
from reporting.metrics import METRIC_NAMES, Metrics, Totals, ratio
from reporting.periods import local_today
from reporting.queries.deals import (
    Cell,
    activity_counts,
    cell_of,
    closed_deal_rows,
    open_deal_rows,
    totals_from,
)
from reporting.queries.quotas import Owner, QuotaFigure, QuotaRow, quota_figure, quota_rows
from reporting.queries.scope import ReportScope, one_snapshot
from teams.models import Team, User


class Dimension:
    REP = "rep"
    TEAM = "team"
    TERRITORY = "territory"
    NONE = "none"
    CHOICES = [(REP, "Rep"), (TEAM, "Team"), (TERRITORY, "Territory")]


SORT_KEYS = ["name", *METRIC_NAMES, "quota", "attainment", *ActivityType.values]
DEFAULT_SORT = "-won_value"


@dataclass(frozen=True)
class Person:
    name: str
    username: str
    team_id: int | None
    territory_id: int | None


@dataclass(frozen=True)
class Names:
    people: dict[int, Person]
    teams: dict[int, str]

    @classmethod
    def load(cls, person_ids: set[int], team_ids: set[int]) -> "Names":
        people = {
            user.pk: Person(
                str(user),
                user.username,
                user.team_id,
                user.team.territory_id if user.team else None,
            )
            for user in User.objects.filter(pk__in=person_ids)
            .select_related("team")
            .only("username", "first_name", "last_name", "team__territory")
        }
        teams = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name"))
        return cls(people=people, teams=teams)

    def person(self, pk: int) -> str:
        person = self.people.get(pk)
        return person.name if person else f"#{pk}"

    def username(self, pk: int) -> str:
        person = self.people.get(pk)
        return person.username if person else f"#{pk}"


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    name: str
    metrics: Metrics
    # The row's name for machines: a rep's username, a team's or territory's name.
    code: str = ""
    # The quotas set for the row's period (see reporting.queries.quotas); None: none.
    quota: Decimal | None = None
    # Some of the period, or someone in the row, has no quota: `quota` is not the row's.
    quota_partial: bool = False
    activities: Counter = field(default_factory=Counter)
    depth: int = 0
    parent_key: str | None = None

    @property
    def quota_coverage(self) -> str | None:
        """ "whole", "partial", or None when no quota is set."""
        if self.quota is None:
            return None
        return "partial" if self.quota_partial else "whole"

    @property
    def attainment(self) -> Decimal | None:
        """Won value ÷ quota, when the quota is the whole row's."""
        if self.quota_partial:
            return None
        return ratio(self.metrics.won_value, self.quota)

    def value(self, name: str):
        if name == "name":
            return self.name.lower()
        if name == "quota":
            return self.quota
        if name == "attainment":
            return self.attainment
        if name in ActivityType.values:
            return self.activities[name]
        return self.metrics.value(name)


def quota_fields(figure: QuotaFigure | None) -> dict:
    """A quota figure as a row's `quota` and `quota_partial`."""
    if figure is None:
        return {"quota": None, "quota_partial": False}
    return {"quota": figure.amount, "quota_partial": not figure.whole}


@dataclass(frozen=True)
class Breakdown:
    by: str
    sort: str
    rows: list[BreakdownRow]
    total: BreakdownRow

    @property
    def sort_key(self) -> str:
        return self.sort.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")


NO_TEAM = "(no team)"
NO_TERRITORY = "(no territory)"


def valid_sort(sort: str) -> str:
    return sort if sort.lstrip("-") in SORT_KEYS else DEFAULT_SORT


def sorted_rows(rows: list[BreakdownRow], sort: str) -> list[BreakdownRow]:
    """Rows ordered by a column; empty figures ("—") last either way; ties by name."""
    sort = valid_sort(sort)
    key = sort.lstrip("-")
    by_name = sorted(rows, key=lambda r: (r.name.lower(), r.key))
    known = [r for r in by_name if r.value(key) is not None]
    unknown = [r for r in by_name if r.value(key) is None]
    known.sort(key=lambda r: r.value(key), reverse=sort.startswith("-"))
    return known + unknown


def sorted_tree(rows: list[BreakdownRow], sort: str) -> list[BreakdownRow]:
    """Territory rows sorted among their siblings, each followed by its children."""
    children: dict[str | None, list[BreakdownRow]] = defaultdict(list)
    keys = {r.key for r in rows}
    for row in rows:
        children[row.parent_key if row.parent_key in keys else None].append(row)
    ordered: list[BreakdownRow] = []

    def visit(parent: str | None) -> None:
        for row in sorted_rows(children[parent], sort):
            ordered.append(row)
            visit(row.key)

    visit(None)
    return ordered


@dataclass
class ReportData:
    """What one scope's breakdowns are built from: cells, activities, quotas and names."""

    scope: ReportScope
    current: dict[Cell, Totals]
    previous_closed: Totals
    activities: dict[int, Counter]
    quotas: list[QuotaRow]
    names: Names

    @classmethod
    def build(
        cls,
        scope: ReportScope,
        open_rows: list[dict],
        closed_rows: list[dict],
        activities: dict[int, Counter],
        quotas: list[QuotaRow],
    ) -> "ReportData":
        current: dict[Cell, Totals] = defaultdict(Totals)
        previous_closed = Totals()
        for row in open_rows:
            current[cell_of(row)] += totals_from(row)
        for row in closed_rows:
            current[cell_of(row)] += totals_from(row)
            previous_closed += totals_from(row, "previous_")
        # Deals read only for the previous period or the forecast's month make no cell.
        current = {cell: totals for cell, totals in current.items() if not totals.is_empty}
        person_ids = {c.person_id for c in current} | set(activities)
        person_ids |= {q.rep_id for q in quotas if q.rep_id}
        team_ids = {c.team_id for c in current if c.team_id} | {q.team_id for q in quotas}
        names = Names.load(person_ids, team_ids)
        return cls(scope, current, previous_closed, activities, quotas, names)

    @classmethod
    def load(cls, scope: ReportScope) -> "ReportData":
        """The data of the breakdown alone (the export and the command line)."""
        period = scope.period
        return cls.build(
            scope,
            open_deal_rows(scope, [], local_today(period.end_before, period.tz)),
            closed_deal_rows(scope, [], period),
            activity_counts(scope),
            quota_rows(scope, [period]),
        )

    def reps_carry_quotas(self, by: str) -> bool:
        """Whether quotas are the reps' own (by rep, or a rep's scope) or the teams'."""
        return by == Dimension.REP or self.scope.per_rep

    def level_quotas(self, reps: bool) -> list[QuotaRow]:
        return [r for r in self.quotas if (r.rep_id is not None) == reps]

    @staticmethod
    def cell_owner(cell: Cell, reps: bool) -> Owner:
        """Whose quota covers a cell's figures: its rep's, or its team's."""
        return ("rep", cell.person_id) if reps else ("team", cell.team_id)

    def owners(self, reps: bool) -> set[Owner]:
        """The reps or teams with figures in the report."""
        return {self.cell_owner(cell, reps) for cell in self.current}

    def total(self, by: str) -> BreakdownRow:
        """The scope's figures; its quota is the quota column's: the reps' own by rep, else
        the level's (see `reps_carry_quotas`)."""
        totals = sum(self.current.values(), Totals())
        activities = sum(self.activities.values(), Counter())
        reps = self.reps_carry_quotas(by)
        quota = quota_figure(self.level_quotas(reps), self.scope.period, self.owners(reps))
        return BreakdownRow(
            "total",
            "Total",
            totals.metrics(),
            "total",
            activities=activities,
            **quota_fields(quota),
        )

    def rows(self, by: str, sort: str = DEFAULT_SORT) -> list[BreakdownRow]:
        if by == Dimension.NONE:
            return []
        if by == Dimension.TERRITORY:
            return sorted_tree(self._territory_rows(), sort)
        return sorted_rows(self._flat_rows(by), sort)

    def _group(self, by: str, key_of_cell, key_of_person, key_of_quota) -> tuple[dict, ...]:
        """Per row key: the totals, activities and quota of the cells, people and quotas
        that `key_of_*` place in it (a territory's row also takes those of its children)."""
        reps = self.reps_carry_quotas(by)
        totals: dict = defaultdict(Totals)
        owners: dict = defaultdict(set)
        activities: dict = defaultdict(Counter)
        quota_lists: dict = defaultdict(list)
        for cell, cell_totals in self.current.items():
            for key in key_of_cell(cell):
                totals[key] += cell_totals
                owners[key].add(self.cell_owner(cell, reps))
        for person_id, counts in self.activities.items():
            person = self.names.people.get(person_id, Person("", "", None, None))
            for key in key_of_person(person_id, person):
                activities[key] += counts
        for row in self.level_quotas(reps):
            for key in key_of_quota(row):
                quota_lists[key].append(row)
        period = self.scope.period
        quotas = {
            key: quota_figure(quota_lists.get(key, ()), period, owners.get(key, ()))
            for key in totals.keys() | quota_lists.keys()
        }
        # A quota set for another part of the year makes no row.
        quotas = {key: figure for key, figure in quotas.items() if figure or key in totals}
        return totals, activities, quotas

    def _flat_rows(self, by: str) -> list[BreakdownRow]:
        if by == Dimension.REP:
            totals, activities, quotas = self._group(
                by, lambda c: [c.person_id], lambda pk, _: [pk], lambda q: [q.rep_id]
            )

            def label(key):
                return self.names.person(key)

            def code(key):
                return self.names.username(key)

        else:
            totals, activities, quotas = self._group(
                by, lambda c: [c.team_id], lambda _, p: [p.team_id], lambda q: [q.team_id]
            )

            def label(key):
                return NO_TEAM if key is None else self.names.teams.get(key, f"#{key}")

            code = label

        keys = set(totals) | set(activities) | set(quotas)
        return [
            BreakdownRow(
                key=f"{by}:{'' if key is None else key}",
                name=label(key),
                code=code(key),
                metrics=totals.get(key, Totals()).metrics(),
                activities=activities.get(key, Counter()),
                **quota_fields(quotas.get(key)),
            )
            for key in keys
        ]

    def _territory_rows(self) -> list[BreakdownRow]:
        tree = self.scope.territories

        def lineage(territory_id: int | None) -> list:
            return [None] if territory_id is None else tree.ancestors_and_self(territory_id)

        totals, activities, quotas = self._group(
            Dimension.TERRITORY,
            lambda c: lineage(c.territory_id),
            lambda _, p: lineage(p.territory_id),
            lambda q: lineage(q.territory_id),
        )
        keys = set(totals) | set(activities) | set(quotas)

        def label(key):
            return NO_TERRITORY if key is None else tree.names.get(key, f"#{key}")

        return [
            BreakdownRow(
                key=f"territory:{'' if key is None else key}",
                name=label(key),
                code=label(key),
                metrics=totals.get(key, Totals()).metrics(),
                activities=activities.get(key, Counter()),
                depth=0 if key is None else tree.depth(key),
                parent_key=None
                if key is None or tree.parents.get(key) is None
                else f"territory:{tree.parents[key]}",
                **quota_fields(quotas.get(key)),
            )
            for key in keys
        ]


def breakdown(scope: ReportScope, *, by: str, sort: str = DEFAULT_SORT) -> Breakdown:
    """The metrics per rep, team or territory (or none: the total only), with quotas."""
    with one_snapshot():
        data = ReportData.load(scope)
    return Breakdown(by=by, sort=valid_sort(sort), rows=data.rows(by, sort), total=data.total(by))
