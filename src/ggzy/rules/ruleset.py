"""The rule-set content schema (规则集格式) and its typed parser — pure, no Django.

A rule set's ``content`` is a JSON object: the numbers and choices one trade type runs by
(time limits, bidder minima, deposit caps, trading modes), each citing its legal basis in
``basis``. :func:`parse_content` refuses unknown keys, wrong types and uncited values with a
``DomainError(RULESET_INVALID)`` naming the key, and returns a frozen :class:`RuleContent`.

The keys themselves (kinds, labels, sentences) are in :mod:`ggzy.rules.schema`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from ggzy.core.errors import DomainError, ErrorCode
from ggzy.rules.schema import KEYS, META_KEYS, PERIOD_KEYS, SPECS, KeySpec, Kind
from ggzy.rules.timecalc import DayUnit

_DECIMAL = re.compile(r"^\d{1,14}(\.\d{1,6})?$")  # decimal(20,6), DOMAIN §0.3
_FRACTION = re.compile(r"^(\d{1,3})/(\d{1,3})$")


@dataclass(frozen=True, kw_only=True)
class RuleContent:
    """Typed view of a rule set's content. ``None`` means "does not apply to this trade type"."""

    day_unit: DayUnit
    day_units: Mapping[str, DayUnit] = field(default_factory=lambda: MappingProxyType({}))
    basis: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # 公告与文件
    announcement_period_min_days: int | None = None
    announcement_min_days: int | None = None
    doc_period_min_days: int | None = None
    pq_submission_min_days: int | None = None
    bid_period_min_days: int | None = None
    clarification_min_days: int | None = None
    pq_clarification_min_days: int | None = None
    listing_min_days: int | None = None
    listing_extension_days: int | None = None
    valuation_publicity_min_days: int | None = None
    # 异议、质疑与投诉
    objection_docs_days_before_deadline: int | None = None
    pq_objection_days_before_deadline: int | None = None
    objection_answer_days: int | None = None
    challenge_days: int | None = None
    challenge_answer_days: int | None = None
    complaint_days: int | None = None
    # 开标、评审与定标
    opening_decrypt_window_minutes: int | None = None
    min_bidders: int | None = None
    min_invitees: int | None = None
    committee_min_size: int | None = None
    committee_odd: bool | None = None
    committee_min_size_large: int | None = None
    committee_large_threshold: Decimal | None = None
    expert_min_share: Fraction | None = None
    max_candidates: int | None = None
    evaluation_methods: tuple[str, ...] | None = None
    price_weight_min_goods: Decimal | None = None
    price_weight_max_goods: Decimal | None = None
    price_weight_min_services: Decimal | None = None
    price_weight_max_services: Decimal | None = None
    sme_price_deduction_min: Decimal | None = None
    sme_price_deduction_max: Decimal | None = None
    candidate_publicity_start_days: int | None = None
    candidate_publicity_min_days: int | None = None
    evaluation_report_days: int | None = None
    award_decision_days: int | None = None
    award_notice_days: int | None = None
    result_publicity_min_days: int | None = None
    result_publish_days: int | None = None
    award_report_days: int | None = None
    # 合同与履约
    contract_days: int | None = None
    contract_publish_days: int | None = None
    contract_filing_days: int | None = None
    performance_bond_cap_ratio: Decimal | None = None
    addon_purchase_cap_ratio: Decimal | None = None
    payment_days: int | None = None
    down_payment_min_ratio: Decimal | None = None
    instalment_max_months: int | None = None
    # 保证金
    deposit_cap_ratio: Decimal | None = None
    deposit_cap_amount: Decimal | None = None
    deposit_cash_allowed: bool | None = None
    deposit_refund_days: int | None = None
    # 交易方式（产权类）
    trade_modes: tuple[str, ...] | None = None
    single_bidder_outcome: str | None = None
    reserve_price_mode: str | None = None
    increment_rule: str | None = None
    increment_adjustable: bool | None = None
    countdown_seconds: int | None = None
    auto_extend: bool | None = None
    equal_offer_rule: str | None = None
    relist_consent_below_ratio: Decimal | None = None
    member_share_cap_ratio: Decimal | None = None
    member_approval_share: Fraction | None = None

    def get(self, key: str) -> Any:
        """The typed value of ``key`` (None when it does not apply); unknown keys raise."""
        if key not in SPECS:
            raise DomainError(
                ErrorCode.RULE_NOT_APPLICABLE, f"未知的规则项：{key}", detail={"key": key}
            )
        return getattr(self, key)

    def unit(self, key: str) -> DayUnit:
        """The day unit ``key`` is counted in (``day_units`` override, else ``day_unit``)."""
        return self.day_units.get(key, self.day_unit)

    def basis_for(self, key: str) -> str:
        return self.basis.get(key, "")

    def applies(self, key: str) -> bool:
        return self.get(key) is not None


