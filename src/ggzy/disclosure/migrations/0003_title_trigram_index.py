"""A trigram index on the lower-cased title (PostgreSQL only): search reads its best rank
tier — the whole query as a phrase in the title — newest first with ``LIMIT`` from this index
instead of ranking every match of ``search_text``. SQLite narrows by the FTS5 table first and
needs nothing more."""

from __future__ import annotations

from typing import Any

from django.db import migrations

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS disclosure_notice_title_trgm ON disclosure_notice "
    "USING gin (lower(title) gin_trgm_ops)",
]
POSTGRES_REVERSE = ["DROP INDEX IF EXISTS disclosure_notice_title_trgm"]


def _run(statements: list[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0002_search_index")]

    operations = [migrations.RunPython(_run(POSTGRES), _run(POSTGRES_REVERSE))]
