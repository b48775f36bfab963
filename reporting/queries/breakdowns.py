"""The breakdown table: rows per rep, team or territory summed from the deal cells."""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from activities.models import ActivityType
from reporting.metrics import METRIC_NAMES, ZERO, Metrics, Totals, ratio
from reporting.periods import local_today
from reporting.queries.deals import (
    Cell,
    activity_counts,
    cell_of,
    closed_deal_rows,
    open_deal_rows,
    totals_from,
)
from reporting.queries.quotas import QuotaRow, quota_rows, quotas_in
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
    quota: Decimal | None = None
    activities: Counter = field(default_factory=Counter)
    depth: int = 0
    parent_key: str | None = None

    @property
    def attainment(self) -> Decimal | None:
        """Won value ÷ quota."""
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

    @property
    def period_quotas(self) -> list[QuotaRow]:
        return quotas_in(self.quotas, self.scope.period)

    def level_quotas(self) -> list[QuotaRow]:
        """The reps' quotas in a rep's scope, else the teams' own."""
        return [r for r in self.period_quotas if (r.rep_id is not None) == self.scope.per_rep]

    def total(self, by: str) -> BreakdownRow:
        """The scope's figures; its quota is the quota column's: the reps' own by rep, else
        the level's (see `level_quotas`)."""
        totals = sum(self.current.values(), Totals())
        activities = sum(self.activities.values(), Counter())
        if by == Dimension.REP:
            quotas = [r for r in self.period_quotas if r.rep_id is not None]
        else:
            quotas = self.level_quotas()
        quota = sum((r.amount for r in quotas), ZERO) if quotas else None
        return BreakdownRow("total", "Total", totals.metrics(), "total", quota, activities)

    def rows(self, by: str, sort: str = DEFAULT_SORT) -> list[BreakdownRow]:
        if by == Dimension.NONE:
            return []
        if by == Dimension.TERRITORY:
            return sorted_tree(self._territory_rows(), sort)
        return sorted_rows(self._flat_rows(by), sort)

    def _group(self, key_of_cell, key_of_person) -> tuple[dict, dict]:
        totals: dict = defaultdict(Totals)
        activities: dict = defaultdict(Counter)
        for cell, cell_totals in self.current.items():
            for key in key_of_cell(cell):
                totals[key] += cell_totals
        for person_id, counts in self.activities.items():
            person = self.names.people.get(person_id, Person("", "", None, None))
            for key in key_of_person(person_id, person):
                activities[key] += counts
        return totals, activities

    def _quotas_by(self, rows: Iterable[QuotaRow], key_of_quota) -> dict:
        amounts: dict = defaultdict(lambda: ZERO)
        for row in rows:
            for key in key_of_quota(row):
                amounts[key] += row.amount
        return amounts

    def _flat_rows(self, by: str) -> list[BreakdownRow]:
        if by == Dimension.REP:
            totals, activities = self._group(lambda c: [c.person_id], lambda pk, _: [pk])
            rep_quotas = [r for r in self.period_quotas if r.rep_id is not None]
            quotas = self._quotas_by(rep_quotas, lambda q: [q.rep_id])

            def label(key):
                return self.names.person(key)

            def code(key):
                return self.names.username(key)

        else:
            totals, activities = self._group(lambda c: [c.team_id], lambda _, p: [p.team_id])
            quotas = self._quotas_by(self.level_quotas(), lambda q: [q.team_id])

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
                quota=quotas.get(key),
                activities=activities.get(key, Counter()),
            )
            for key in keys
        ]

    def _territory_rows(self) -> list[BreakdownRow]:
        tree = self.scope.territories

        def lineage(territory_id: int | None) -> list:
            return [None] if territory_id is None else tree.ancestors_and_self(territory_id)

        totals, activities = self._group(
            lambda c: lineage(c.territory_id), lambda _, p: lineage(p.territory_id)
        )
        quotas = self._quotas_by(self.level_quotas(), lambda q: lineage(q.territory_id))
        keys = set(totals) | set(activities) | set(quotas)

        def label(key):
            return NO_TERRITORY if key is None else tree.names.get(key, f"#{key}")

        return [
            BreakdownRow(
                key=f"territory:{'' if key is None else key}",
                name=label(key),
                code=label(key),
                metrics=totals.get(key, Totals()).metrics(),
                quota=quotas.get(key),
                activities=activities.get(key, Counter()),
                depth=0 if key is None else tree.depth(key),
                parent_key=None
                if key is None or tree.parents.get(key) is None
                else f"territory:{tree.parents[key]}",
            )
            for key in keys
        ]


def breakdown(scope: ReportScope, *, by: str, sort: str = DEFAULT_SORT) -> Breakdown:
    """The metrics per rep, team or territory (or none: the total only), with quotas."""
    with one_snapshot():
        data = ReportData.load(scope)
    return Breakdown(by=by, sort=valid_sort(sort), rows=data.rows(by, sort), total=data.total(by))
