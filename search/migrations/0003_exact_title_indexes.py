"""B-tree indexes on the lower-case titles of deals and leads, for the search's "named
exactly the text" candidates (search.queries._candidates). Without them PostgreSQL answers
`lower(title) = 'payroll'` from the trigram index and rechecks every title that merely
contains the word (8,000 rows at 100,000 deals: 20 ms of a manager's search). Organizations
and contacts compare their folded keys, which contacts' own indexes cover. PostgreSQL only."""

from django.db import migrations

from search.migrations import _operations

INDEXES = {
    "search_deal_title_lower": "pipeline_deal (lower(title))",
    "search_lead_title_lower": "leads_lead (lower(title))",
}


class Migration(migrations.Migration):
    dependencies = [("search", "0002_deal_link_indexes")]

    operations = [
        _operations.PostgreSQLOnly(
            f"CREATE INDEX {name} ON {table}", f"DROP INDEX IF EXISTS {name}"
        )
        for name, table in INDEXES.items()
    ]
