"""The scoring template (评分办法模板): versioned JSON data with criteria, weights and maxima.

Shape::

    {"code": "works-comprehensive", "version": "2026.1", "name": "…",
     "method": "comprehensive_scoring" | "lowest_evaluated_price",
     "price": {"formula": "deviation/v1", "s_max": "40", "e1": "1", "e2": "0.5",
               "base": "mean", "trim": true, "k_choices": ["0", "0.01"]},
     "drop_extremes_min": 7,
     "criteria": [{"code": "T1", "name": "施工方案", "group": "technical",
                   "max": "10", "weight": "1"}]}

Under ``lowest_evaluated_price`` the criteria are pass/fail (max "1": 1 = 合格) and do not
enter the ranking (技术标只作合格性评审). Pure: no Django.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ggzy.evaluation.scoring.price import (
    DEVIATION_V1,
    FORMULAS,
    LOWEST_EVALUATED_V1,
    LOWEST_RATIO_V1,
    ZERO,
    DeviationParams,
)

METHODS = ("comprehensive_scoring", "lowest_evaluated_price")
GROUPS = ("technical", "business", "credit", "compliance")


class TemplateError(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        super().__init__(f"{field}: {problem}")


@dataclass(frozen=True)
class Criterion:
    code: str
    name: str
    group: str
    max: Decimal
    weight: Decimal


@dataclass(frozen=True)
class ScoringTemplate:
    code: str
    version: str
    name: str
    method: str
    price: Mapping[str, Any]
    criteria: tuple[Criterion, ...]
    drop_extremes_min: int
    raw: Mapping[str, Any]

    @property
    def label(self) -> str:
        return f"{self.code}@{self.version}"

    @property
    def sha256(self) -> str:
        canonical = json.dumps(self.raw, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def formula(self) -> str:
        return str(self.price.get("formula", ""))

    @property
    def weights(self) -> dict[str, Decimal]:
        return {c.code: c.weight for c in self.criteria}

    @property
    def scored(self) -> bool:
        """Do criterion scores enter the total (综合评估法)?"""
        return self.method == "comprehensive_scoring"

    @property
    def k_choices(self) -> tuple[Decimal, ...]:
        return tuple(_dec(v, "price.k_choices") for v in self.price.get("k_choices") or ())

    def deviation_params(self, k: Decimal = ZERO) -> DeviationParams:
        p = self.price
        return DeviationParams(
            s_max=_dec(p.get("s_max"), "price.s_max"),
            e1=_dec(p.get("e1"), "price.e1"),
            e2=_dec(p.get("e2"), "price.e2"),
            base=str(p.get("base", "mean")),
            trim=bool(p.get("trim", True)),
            k=k,
        )

    @property
    def total_max(self) -> Decimal:
        if not self.scored:
            return ZERO
        items = sum((c.max * c.weight for c in self.criteria), ZERO)
        return items + _dec(self.price.get("s_max", "0"), "price.s_max")


def _dec(value: Any, field: str) -> Decimal:
    try:
        out = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise TemplateError(field, "not a decimal number") from exc
    if not out.is_finite():
        raise TemplateError(field, "not a finite number")
    return out


def parse_template(data: Any) -> ScoringTemplate:  # noqa: PLR0912 - one check per field
    if not isinstance(data, dict):
        raise TemplateError("template", "must be an object")
    for key in ("code", "version", "name", "method"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise TemplateError(key, "required text")
    if data["method"] not in METHODS:
        raise TemplateError("method", f"one of {', '.join(METHODS)}")
    price = data.get("price")
    if not isinstance(price, dict) or price.get("formula") not in FORMULAS:
        raise TemplateError("price.formula", f"one of {', '.join(FORMULAS)}")
    if data["method"] == "lowest_evaluated_price" and price["formula"] != LOWEST_EVALUATED_V1:
        raise TemplateError("price.formula", "lowest_evaluated_price needs lowest_evaluated/v1")
    if data["method"] == "comprehensive_scoring" and price["formula"] == LOWEST_EVALUATED_V1:
        raise TemplateError("price.formula", "comprehensive_scoring needs a scoring formula")
    criteria_raw = data.get("criteria")
    if not isinstance(criteria_raw, list) or not criteria_raw:
        raise TemplateError("criteria", "at least one criterion")
    seen: set[str] = set()
    criteria = []
    for i, c in enumerate(criteria_raw):
        if not isinstance(c, dict):
            raise TemplateError(f"criteria.{i}", "must be an object")
        code = str(c.get("code") or "").strip()
        if not code or code in seen or len(code) > 20:
            raise TemplateError(f"criteria.{i}.code", "unique code, up to 20 characters")
        seen.add(code)
        group = str(c.get("group") or "technical")
        if group not in GROUPS:
            raise TemplateError(f"criteria.{i}.group", f"one of {', '.join(GROUPS)}")
        maximum = _dec(c.get("max"), f"criteria.{i}.max")
        weight = _dec(c.get("weight", "1"), f"criteria.{i}.weight")
        if maximum <= 0 or weight <= 0:
            raise TemplateError(f"criteria.{i}", "max and weight must be positive")
        criteria.append(Criterion(code, str(c.get("name") or code), group, maximum, weight))
    drop = data.get("drop_extremes_min", 0)
    if not isinstance(drop, int) or drop < 0:
        raise TemplateError("drop_extremes_min", "a non-negative integer")
    tpl = ScoringTemplate(
        code=data["code"].strip(),
        version=data["version"].strip(),
        name=data["name"].strip(),
        method=data["method"],
        price=price,
        criteria=tuple(criteria),
        drop_extremes_min=drop,
        raw=data,
    )
    if tpl.formula == DEVIATION_V1:
        try:
            tpl.deviation_params()
        except TemplateError:
            raise
        except ValueError as exc:
            raise TemplateError("price", str(exc)) from exc
        for k in tpl.k_choices:
            if not ZERO <= k < 1:
                raise TemplateError("price.k_choices", "each K in [0, 1)")
    elif tpl.formula == LOWEST_RATIO_V1 and _dec(price.get("s_max"), "price.s_max") <= 0:
        raise TemplateError("price.s_max", "must be positive")
    return tpl


# The default templates shipped as data (a tender may bring its own).
WORKS_COMPREHENSIVE: dict[str, Any] = {
    "code": "works-comprehensive",
    "version": "2026.1",
    "name": "施工招标综合评估法（偏差率法）",
    "method": "comprehensive_scoring",
    "price": {
        "formula": DEVIATION_V1,
        "s_max": "60",
        "e1": "1",
        "e2": "0.5",
        "base": "mean",
        "trim": True,
        "k_choices": ["0", "0.005", "0.01", "0.015", "0.02"],
    },
    "drop_extremes_min": 7,
    "criteria": [
        {"code": "T1", "name": "施工方案与技术措施", "group": "technical", "max": "10"},
        {"code": "T2", "name": "质量管理体系与措施", "group": "technical", "max": "8"},
        {"code": "T3", "name": "安全文明施工措施", "group": "technical", "max": "7"},
        {"code": "B1", "name": "项目管理机构", "group": "business", "max": "10"},
        {"code": "C1", "name": "信用评价", "group": "credit", "max": "5"},
    ],
}

WORKS_LOWEST_EVALUATED: dict[str, Any] = {
    "code": "works-lowest-evaluated",
    "version": "2026.1",
    "name": "施工招标经评审的最低投标价法",
    "method": "lowest_evaluated_price",
    "price": {"formula": LOWEST_EVALUATED_V1},
    "criteria": [
        {"code": "P1", "name": "施工组织设计满足招标文件要求", "group": "compliance", "max": "1"},
        {"code": "P2", "name": "项目管理机构满足招标文件要求", "group": "compliance", "max": "1"},
    ],
}

DEFAULT_TEMPLATES = {
    WORKS_COMPREHENSIVE["code"]: WORKS_COMPREHENSIVE,
    WORKS_LOWEST_EVALUATED["code"]: WORKS_LOWEST_EVALUATED,
}
