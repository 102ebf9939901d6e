"""The trigram search index: SQLite FTS5 (tokenize='trigram', kept in step by triggers) or
PostgreSQL pg_trgm GIN on ``search_text``. Chosen by database vendor at migrate time."""

from __future__ import annotations

from typing import Any

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE disclosure_notice_fts USING fts5(search_text, "
    "content='disclosure_notice', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER disclosure_notice_fts_ai AFTER INSERT ON disclosure_notice BEGIN "
    "INSERT INTO disclosure_notice_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER disclosure_notice_fts_ad AFTER DELETE ON disclosure_notice BEGIN "
    "INSERT INTO disclosure_notice_fts(disclosure_notice_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER disclosure_notice_fts_au AFTER UPDATE OF search_text ON disclosure_notice "
    "BEGIN INSERT INTO disclosure_notice_fts(disclosure_notice_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO disclosure_notice_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS disclosure_notice_fts_au",
    "DROP TRIGGER IF EXISTS disclosure_notice_fts_ad",
    "DROP TRIGGER IF EXISTS disclosure_notice_fts_ai",
    "DROP TABLE IF EXISTS disclosure_notice_fts",
]
POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS disclosure_notice_trgm ON disclosure_notice "
    "USING gin (search_text gin_trgm_ops)",
]
POSTGRES_REVERSE = ["DROP INDEX IF EXISTS disclosure_notice_trgm"]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]
