"""Organizations and contacts around the shared cast, and who may see or change each.

Each record is reached one way (or not at all) by each member of the cast:

- `own_a`, `own_a2`, `own_b`, `own_manager_a`: owned by that person, on no deal;
- `shared`: owned by rep_b, but on rep_a's deal (rep_a and manager_a see it through it);
- `via_deal_b`: no owner, on rep_b's deal;
- `orphan`: no owner, on no deal (only admins see it).

There is one organization and one contact of each kind; a contact of kind K works at the
organization of kind K and is on the same deal.
"""

from dataclasses import dataclass

import pytest

from contacts.models import Contact, Organization
from tests.factories import make_contact, make_organization

KINDS = ("own_a", "own_a2", "own_b", "own_manager_a", "shared", "via_deal_b", "orphan")

HIDDEN, READ, WRITE = "hidden", "read", "write"

# What each member of the cast may do with each kind of record.
ACCESS = {
    "rep_a": {"own_a": WRITE, "shared": READ},
    "rep_a2": {"own_a2": WRITE},
    "rep_b": {"own_b": WRITE, "shared": WRITE, "via_deal_b": READ},
    "manager_a": {"own_a": WRITE, "own_a2": WRITE, "own_manager_a": WRITE, "shared": READ},
    "manager_b": {"own_b": WRITE, "shared": WRITE, "via_deal_b": READ},
    "admin": dict.fromkeys(KINDS, WRITE),
}
ACCESS_CASES = [
    (viewer, kind, ACCESS[viewer].get(kind, HIDDEN)) for viewer in ACCESS for kind in KINDS
]


@dataclass
class Records:
    organizations: dict[str, Organization]
    contacts: dict[str, Contact]

    def organization(self, kind: str) -> Organization:
        return self.organizations[kind]

    def contact(self, kind: str) -> Contact:
        return self.contacts[kind]


@pytest.fixture
def records(cast) -> Records:
    owners = {
        "own_a": cast.rep_a,
        "own_a2": cast.rep_a2,
        "own_b": cast.rep_b,
        "own_manager_a": cast.manager_a,
        "shared": cast.rep_b,
        "via_deal_b": None,
        "orphan": None,
    }
    organizations, contacts = {}, {}
    for kind in KINDS:
        label = kind.replace("_", " ").title()
        organizations[kind] = make_organization(f"{label} Org", owner=owners[kind])
        contacts[kind] = make_contact(
            organization=organizations[kind],
            first_name=label.replace(" ", ""),
            last_name="Person",
            email=f"{kind}@example.com",
            owner=owners[kind],
        )
    for kind, deal in (("shared", cast.deal_a), ("via_deal_b", cast.deal_b)):
        deal.organization, deal.contact = organizations[kind], contacts[kind]
        deal.save()
    return Records(organizations=organizations, contacts=contacts)


HTMX = {"HX-Request": "true"}


def htmx(target: str | None = None) -> dict[str, str]:
    """Headers of an htmx request aimed at the element with id `target`."""
    return {**HTMX, **({"HX-Target": target} if target else {})}
