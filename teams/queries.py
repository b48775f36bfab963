"""Reads of the sales organisation."""

from collections.abc import Iterable
from dataclasses import dataclass

from teams.models import Territory


@dataclass(frozen=True)
class TerritoryTree:
    """Territories with their nesting: the one place the tree is walked. A territory's
    figures and filters include the territories inside it."""

    names: dict[int, str]
    parents: dict[int, int | None]

    @classmethod
    def of(cls, territories: Iterable[Territory]) -> "TerritoryTree":
        """The tree of territories already read (no query)."""
        rows = [(t.pk, t.name, t.parent_id) for t in territories]
        return cls(
            names={pk: name for pk, name, _ in rows},
            parents={pk: parent for pk, _, parent in rows},
        )

    @classmethod
    def load(cls) -> "TerritoryTree":
        """Every territory, in one query."""
        rows = list(Territory.objects.values_list("pk", "name", "parent_id"))
        return cls(
            names={pk: name for pk, name, _ in rows},
            parents={pk: parent for pk, _, parent in rows},
        )

    def ancestors_and_self(self, pk: int) -> list[int]:
        """`pk`, its parent, its parent's parent... up to the root (a cycle stops the walk)."""
        chain, seen = [], set()
        current: int | None = pk
        while current is not None and current not in seen:
            seen.add(current)
            chain.append(current)
            current = self.parents.get(current)
        return chain

    def descendants_and_self(self, pk: int) -> set[int]:
        """`pk` and every territory inside it, however deep."""
        return {t for t in self.parents if pk in self.ancestors_and_self(t)}

    def depth(self, pk: int) -> int:
        """How many territories `pk` is inside (0 for a top-level one)."""
        return len(self.ancestors_and_self(pk)) - 1
