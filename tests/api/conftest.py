"""API tests: a read-write and a read-only token for each member of the cast."""

import json

import pytest
from django.core.cache import cache

from api.services import token_create


class ApiClient:
    """The Django test client speaking JSON with a Bearer token."""

    def __init__(self, client, raw_token: str | None):
        self.client = client
        self.raw = raw_token

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.raw}"} if self.raw else {}

    def get(self, path: str, params=None):
        return self.client.get(path, params or {}, headers=self.headers())

    def _send(self, method: str, path: str, body):
        return getattr(self.client, method)(
            path,
            data=body if isinstance(body, (str, bytes)) else json.dumps(body),
            content_type="application/json",
            headers=self.headers(),
        )

    def post(self, path: str, body=None):
        return self._send("post", path, {} if body is None else body)

    def patch(self, path: str, body=None):
        return self._send("patch", path, {} if body is None else body)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_as(client, cast):
    """api_as("rep_a") (read-write) or api_as("rep_a", scope="read")."""
    made: dict = {}

    def make(name: str, *, scope: str = "write") -> ApiClient:
        if (name, scope) not in made:
            _, raw = token_create(user=cast.user(name), name=f"{name} {scope}", scope=scope)
            made[name, scope] = raw
        return ApiClient(client, made[name, scope])

    return make


@pytest.fixture
def anonymous_api(client):
    return ApiClient(client, None)


# Five custom fields of each kind (one of each type but multiple choice), and the values a
# row has for them: what the query-count tests read to show a row costs no extra query.
FIVE_FIELDS = [
    ("tier", "choice", {"choices": "Gold\nSilver"}),
    ("budget", "money", {}),
    ("renewal", "date", {}),
    ("champion", "user", {}),
    ("po_number", "text", {}),
]


def custom_sample(champion_id: int) -> dict:
    return {
        "tier": "Gold",
        "budget": 1999.99,
        "renewal": "2027-03-31",
        "champion": champion_id,
        "po_number": "PO-7",
    }


@pytest.fixture
def five_fields(db):
    """Five active custom fields on deals, organizations and contacts (and one archived)."""
    from django.utils import timezone

    from tests.customfields.conftest import define

    for kind in ("deal", "organization", "contact"):
        for order, (key, type, options) in enumerate(FIVE_FIELDS):
            define(kind, key, type, order=order, **options)
        define(kind, "old", "text", archived_at=timezone.now())
