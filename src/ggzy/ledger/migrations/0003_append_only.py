"""Append-only in the database too: UPDATE and DELETE on the evidence tables are refused by
triggers, on SQLite and PostgreSQL alike.

``ledger_maintenance`` (no model) is the one way around them: a row there unlocks the tables.
Only the test suite uses it, to empty the database between tests; production never writes it.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

TABLES = [
    "ledger_entry",
    "ledger_entrydigest",
    "ledger_logleaf",
    "ledger_treenode",
    "ledger_checkpoint",
    "ledger_cosignature",
]


def _forward(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor

    def run(sql: str) -> None:
        schema_editor.execute(sql, params=None)  # None: no %-placeholder parsing (plpgsql uses %)

    run("CREATE TABLE ledger_maintenance (unlocked INTEGER NOT NULL)")
    if vendor == "sqlite":
        for table in TABLES:
            for op in ("UPDATE", "DELETE"):
                run(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "  # noqa: S608
                    "WHEN NOT EXISTS (SELECT 1 FROM ledger_maintenance) "
                    f"BEGIN SELECT RAISE(ABORT, 'ledger tables are append-only ({table})'); END"
                )  # table names are the constants above
    elif vendor == "postgresql":
        run(
            """
            CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF EXISTS (SELECT 1 FROM ledger_maintenance) THEN
                RETURN COALESCE(NEW, OLD);
              END IF;
              RAISE EXCEPTION 'ledger tables are append-only (%)', TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
            END $$
            """
        )
        for table in TABLES:
            run(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
            )
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"append-only triggers not written for {vendor}")


def _backward(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor

    def run(sql: str) -> None:
        schema_editor.execute(sql, params=None)

    for table in TABLES:
        if vendor == "sqlite":
            run(f"DROP TRIGGER IF EXISTS {table}_no_update")
            run(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        else:
            run(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    if vendor == "postgresql":
        run("DROP FUNCTION IF EXISTS ledger_append_only()")
    run("DROP TABLE ledger_maintenance")


def _state_row(apps: Any, schema_editor: Any) -> None:
    apps.get_model("ledger", "LogState").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_log_tree")]
    operations = [
        migrations.RunPython(_state_row, migrations.RunPython.noop),
        migrations.RunPython(_forward, _backward),
    ]
