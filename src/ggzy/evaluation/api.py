"""评标 Evaluation and award (评标, 定标, 中标通知书) — API."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["evaluation"])
