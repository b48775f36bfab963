"""Covering indexes for "the contacts and organizations of the deals a user sees", which
every search of a rep or a manager reads (contacts.access): an index-only scan of the user's
or the team's deals instead of a visit to each deal row. PostgreSQL only, like 0001."""

from django.db import migrations

from search.migrations import _operations

INDEXES = {
    "search_deal_owner_contact": "(owner_id, contact_id) INCLUDE (team_id)",
    "search_deal_owner_organization": "(owner_id, organization_id) INCLUDE (team_id)",
    "search_deal_team_contact": "(team_id, contact_id) INCLUDE (owner_id)",
    "search_deal_team_organization": "(team_id, organization_id) INCLUDE (owner_id)",
}


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        _operations.PostgreSQLOnly(
            f"CREATE INDEX {name} ON pipeline_deal {columns}", f"DROP INDEX IF EXISTS {name}"
        )
        for name, columns in INDEXES.items()
    ]
