"""Price-score formulas (报价得分), versioned and parameterised. Pure: no Django.

Rounding (documented in docs/evaluation.md and fixed per formula version):

* money (benchmark price 评标基准价) is quantised to 0.01 元, ROUND_HALF_UP;
* the deviation rate ``D`` is a percentage quantised to 0.01, ROUND_HALF_UP;
* scores are quantised to 0.01 point, ROUND_HALF_UP, and clamped to ``[0, s_max]``.

A formula version never changes once published: a new rounding or base rule is a new version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)

DEVIATION_V1 = "deviation/v1"  # 综合评估法 偏差率法 (CalcQuoteScoreUtil, DOMAIN §3.5)
LOWEST_RATIO_V1 = "lowest_ratio/v1"  # 低价优先法 (87号令 第五十五条, DOMAIN §4)
LOWEST_EVALUATED_V1 = "lowest_evaluated/v1"  # 经评审的最低投标价法 (DOMAIN §3.5)
FORMULAS = (DEVIATION_V1, LOWEST_RATIO_V1, LOWEST_EVALUATED_V1)
K_DRAW_V1 = "k-draw/v1"


class FormulaError(ValueError):
    """Parameters or inputs a formula cannot work with (no valid bids, s_max ≤ 0, …)."""


def q2(value: Decimal) -> Decimal:
    """Quantise to two decimals, half up (四舍五入)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class DeviationParams:
    """Parameters of the deviation-rate formula (from the tender documents).

    ``base``: ``"mean"`` (arithmetic mean of valid prices; with ``trim`` and more than
    ``trim_above`` bids the single highest and single lowest are dropped first) or
    ``"lowest"`` (the lowest valid price). ``k``: 下浮系数 K drawn at opening, base × (1 − K).
    ``e1`` points per percent above the base, ``e2`` points per percent below it.
    """

    s_max: Decimal
    e1: Decimal
    e2: Decimal
    base: str = "mean"
    trim: bool = True
    trim_above: int = 3
    k: Decimal = ZERO

    def __post_init__(self) -> None:
        if self.s_max <= 0:
            raise FormulaError("s_max must be positive")
        if self.e1 < 0 or self.e2 < 0:
            raise FormulaError("e1 and e2 must not be negative")
        if not ZERO <= self.k < 1:
            raise FormulaError("k must be in [0, 1)")
        if self.base not in ("mean", "lowest"):
            raise FormulaError(f"unknown base {self.base!r}")


def benchmark_price(prices: Sequence[Decimal], params: DeviationParams) -> Decimal:
    """评标基准价: see :class:`DeviationParams`; quantised to 0.01 元 half up."""
    valid = sorted(p for p in prices if p > 0)
    if not valid:
        raise FormulaError("no valid (positive) price")
    if params.base == "lowest":
        base = valid[0]
    else:
        if params.trim and len(valid) > params.trim_above:
            valid = valid[1:-1]  # drop one highest and one lowest
        base = sum(valid, ZERO) / Decimal(len(valid))
    return q2(base * (1 - params.k))


def deviation_rate(price: Decimal, base: Decimal) -> Decimal:
    """D = (price − base) / base × 100, in percent, 2 dp half up."""
    if base <= 0:
        raise FormulaError("benchmark price must be positive")
    return q2((price - base) / base * HUNDRED)


def deviation_score(price: Decimal, base: Decimal, params: DeviationParams) -> Decimal:
    d = deviation_rate(price, base)
    raw = params.s_max - params.e1 * d if d >= 0 else params.s_max - params.e2 * (-d)
    return min(params.s_max, max(ZERO, q2(raw)))


@dataclass(frozen=True)
class PriceResult:
    """Scores per bid key plus the benchmark used (None where the formula has none)."""

    formula: str
    scores: dict[str, Decimal]
    benchmark: Decimal | None = None
    detail: dict[str, Decimal] = field(default_factory=dict)  # D_i or evaluated prices


def deviation_scores(prices: Mapping[str, Decimal], params: DeviationParams) -> PriceResult:
    """综合评估法 price scores for every bid (``deviation/v1``)."""
    base = benchmark_price(list(prices.values()), params)
    return PriceResult(
        formula=DEVIATION_V1,
        scores={k: deviation_score(p, base, params) for k, p in prices.items()},
        benchmark=base,
        detail={k: deviation_rate(p, base) for k, p in prices.items()},
    )


def lowest_ratio_scores(prices: Mapping[str, Decimal], s_max: Decimal) -> PriceResult:
    """低价优先法 (``lowest_ratio/v1``): score = lowest valid price / price × s_max."""
    if s_max <= 0:
        raise FormulaError("s_max must be positive")
    valid = [p for p in prices.values() if p > 0]
    if not valid or len(valid) != len(prices):
        raise FormulaError("every price must be positive")
    low = min(valid)
    return PriceResult(
        formula=LOWEST_RATIO_V1,
        scores={k: min(s_max, q2(low / p * s_max)) for k, p in prices.items()},
        benchmark=low,
    )


def evaluated_prices(
    prices: Mapping[str, Decimal], adjustments: Mapping[str, Sequence[Decimal]]
) -> dict[str, Decimal]:
    """经评审的最低投标价法: evaluated price = bid price + Σ quantified adjustments (0.01 元)."""
    return {k: q2(p + sum(adjustments.get(k, ()), ZERO)) for k, p in prices.items()}


def k_draw(seed: str, subject: str, choices: Sequence[Decimal]) -> tuple[Decimal, str]:
    """Draw the 下浮系数 K from ``choices`` deterministically (``k-draw/v1``).

    ``digest = SHA-256("ggzy:k-draw:v1\\n" + seed + "\\n" + subject)``; index =
    ``int(digest) mod len(choices)`` (the modulo bias over 2^256 is below 2^-240). Anyone can
    re-run it from the published seed (ledger checkpoint root) and subject (tender id).
    Returns (K, digest hex).
    """
    if not choices:
        raise FormulaError("no K choices")
    digest = hashlib.sha256(f"ggzy:k-draw:v1\n{seed}\n{subject}".encode()).hexdigest()
    return choices[int(digest, 16) % len(choices)], digest
