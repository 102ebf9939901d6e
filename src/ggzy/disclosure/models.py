"""信息公开 Public disclosure (公告, 检索, 订阅, 统计) — models."""

from __future__ import annotations
