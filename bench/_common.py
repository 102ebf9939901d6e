"""Helpers shared by the benchmarks: set up Django on a throwaway database, write results."""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def setup_django() -> str:
    """Configure Django on a fresh SQLite file (or DATABASE_URL's PostgreSQL) and migrate."""
    data = tempfile.mkdtemp(prefix="ggzy-bench-")
    os.environ.setdefault("GGZY_DATA_DIR", data)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ggzy.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from django.db import connection

    return connection.vendor


def write_result(name: str, figures: list[dict[str, Any]], parameters: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    body = {
        "benchmark": name,
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "parameters": parameters,
        "figures": figures,
    }
    (RESULTS / f"{name}.json").write_text(json.dumps(body, indent=2, ensure_ascii=False))
    for f in figures:
        print(f"{name}: {f['metric']} = {f['value']:.6g} {f['unit']}")


def fresh_postgres(name: str) -> str | None:
    """Drop and create database ``name`` on the local PostgreSQL; its URL, or None if down."""
    import psycopg

    try:
        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True, connect_timeout=3
        ) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
    except psycopg.Error:
        return None
    return f"postgres://postgres@127.0.0.1:5432/{name}"
