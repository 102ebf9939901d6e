"""信息公开 Public disclosure (公告, 检索, 订阅, 统计) — API."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["disclosure"])
