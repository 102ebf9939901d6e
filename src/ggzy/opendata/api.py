"""数据共享 Open data (OCDS, 数据规范, 变更流) — API."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["opendata"])
feed_router = Router(tags=["feed"])
