"""Existing organizations and contacts get their lookup keys, and an owner from their latest
deal when its owner is still active; the others stay without one."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [
    ("contacts", "0002_rename_tables"),
    ("pipeline", "0006_organizations_and_contacts_move_to_contacts"),
]


def applied_state():
    """The models as the migrations applied now define them (other apps' later migrations,
    kept applied, included)."""
    loader = MigrationExecutor(connection).loader
    return loader.project_state(list(loader.applied_migrations)).apps


@pytest.fixture
def migrator(transactional_db):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    yield executor
    executor = MigrationExecutor(connection)
    executor.migrate(latest)


def test_existing_rows_get_keys_and_the_owner_of_their_latest_deal(migrator):
    migrator.migrate(BEFORE)
    old = applied_state()
    Organization = old.get_model("contacts", "Organization")
    Contact = old.get_model("contacts", "Contact")
    User = old.get_model("teams", "User")
    Deal = old.get_model("pipeline", "Deal")
    pipeline = old.get_model("pipeline", "Pipeline").objects.create(name="Sales")
    stage = old.get_model("pipeline", "Stage").objects.create(pipeline=pipeline, name="Lead")
    first, latest = User.objects.create(username="first"), User.objects.create(username="latest")
    gone = User.objects.create(username="gone", is_active=False)
    acme = Organization.objects.create(name="ACME, Inc.")
    lonely = Organization.objects.create(name="Lonely Ltd")
    left = Organization.objects.create(name="Left Co")
    ada = Contact.objects.create(
        organization=acme, first_name="Ada", last_name="Lovelace", email="Ada@X.io"
    )
    now = timezone.now()
    for owner, organization, contact, age in (
        (first, acme, ada, 10),
        (latest, acme, None, 1),
        (latest, None, ada, 5),
        (gone, left, None, 1),
    ):
        Deal.objects.create(
            title="D",
            owner=owner,
            organization=organization,
            contact=contact,
            pipeline=pipeline,
            stage=stage,
            value="1.00",
            created_at=now - timedelta(days=age),
        )

    migrator = MigrationExecutor(connection)
    migrator.migrate(migrator.loader.graph.leaf_nodes())

    from contacts.models import Contact as NewContact
    from contacts.models import Organization as NewOrganization

    acme_now = NewOrganization.objects.get(pk=acme.pk)
    assert (acme_now.name_key, acme_now.owner.username) == ("acme", "latest")
    assert NewOrganization.objects.get(pk=lonely.pk).owner is None
    assert NewOrganization.objects.get(pk=left.pk).owner is None  # its deal's owner left
    ada_now = NewContact.objects.get(pk=ada.pk)
    assert (ada_now.email_key, ada_now.sort_name_key, ada_now.owner.username) == (
        "ada@x.io",
        "lovelace ada",
        "latest",
    )
