"""评标 Evaluation and award (评标, 定标, 中标通知书) — models."""

from __future__ import annotations
