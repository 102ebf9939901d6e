"""Demo data: backfill notices for the demo tenders (the lead calls ``seed`` from the demo)."""

from __future__ import annotations

from collections.abc import Callable

from ggzy.disclosure import sources


def seed(log: Callable[[str], None]) -> None:
    count = sources.reindex("system:demo")
    log(f"信息公开：补建公告 {count} 条")
