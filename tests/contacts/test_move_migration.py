"""Organizations and contacts moved from the pipeline app to their own: nothing is lost."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("pipeline", "0005_stage_entry_facts")


@pytest.fixture
def migrator(transactional_db):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    yield executor
    executor = MigrationExecutor(connection)
    executor.migrate(latest)


def test_deals_keep_their_organization_and_contact_across_the_move(migrator):
    old = migrator.migrate([BEFORE, ("contacts", None)]).apps
    org = old.get_model("pipeline", "Organization").objects.create(name="Acme")
    contact = old.get_model("pipeline", "Contact").objects.create(
        organization=org, first_name="Ada", last_name="Lovelace"
    )
    stage = old.get_model("pipeline", "Stage").objects.create(
        pipeline=old.get_model("pipeline", "Pipeline").objects.create(name="Sales"), name="Lead"
    )
    owner = old.get_model("teams", "User").objects.create(username="rep")
    deal = old.get_model("pipeline", "Deal").objects.create(
        title="Big one",
        organization=org,
        contact=contact,
        owner=owner,
        pipeline=stage.pipeline,
        stage=stage,
        value="10.00",
    )

    migrator = MigrationExecutor(connection)
    migrator.migrate(migrator.loader.graph.leaf_nodes())

    from pipeline.models import Deal

    moved = Deal.objects.select_related("organization", "contact").get(pk=deal.pk)
    assert moved.organization.name == "Acme"
    assert str(moved.contact) == "Ada Lovelace"
    assert moved.contact.organization_id == org.pk
    assert {"contacts_organization", "contacts_contact"} <= set(
        connection.introspection.table_names()
    )
    assert ContentType.objects.get_for_model(moved.organization).app_label == "contacts"
