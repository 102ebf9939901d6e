"""The price form (报价单 / 开标一览表) inside every bid package.

Fields follow the exchange data specification (DOMAIN.md §2.4 "Money"):

==============  ===============================================================
``price_form``  报价形式 ``PRICE_FORM_CODE``: 1 金额 amount, 2 费率 rate (费率/比率/
                优惠率/合格率, in percent), 3 单价 unit price, 9 其他 other
``amount``      投标报价: a decimal *string*, at most 14 integer digits and 6 decimals
                (decimal(20,6)); required for 1/2/3, optional for 9
``price_unit``  ``PRICE_UNIT`` 0 元 / 1 万元: required for 1 and 3, absent for 2,
                optional for 9 when an amount is given
``other_price`` 其他类型报价 (text): required for 9, optional otherwise
``duration_days`` 工期 (calendar days), optional positive integer
``quality``     质量 (e.g. "合格"), optional text
==============  ===============================================================

Strings, never floats, carry the amount so that "1234.10" stays "1234.10". Bad input is
refused with every problem listed at once.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import Any, Final

from ggzy.bidkit.errors import BidkitError, Code

__all__ = ["PRICE_FORM_FORMAT", "PriceForm", "PriceFormKind", "PriceUnit", "parse_price_form"]

PRICE_FORM_FORMAT: Final = "ggzy-price-form"
_AMOUNT: Final = re.compile(r"(0|[1-9][0-9]{0,13})(\.[0-9]{1,6})?")
_FIELDS: Final = frozenset(
    {"price_form", "amount", "price_unit", "other_price", "duration_days", "quality"}
)
MAX_OTHER_PRICE: Final = 500
MAX_QUALITY: Final = 200
MAX_DURATION_DAYS: Final = 36500


class PriceFormKind(IntEnum):
    """报价形式 (``PRICE_FORM_CODE``)."""

    AMOUNT = 1  # 金额
    RATE = 2  # 费率/比率/优惠率/合格率 (percent)
    UNIT_PRICE = 3  # 单价
    OTHER = 9  # 其他


class PriceUnit(IntEnum):
    """``PRICE_UNIT``."""

    YUAN = 0  # 元
    TEN_THOUSAND_YUAN = 1  # 万元


@dataclass(frozen=True, slots=True)
class PriceForm:
    """A validated price form."""

    price_form: PriceFormKind
    amount: str | None
    price_unit: PriceUnit | None
    other_price: str | None
    duration_days: int | None
    quality: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PRICE_FORM_FORMAT,
            "v": 1,
            "price_form": int(self.price_form),
            "amount": self.amount,
            "price_unit": None if self.price_unit is None else int(self.price_unit),
            "other_price": self.other_price,
            "duration_days": self.duration_days,
            "quality": self.quality,
        }

    def to_bytes(self) -> bytes:
        """The ``price-form.json`` file: sorted keys, 2-space indent, UTF-8, final newline."""
        text = json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True, indent=2)
        return (text + "\n").encode("utf-8")


def _code(value: object, allowed: type[IntEnum], name: str, problems: list[str]) -> Any:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if type(value) is int:
        try:
            return allowed(value)
        except ValueError:
            pass
    codes = "/".join(str(int(m)) for m in allowed)
    problems.append(f"{name} 必须是 {codes} 之一 (must be one of {codes}), got {value!r}")
    return None


def _text(value: object, name: str, limit: int, problems: list[str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(f"{name} 必须是文本 (must be a string)")
        return None
    text = unicodedata.normalize("NFC", value.strip())
    if not text:
        return None
    if len(text) > limit:
        problems.append(f"{name} 超过 {limit} 个字符 (longer than {limit} characters)")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in text):
        problems.append(f"{name} 含控制字符 (contains control characters)")
    return text


def _amount(value: object, kind: PriceFormKind | None, problems: list[str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(
            'amount 必须写成带引号的十进制字符串，如 "1234.56" '
            '(must be a decimal string such as "1234.56", not a JSON number)'
        )
        return None
    text = value.strip()
    if not _AMOUNT.fullmatch(text):
        problems.append(
            "amount 必须是非负十进制数，整数部分不超过 14 位、小数不超过 6 位 "
            f"(must be a non-negative decimal, ≤ 14 integer digits and ≤ 6 decimals), got {value!r}"
        )
        return None
    number = Decimal(text)
    if kind is PriceFormKind.RATE and number > 100:
        problems.append(f"费率以百分数表示，不能超过 100 (a rate is in percent, ≤ 100), got {text}")
    if kind in (PriceFormKind.AMOUNT, PriceFormKind.UNIT_PRICE) and number == 0:
        problems.append("报价金额必须大于 0 (amount must be greater than 0)")
    return text


def _duration(value: object, problems: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if type(value) is not int or not 1 <= value <= MAX_DURATION_DAYS:
        problems.append(
            f"duration_days 工期必须是 1–{MAX_DURATION_DAYS} 的整数天数 "
            f"(must be a whole number of days, 1 to {MAX_DURATION_DAYS}), got {value!r}"
        )
        return None
    return value


def _check_combination(form: PriceForm, given: dict[str, Any], problems: list[str]) -> None:
    kind = form.price_form
    if kind is not PriceFormKind.OTHER and given.get("amount") is None:
        problems.append("amount 投标报价必填 (amount is required for price_form 1, 2 and 3)")
    if kind in (PriceFormKind.AMOUNT, PriceFormKind.UNIT_PRICE) and given.get("price_unit") is None:
        problems.append("price_unit 报价单位必填：0 元 / 1 万元 (price_unit is required: 0 or 1)")
    if kind is PriceFormKind.RATE and given.get("price_unit") is not None:
        problems.append(
            "费率报价不填 price_unit（费率以百分数表示）"
            "(a rate has no price_unit; it is in percent)"
        )
    if kind is PriceFormKind.OTHER:
        if form.other_price is None:
            problems.append(
                "price_form 为 9（其他）时必须填写 other_price (other_price is required for 9)"
            )
        if given.get("price_unit") is not None and form.amount is None:
            problems.append("填写了 price_unit 但没有 amount (price_unit without an amount)")


def parse_price_form(data: object) -> PriceForm:
    """Validate a decoded price form; raise ``price_form_invalid`` listing every problem."""
    if not isinstance(data, dict):
        raise BidkitError(
            Code.PRICE_FORM_INVALID,
            "报价单必须是 JSON 对象",
            "the price form must be a JSON object",
        )
    problems: list[str] = []
    given = {k: v for k, v in data.items() if k not in ("format", "v")}
    if data.get("format", PRICE_FORM_FORMAT) != PRICE_FORM_FORMAT or data.get("v", 1) != 1:
        problems.append(f'format/v 必须是 "{PRICE_FORM_FORMAT}"/1 (unknown format or version)')
    unknown = sorted(set(given) - _FIELDS)
    if unknown:
        problems.append(
            f"未知字段 unknown fields: {', '.join(unknown)}"
            f"（允许 allowed: {', '.join(sorted(_FIELDS))}）"
        )
    if "price_form" not in given:
        problems.append("price_form 报价形式必填 (price_form is required: 1, 2, 3 or 9)")
        kind = None
    else:
        kind = _code(given["price_form"], PriceFormKind, "price_form", problems)
    unit = given.get("price_unit")
    form = PriceForm(
        price_form=kind if kind is not None else PriceFormKind.OTHER,
        amount=_amount(given.get("amount"), kind, problems),
        price_unit=None if unit is None else _code(unit, PriceUnit, "price_unit", problems),
        other_price=_text(given.get("other_price"), "other_price", MAX_OTHER_PRICE, problems),
        duration_days=_duration(given.get("duration_days"), problems),
        quality=_text(given.get("quality"), "quality", MAX_QUALITY, problems),
    )
    if kind is not None:
        _check_combination(form, given, problems)
    if problems:
        raise BidkitError(
            Code.PRICE_FORM_INVALID,
            "报价单有误：" + "；".join(problems),
            f"the price form has {len(problems)} problem(s)",
        )
    return form
