"""The shared cast of every permission test, and access to the real services.

Two teams in two territories: team A (manager_a; reps rep_a and rep_a2) and team B
(manager_b; rep_b), plus an admin. Each rep owns one open deal.
"""

import os
import socket
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest

from pipeline.models import Deal, Pipeline
from teams.models import Role, Team, User
from tests.factories import make_deal, make_pipeline, make_team, make_territory, make_user

# CI sets CRM_REQUIRE_SERVICES=1: a test that needs Redis or PostgreSQL then fails, rather
# than skips, when the service is missing.
REQUIRE_SERVICES = os.environ.get("CRM_REQUIRE_SERVICES") == "1"


def service_missing(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (CRM_REQUIRE_SERVICES=1 makes this a failure)")
    pytest.skip(reason)


def reachable(url: str) -> bool:
    parts = urlparse(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1
        ):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_url() -> str:
    """The URL of a real Redis: REDIS_URL, or the local default when it answers."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    if not reachable(url):
        service_missing(f"needs a running Redis at {url}")
    return url


@pytest.fixture
def requires_postgres(settings) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        if REQUIRE_SERVICES and os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.fail("DATABASE_URL names PostgreSQL but the tests run elsewhere")
        pytest.skip("needs PostgreSQL: runs when DATABASE_URL points to one (CI's second pass)")


@dataclass
class Cast:
    pipeline: Pipeline
    team_a: Team
    team_b: Team
    manager_a: User
    manager_b: User
    rep_a: User
    rep_a2: User
    rep_b: User
    admin: User
    deal_a: Deal
    deal_a2: Deal
    deal_b: Deal

    def user(self, name: str) -> User:
        return getattr(self, name)

    def deal(self, name: str) -> Deal:
        return getattr(self, name)


@pytest.fixture
def cast(db) -> Cast:
    pipeline = make_pipeline("Sales")
    first_stage = pipeline.stages.first()
    team_a = make_team("Team A", territory=make_territory("East"))
    team_b = make_team("Team B", territory=make_territory("West"))
    manager_a = make_user("manager_a", role=Role.MANAGER, team=team_a)
    manager_b = make_user("manager_b", role=Role.MANAGER, team=team_b)
    team_a.manager, team_b.manager = manager_a, manager_b
    team_a.save()
    team_b.save()
    rep_a = make_user("rep_a", team=team_a)
    rep_a2 = make_user("rep_a2", team=team_a)
    rep_b = make_user("rep_b", team=team_b)
    admin = make_user("admin", role=Role.ADMIN, is_staff=True, is_superuser=True)
    return Cast(
        pipeline=pipeline,
        team_a=team_a,
        team_b=team_b,
        manager_a=manager_a,
        manager_b=manager_b,
        rep_a=rep_a,
        rep_a2=rep_a2,
        rep_b=rep_b,
        admin=admin,
        deal_a=make_deal(owner=rep_a, stage=first_stage, title="Rep A's deal"),
        deal_a2=make_deal(owner=rep_a2, stage=first_stage, title="Rep A2's deal"),
        deal_b=make_deal(owner=rep_b, stage=first_stage, title="Rep B's deal"),
    )


# Who sees which deal of the cast: the visibility matrix every deal URL is tested against.
VISIBILITY = {
    "rep_a": {"deal_a"},
    "rep_a2": {"deal_a2"},
    "rep_b": {"deal_b"},
    "manager_a": {"deal_a", "deal_a2"},
    "manager_b": {"deal_b"},
    "admin": {"deal_a", "deal_a2", "deal_b"},
}
VISIBILITY_CASES = [
    (viewer, deal, deal in visible)
    for viewer, visible in VISIBILITY.items()
    for deal in ("deal_a", "deal_a2", "deal_b")
]


@pytest.fixture(autouse=True, scope="session")
def celery_broker_in_memory():
    """Tasks sent by the code under test (a write asks for a webhook dispatch when it
    commits) go to an in-memory broker: never to Redis queues or files under var/ that no
    worker of this test reads. Integration tests start their own processes with their own
    broker settings."""
    from crm.celery import app

    app.conf.broker_url = "memory://"
    app.conf.broker_transport_options = {}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


@pytest.fixture
def assert_max_queries():
    """Like django_assert_max_num_queries, but transaction control is not a query.

    SQLite's IMMEDIATE transactions and the test's savepoints add BEGIN/COMMIT/SAVEPOINT
    statements that PostgreSQL does not send; a cap must mean the same on both.
    """
    from contextlib import contextmanager

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    @contextmanager
    def check(limit: int):
        with CaptureQueriesContext(connection) as context:
            yield context
        queries = [
            q["sql"]
            for q in context.captured_queries
            if not q["sql"].startswith(TRANSACTION_CONTROL)
        ]
        assert len(queries) <= limit, f"{len(queries)} queries (cap {limit}):\n" + "\n".join(
            queries
        )

    return check


@pytest.fixture
def file_storage(settings, tmp_path):
    """Uploaded files go to a folder of the test's own (the default storage's location)."""
    location = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location
