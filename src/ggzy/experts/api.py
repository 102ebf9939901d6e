"""评标专家 Experts (专家库, 随机抽取) — API."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["experts"])
