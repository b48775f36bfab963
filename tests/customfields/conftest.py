import pytest

from customfields.models import FieldDefinition
from tests.contacts.conftest import records  # noqa: F401 (the contacts' cast of records)


def define(kind: str, key: str, type: str, **options) -> FieldDefinition:
    """An admin defines a custom field (validated as the admin form would)."""
    options.setdefault("label", key.replace("_", " ").capitalize())
    definition = FieldDefinition(kind=kind, key=key, type=type, **options)
    definition.full_clean()
    definition.save()
    return definition


@pytest.fixture
def deal_fields(db) -> dict[str, FieldDefinition]:
    """One deal field of each type, in order; tier and budget on the board's cards."""
    return {
        "tier": define(
            "deal",
            "tier",
            "choice",
            label="Tier",
            choices="Gold\nSilver",
            order=1,
            show_on_card=True,
        ),
        "budget": define("deal", "budget", "money", label="Budget", order=2, show_on_card=True),
        "seats": define("deal", "seats", "number", label="Seats", order=3),
        "renewal": define("deal", "renewal", "date", label="Renewal date", order=4),
        "regions": define(
            "deal", "regions", "multi_choice", label="Regions", choices="EU\nUS\nAPAC", order=5
        ),
        "champion": define("deal", "champion", "user", label="Champion", order=6),
        "po_number": define("deal", "po_number", "text", label="PO number", order=7),
    }
