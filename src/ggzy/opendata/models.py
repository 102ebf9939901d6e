"""数据共享 Open data (OCDS, 数据规范, 变更流) — models."""

from __future__ import annotations