@dataclass(frozen=True, kw_only=True)
class RuleSetView(RuleContent):
    """A published rule set as other apps see it: identity, hash and typed rule values.

    ``view.bid_period_min_days`` (typed attribute) or ``view.get("bid_period_min_days")``.
    """

    trade_type_code: str
    version: str
    sha256: str
    effective_from: dt.datetime
    status: str
    content: Mapping[str, Any]  # the JSON exactly as published (what sha256 covers)

    @property
    def label(self) -> str:
        """``works.open@2026.1``: what a tender stores and what ledger entries cite."""
        return f"{self.trade_type_code}@{self.version}"

    def __hash__(self) -> int:  # the mappings inside are unhashable; identity + hash suffice
        return hash((self.trade_type_code, self.version, self.sha256, self.status))


def _bad(key: str, problem: str) -> DomainError:
    return DomainError(
        ErrorCode.RULESET_INVALID,
        f"规则集内容的“{key}”项不正确：{problem}",
        field="content",
        detail={"key": key, "problem": problem},
    )


def _parse_int(spec: KeySpec, value: Any) -> int:
    if type(value) is not int:
        raise _bad(spec.name, "应为整数")
    low = 0 if spec.kind is Kind.DAYS else 1
    if not low <= value <= 3650:
        raise _bad(spec.name, f"应在 {low} 到 3650 之间")
    return value


def _parse_decimal(spec: KeySpec, value: Any) -> Decimal:
    if not isinstance(value, str) or not _DECIMAL.match(value):
        raise _bad(spec.name, '应为字符串形式的小数，如 "0.02"（不用浮点数，以免哈希不稳定）')
    try:
        number = Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already excludes it
        raise _bad(spec.name, "不是有效的小数") from exc
    if spec.kind is Kind.RATIO and number > 1:
        raise _bad(spec.name, "比例应在 0 到 1 之间")
    return number


def _parse_fraction(spec: KeySpec, value: Any) -> Fraction:
    match = _FRACTION.match(value) if isinstance(value, str) else None
    if match is None or int(match.group(2)) == 0:
        raise _bad(spec.name, '应为分数字符串，如 "2/3"')
    fraction = Fraction(int(match.group(1)), int(match.group(2)))
    if fraction > 1:
        raise _bad(spec.name, "比例应在 0 到 1 之间")
    return fraction


