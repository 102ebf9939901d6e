"""Plain DB-API inserts for the ledger's hot paths (record, integrate), where the ORM's
per-row cost would dominate. Both supported databases; values adapted as Django stores them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.backends.base.base import BaseDatabaseWrapper


def adapt_datetime(conn: BaseDatabaseWrapper, value: dt.datetime) -> object:
    """SQLite: Django's text format (UTC, naive); PostgreSQL: the aware datetime itself."""
    if conn.vendor == "sqlite":
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    return value


def insert_many(
    conn: BaseDatabaseWrapper, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]
) -> None:
    if not rows:
        return
    mark = "?" if conn.vendor == "sqlite" else "%s"
    names = ", ".join(conn.ops.quote_name(c) for c in columns)
    marks = ", ".join([mark] * len(columns))
    # table and columns are constants of this package, never user input
    sql = f"INSERT INTO {conn.ops.quote_name(table)} ({names}) VALUES ({marks})"  # noqa: S608
    conn.ensure_connection()
    with conn.wrap_database_errors:
        if conn.vendor == "postgresql":
            import psycopg  # server-side binding: executemany is pipelined and prepared

            with psycopg.Cursor(conn.connection) as pg_cur:
                pg_cur.executemany(sql, rows)
            return
        cur = conn.connection.cursor()
        try:
            cur.executemany(sql, rows)
        finally:
            cur.close()
