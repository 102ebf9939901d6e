"""评标专家 Experts (专家库, 随机抽取) — models."""

from __future__ import annotations
