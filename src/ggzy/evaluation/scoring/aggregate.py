"""Aggregation of expert scores, totals and ranking. Pure: no Django.

* Item score (评分项得分) = arithmetic mean of the experts' scores for that item; with at least
  ``drop_extremes_min`` experts one highest and one lowest score are dropped first [P].
  Quantised to 0.01, half up.
* Total = Σ item score × weight + price score (0.01, half up).
* Ranking (排序): total descending; tie → lower price (评标价) first; still tied → earlier
  server receipt time of the bid (the caller passes it as ``order``), and the pair is flagged
  ``tied`` so the report states that the tenderer decides (DOMAIN §3.5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ggzy.evaluation.scoring.price import ZERO, q2


def item_mean(scores: Sequence[Decimal], *, drop_extremes_min: int = 0) -> Decimal:
    if not scores:
        raise ValueError("no scores")
    values = sorted(scores)
    if drop_extremes_min and len(values) >= drop_extremes_min and len(values) > 2:
        values = values[1:-1]
    return q2(sum(values, ZERO) / Decimal(len(values)))


def total(
    item_scores: Mapping[str, Decimal], weights: Mapping[str, Decimal], price_score: Decimal
) -> Decimal:
    return q2(
        sum((v * weights.get(k, Decimal(1)) for k, v in item_scores.items()), ZERO) + price_score
    )


@dataclass(frozen=True)
class Ranked:
    key: str
    rank: int
    total: Decimal
    price: Decimal
    tied: bool  # same total and price as a neighbour: the tenderer decides (招标人确定)


def rank(
    totals: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
    order: Mapping[str, object],
    *,
    ascending: bool = False,
) -> list[Ranked]:
    """Rank bids by total (descending; ``ascending=True`` for the lowest evaluated price
    method, where ``totals`` holds evaluated prices), then price, then ``order``."""
    sign = Decimal(1) if ascending else Decimal(-1)
    keys = sorted(totals, key=lambda k: (sign * totals[k], prices[k], order[k], k))
    out: list[Ranked] = []
    for i, k in enumerate(keys):
        same = [
            j
            for j in (i - 1, i + 1)
            if 0 <= j < len(keys) and totals[keys[j]] == totals[k] and prices[keys[j]] == prices[k]
        ]
        out.append(Ranked(k, i + 1, totals[k], prices[k], bool(same)))
    return out


def score_matrix_totals(
    scores: Mapping[str, Mapping[str, Sequence[Decimal]]],
    weights: Mapping[str, Decimal],
    price_scores: Mapping[str, Decimal],
    *,
    drop_extremes_min: int = 0,
) -> tuple[dict[str, dict[str, Decimal]], dict[str, Decimal]]:
    """``scores[bid][criterion] = [expert scores]`` → (item means per bid, totals per bid)."""
    items: dict[str, dict[str, Decimal]] = {}
    totals: dict[str, Decimal] = {}
    for bid, per_item in scores.items():
        means = {c: item_mean(v, drop_extremes_min=drop_extremes_min) for c, v in per_item.items()}
        items[bid] = means
        totals[bid] = total(means, weights, price_scores.get(bid, ZERO))
    return items, totals
