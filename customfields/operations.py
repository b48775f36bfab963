"""Migration operations for what only PostgreSQL has."""

from django.db import migrations


class RunSQLOnPostgreSQL(migrations.RunSQL):
    """RunSQL that runs on PostgreSQL only, e.g. to create a GIN index SQLite lacks.

    The index is kept out of the models' `Meta.indexes` on purpose: SQLite rebuilds a table
    (and all its declared indexes) on many schema changes, and would choke on `USING gin`.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def gin_index(*, table: str, name: str) -> RunSQLOnPostgreSQL:
    """A GIN index (jsonb_path_ops: answers `@>` containment) on `table.custom`."""
    return RunSQLOnPostgreSQL(
        sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ("custom" jsonb_path_ops)',
        reverse_sql=f'DROP INDEX IF EXISTS "{name}"',
    )
