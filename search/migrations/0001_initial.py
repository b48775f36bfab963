"""pg_trgm and the search indexes, on PostgreSQL only (SQLite's fallback scans).

The indexed expressions are exactly those `search.queries` searches (a kind's "document"):
a GIN trigram index serves LIKE '%text%' and pg_trgm's word similarity (`<%`); a GIN index on
to_tsvector('simple', ...) serves full-text search of word prefixes. They live in this app
so the search owns its indexes; the tables belong to pipeline, contacts and leads.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from search.migrations._operations import PostgreSQLOnly

DOCUMENTS = {
    "deal": ("pipeline_deal", "lower((title)::text)"),
    "organization": ("contacts_organization", "(name_key)::text"),
    "contact": (
        "contacts_contact",
        "(((full_name_key)::text || ' '::text) || (email_key)::text)",
    ),
    "lead": ("leads_lead", "lower((title)::text)"),
}


def index_operations():
    for kind, (table, document) in DOCUMENTS.items():
        yield PostgreSQLOnly(
            f"CREATE INDEX search_{kind}_trgm ON {table} USING gin (({document}) gin_trgm_ops)",
            f"DROP INDEX IF EXISTS search_{kind}_trgm",
        )
        yield PostgreSQLOnly(
            f"CREATE INDEX search_{kind}_fts ON {table} "
            f"USING gin (to_tsvector('simple'::regconfig, {document}))",
            f"DROP INDEX IF EXISTS search_{kind}_fts",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0004_backfill_keys_and_owners"),
        ("leads", "0001_initial"),
        ("pipeline", "0009_imported_lost_reason"),
    ]

    operations = [TrigramExtension(), *index_operations()]
