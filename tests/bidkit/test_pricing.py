from __future__ import annotations

import json
from typing import Any

import pytest

from ggzy.bidkit.errors import BidkitError
from ggzy.bidkit.pricing import PriceFormKind, PriceUnit, parse_price_form


def test_amount_form_is_kept_exactly() -> None:
    form = parse_price_form(
        {"price_form": 1, "amount": "1234.50", "price_unit": 1, "duration_days": 365}
    )
    assert form.price_form is PriceFormKind.AMOUNT
    assert form.amount == "1234.50"
    assert form.price_unit is PriceUnit.TEN_THOUSAND_YUAN
    assert json.loads(form.to_bytes()) == {
        "format": "ggzy-price-form",
        "v": 1,
        "price_form": 1,
        "amount": "1234.50",
        "price_unit": 1,
        "other_price": None,
        "duration_days": 365,
        "quality": None,
    }


def test_rate_other_and_unit_price_forms() -> None:
    assert parse_price_form({"price_form": 2, "amount": "3.5"}).amount == "3.5"
    other = parse_price_form({"price_form": "9", "other_price": " 下浮 3% ", "quality": "合格"})
    assert (other.price_form, other.other_price, other.quality) == (
        PriceFormKind.OTHER,
        "下浮 3%",
        "合格",
    )
    unit = parse_price_form({"price_form": 3, "amount": "0.000001", "price_unit": "0"})
    assert (unit.amount, unit.price_unit) == ("0.000001", PriceUnit.YUAN)


def test_the_file_bytes_are_stable() -> None:
    form = parse_price_form({"price_form": 1, "amount": "1", "price_unit": 0, "quality": "优良"})
    assert form.to_bytes() == form.to_bytes()
    assert form.to_bytes().endswith(b"\n")
    assert "优良".encode() in form.to_bytes()


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ([], "JSON 对象"),
        ({}, "price_form 报价形式必填"),
        ({"price_form": 4, "amount": "1", "price_unit": 0}, "price_form 必须是 1/2/3/9"),
        ({"price_form": True, "amount": "1", "price_unit": 0}, "price_form 必须是"),
        ({"price_form": 1, "price_unit": 0}, "amount 投标报价必填"),
        ({"price_form": 1, "amount": 100.5, "price_unit": 0}, "带引号的十进制字符串"),
        ({"price_form": 1, "amount": "1.1234567", "price_unit": 0}, "小数不超过 6 位"),
        ({"price_form": 1, "amount": "123456789012345", "price_unit": 0}, "整数部分不超过 14 位"),
        ({"price_form": 1, "amount": "-5", "price_unit": 0}, "非负十进制数"),
        ({"price_form": 1, "amount": "01", "price_unit": 0}, "非负十进制数"),
        ({"price_form": 1, "amount": "1e3", "price_unit": 0}, "非负十进制数"),
        ({"price_form": 1, "amount": "0", "price_unit": 0}, "必须大于 0"),
        ({"price_form": 1, "amount": "1"}, "price_unit 报价单位必填"),
        ({"price_form": 1, "amount": "1", "price_unit": 2}, "price_unit 必须是 0/1"),
        ({"price_form": 2, "amount": "101"}, "不能超过 100"),
        ({"price_form": 2, "amount": "5", "price_unit": 0}, "费率报价不填 price_unit"),
        ({"price_form": 9}, "必须填写 other_price"),
        ({"price_form": 9, "other_price": "x", "price_unit": 0}, "price_unit 但没有 amount"),
        ({"price_form": 1, "amount": "1", "price_unit": 0, "duration_days": 0}, "duration_days"),
        ({"price_form": 1, "amount": "1", "price_unit": 0, "duration_days": 1.5}, "工期"),
        ({"price_form": 1, "amount": "1", "price_unit": 0, "quality": "x" * 201}, "超过 200"),
        ({"price_form": 1, "amount": "1", "price_unit": 0, "quality": "a\x07"}, "控制字符"),
        ({"price_form": 1, "amount": "1", "price_unit": 0, "amout": "1"}, "未知字段"),
        ({"format": "other", "price_form": 1, "amount": "1", "price_unit": 0}, "format/v"),
    ],
)
def test_bad_price_forms_are_refused_with_a_clear_message(data: Any, fragment: str) -> None:
    with pytest.raises(BidkitError) as caught:
        parse_price_form(data)
    assert caught.value.code == "price_form_invalid"
    assert fragment in caught.value.message_zh


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(BidkitError) as caught:
        parse_price_form({"price_form": 1, "amount": 3, "duration_days": -1, "x": 1})
    assert caught.value.message_en == "the price form has 4 problem(s)"
