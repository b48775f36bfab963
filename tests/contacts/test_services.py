"""Writes to organizations and contacts outside the screens."""

from contacts.services import (
    contact_create,
    organization_create,
    organization_update,
    records_take_owners_from_deals,
)
from tests.factories import make_deal, make_organization


def test_the_creator_owns_a_new_record_unless_told_otherwise(cast):
    mine = organization_create(actor=cast.rep_a, name=" Acme ")
    theirs = organization_create(actor=cast.admin, name="Globex", owner=cast.rep_b)
    assert (mine.name, mine.owner, theirs.owner) == ("Acme", cast.rep_a, cast.rep_b)
    ada = contact_create(
        actor=cast.rep_a, organization=mine, first_name=" Ada ", last_name="L", email=" A@B.io "
    )
    assert (ada.first_name, ada.email, ada.email_key, ada.owner) == (
        "Ada",
        "A@B.io",
        "a@b.io",
        cast.rep_a,
    )


def test_renaming_keeps_the_key_in_step(cast):
    acme = organization_create(actor=cast.rep_a, name="Acme")
    organization_update(organization=acme, actor=cast.rep_a, name="Initech GmbH")
    acme.refresh_from_db()
    assert acme.name_key == "initech"


def test_records_loaded_in_bulk_take_the_owner_of_their_latest_active_deal(cast):
    stage = cast.pipeline.stages.first()
    with_deals = make_organization("With deals")
    without = make_organization("Without")
    mine = make_organization("Mine", owner=cast.rep_b)
    make_deal(owner=cast.rep_a, stage=stage, organization=with_deals)
    make_deal(owner=cast.rep_a2, stage=stage, organization=with_deals)
    make_deal(owner=cast.rep_a, stage=stage, organization=mine)
    assert records_take_owners_from_deals() == 1
    with_deals.refresh_from_db(), without.refresh_from_db(), mine.refresh_from_db()
    assert (with_deals.owner, without.owner, mine.owner) == (cast.rep_a2, None, cast.rep_b)