def _parse_bool(spec: KeySpec, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _bad(spec.name, "应为 true 或 false")
    return value


def _parse_enum(spec: KeySpec, value: Any) -> str:
    codes = {c for c, _ in spec.choices}
    if not isinstance(value, str) or value not in codes:
        raise _bad(spec.name, f"应为以下之一：{', '.join(sorted(codes))}")
    return value


def _parse_codes(spec: KeySpec, value: Any) -> tuple[str, ...]:
    codes = {c for c, _ in spec.choices}
    if not isinstance(value, list) or not value:
        raise _bad(spec.name, "应为非空列表")
    if any(not isinstance(v, str) or v not in codes for v in value) or len(set(value)) != len(
        value
    ):
        raise _bad(spec.name, f"列表元素应为以下之一且不重复：{', '.join(sorted(codes))}")
    return tuple(value)


_PARSERS: dict[Kind, Callable[[KeySpec, Any], Any]] = {
    Kind.DAYS: _parse_int,
    Kind.INT: _parse_int,
    Kind.RATIO: _parse_decimal,
    Kind.MONEY: _parse_decimal,
    Kind.FRACTION: _parse_fraction,
    Kind.BOOL: _parse_bool,
    Kind.ENUM: _parse_enum,
    Kind.CODES: _parse_codes,
}


def _parse_unit(key: str, value: Any) -> DayUnit:
    if not isinstance(value, str) or value not in DayUnit.__members__.values():
        raise _bad(key, 'day_unit 应为 "calendar"（日）或 "working"（工作日）')
    return DayUnit(value)


def _parse_day_units(data: Mapping[str, Any]) -> Mapping[str, DayUnit]:
    day_units = data.get("day_units", {})
    if not isinstance(day_units, dict):
        raise _bad("day_units", '应为对象，如 {"doc_period_min_days": "working"}')
    for key, unit in day_units.items():
        if key not in PERIOD_KEYS:
            raise _bad("day_units", f"“{key}”不是以日计的规则项")
        if data.get(key) is None:
            raise _bad("day_units", f"“{key}”没有取值，不应指定计日方式")
        _parse_unit(f"day_units.{key}", unit)
    return MappingProxyType({k: DayUnit(v) for k, v in day_units.items()})


def _parse_basis(data: Mapping[str, Any]) -> Mapping[str, str]:
    """Every value cites its legal basis or source (每一项规则都须注明依据)."""
    basis = data.get("basis", {})
    if not isinstance(basis, dict):
        raise _bad("basis", "应为对象：规则项 → 法律依据")
    for key, text in basis.items():
        if key not in SPECS:
            raise _bad("basis", f"“{key}”不是规则项")
        if data.get(key) is None:
            raise _bad("basis", f"“{key}”没有取值，不应注明依据")
        if not isinstance(text, str) or not text.strip() or len(text) > 300:
            raise _bad(f"basis.{key}", "依据应为 1–300 字的文字")
    for spec in KEYS:
        if data.get(spec.name) is not None and spec.name not in basis:
            raise _bad(spec.name, "每一项规则都须在 basis 中注明法律依据或来源")
    return MappingProxyType(dict(basis))


def parse_content(data: Any) -> RuleContent:
    """Validate rule-set ``data`` and return its typed form; raise DomainError(RULESET_INVALID)."""
    if not isinstance(data, dict):
        raise DomainError(ErrorCode.RULESET_INVALID, "规则集内容应为 JSON 对象", field="content")
    unknown = sorted(str(k) for k in data if k not in SPECS and k not in META_KEYS)
    if unknown:
        raise _bad(unknown[0], "未知的规则项（请核对拼写，或先在 schema.py 中定义该项）")
    if "day_unit" not in data:
        raise _bad("day_unit", "缺少必填项")
    values: dict[str, Any] = {"day_unit": _parse_unit("day_unit", data["day_unit"])}
    for spec in KEYS:
        raw = data.get(spec.name)
        values[spec.name] = None if raw is None else _PARSERS[spec.kind](spec, raw)
    values["day_units"] = _parse_day_units(data)
    values["basis"] = _parse_basis(data)
    _check_pairs(values)
    return RuleContent(**values)


def _check_pairs(values: Mapping[str, Any]) -> None:
    """Lower bounds not above upper bounds."""
    pairs = (
        ("price_weight_min_goods", "price_weight_max_goods"),
        ("price_weight_min_services", "price_weight_max_services"),
        ("sme_price_deduction_min", "sme_price_deduction_max"),
        ("committee_min_size", "committee_min_size_large"),
    )
    for low, high in pairs:
        if values[low] is not None and values[high] is not None and values[low] > values[high]:
            raise _bad(low, f"不应大于 {high}")


# ---- rendering for pages and messages -------------------------------------------------------

_CN_DIGITS = "零一二三四五六七八九十"


def days_text(days: int, unit: DayUnit) -> str:
    return f"{days}个工作日" if unit is DayUnit.WORKING else f"{days}日"


def _percent(value: Decimal) -> str:
    text = format((value * 100).normalize(), "f")
    return f"{text}%"


def _money(value: Decimal) -> str:
    if value >= 10000 and value % 10000 == 0:
        return f"{format((value / 10000).normalize(), 'f')}万元"
    return f"{format(value.normalize(), 'f')}元"


def _fraction(value: Fraction) -> str:
    if value.denominator <= 10 and value.numerator <= 10:
        return f"{_CN_DIGITS[value.denominator]}分之{_CN_DIGITS[value.numerator]}"
    return f"{value.numerator}/{value.denominator}"


def render_value(rule: RuleContent, key: str) -> str:  # noqa: PLR0911 - one return per kind
    """The value of ``key`` in Chinese, e.g. "20日", "5个工作日", "2%", "三分之二"."""
    spec = SPECS[key]
    value = rule.get(key)
    if value is None:
        return "不适用"
    labels = dict(spec.choices)
    match spec.kind:
        case Kind.DAYS:
            return days_text(value, rule.unit(key))
        case Kind.INT:
            return f"{value}{spec.unit}"
        case Kind.RATIO:
            return _percent(value)
        case Kind.MONEY:
            return _money(value)
        case Kind.FRACTION:
            return _fraction(value)
        case Kind.BOOL:
            return "是" if value else "否"
        case Kind.ENUM:
            return labels[value]
        case _:
            return "、".join(labels[v] for v in value)


def sentence(rule: RuleContent, key: str) -> str:
    """The rule as a Chinese sentence, e.g. "投标截止时间距招标文件发出之日不得少于20日"."""
    return SPECS[key].phrase.format(value=render_value(rule, key))


def content_fields() -> tuple[str, ...]:
    """Names of RuleContent's fields (META_KEYS + KEYS), for the schema self-check in tests."""
    return tuple(f.name for f in fields(RuleContent))
