"""Golden tests of the pure scoring plug-ins (worked examples with the arithmetic shown),
ties, the K draw, templates, and hypothesis properties."""

from __future__ import annotations

import itertools
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ggzy.evaluation.scoring import aggregate, price
from ggzy.evaluation.scoring.grounds import REJECTION_GROUNDS
from ggzy.evaluation.scoring.template import (
    WORKS_COMPREHENSIVE,
    WORKS_LOWEST_EVALUATED,
    TemplateError,
    parse_template,
)

P40 = price.DeviationParams(s_max=D(40), e1=D(1), e2=D("0.5"))


def test_deviation_worked_example_five_bids_trimmed_mean():
    """Five bids, S_max = 40, E1 = 1, E2 = 0.5, K = 0.

    n = 5 > 3: drop the highest (D 29,400,000) and lowest (E 27,900,000);
    base = (28,800,000 + 29,100,000.50 + 28,650,000) / 3 = 86,550,000.50 / 3
         = 28,850,000.1666… → 28,850,000.17
    A: D = (28,800,000 − 28,850,000.17) / 28,850,000.17 × 100 = −0.17331… → −0.17
       score = 40 − 0.5 × 0.17 = 39.915 → 39.92 (half up)
    B: D = 250,000.33 / 28,850,000.17 × 100 = 0.86655… → 0.87; score = 40 − 0.87 = 39.13
    C: D = −200,000.17 / … = −0.69324… → −0.69; score = 40 − 0.345 = 39.655 → 39.66
    D: D = 549,999.83 / … = 1.90641… → 1.91; score = 40 − 1.91 = 38.09
    E: D = −950,000.17 / … = −3.29289… → −3.29; score = 40 − 1.645 = 38.355 → 38.36
    """
    prices = {
        "A": D("28800000"),
        "B": D("29100000.50"),
        "C": D("28650000"),
        "D": D("29400000"),
        "E": D("27900000"),
    }
    r = price.deviation_scores(prices, P40)
    assert r.benchmark == D("28850000.17")
    assert r.detail == {
        "A": D("-0.17"),
        "B": D("0.87"),
        "C": D("-0.69"),
        "D": D("1.91"),
        "E": D("-3.29"),
    }
    assert r.scores == {
        "A": D("39.92"),
        "B": D("39.13"),
        "C": D("39.66"),
        "D": D("38.09"),
        "E": D("38.36"),
    }


def test_deviation_with_k_three_bids_untrimmed():
    """Three bids (n ≤ 3: no trimming), K = 0.02, S_max = 60, E1 = 2, E2 = 1.

    mean = (1,000,000 + 1,050,000 + 950,000) / 3 = 1,000,000
    base = 1,000,000 × (1 − 0.02) = 980,000.00
    X 1,000,000: D = 20,000 / 980,000 × 100 = 2.0408… → 2.04; score = 60 − 2 × 2.04 = 55.92
    Y 1,050,000: D = 70,000 / 980,000 × 100 = 7.1428… → 7.14; score = 60 − 14.28 = 45.72
    Z   950,000: D = −30,000 / 980,000 × 100 = −3.0612… → −3.06; score = 60 − 3.06 = 56.94
    """
    params = price.DeviationParams(s_max=D(60), e1=D(2), e2=D(1), k=D("0.02"))
    r = price.deviation_scores({"X": D(1000000), "Y": D(1050000), "Z": D(950000)}, params)
    assert r.benchmark == D("980000.00")
    assert r.scores == {"X": D("55.92"), "Y": D("45.72"), "Z": D("56.94")}


def test_deviation_clamps_at_zero_and_lowest_base():
    """Base = lowest valid price 100; a bid of 200 is 100 % above: 10 − 1 × 100 < 0 → 0."""
    params = price.DeviationParams(s_max=D(10), e1=D(1), e2=D(1), base="lowest")
    r = price.deviation_scores({"a": D(100), "b": D(200)}, params)
    assert r.scores == {"a": D("10.00"), "b": D("0")}


def test_lowest_ratio_worked_example():
    """低价优先法, price weight 30 %: S_max = 30.
    lowest = 900; 900/900 × 30 = 30.00; 900/1000 × 30 = 27.00; 900/1100 × 30 = 24.5454… → 24.55
    """
    r = price.lowest_ratio_scores({"a": D(900), "b": D(1000), "c": D(1100)}, D(30))
    assert r.scores == {"a": D("30.00"), "b": D("27.00"), "c": D("24.55")}


def test_lowest_evaluated_price_and_ties():
    """Evaluated = bid + adjustments: a 1,000,000 + 30,000 (工期偏差) = 1,030,000;
    b 1,020,000 + 10,000 = 1,030,000; c 1,040,000. a and b tie on evaluated price: the lower
    bid price (a) ranks first; c third."""
    ev = price.evaluated_prices(
        {"a": D(1000000), "b": D(1020000), "c": D(1040000)},
        {"a": [D(30000)], "b": [D(10000)]},
    )
    assert ev == {"a": D("1030000.00"), "b": D("1030000.00"), "c": D("1040000.00")}
    ranked = aggregate.rank(
        ev,
        {"a": D(1000000), "b": D(1020000), "c": D(1040000)},
        {"a": 2, "b": 1, "c": 3},
        ascending=True,
    )
    assert [(r.key, r.rank, r.tied) for r in ranked] == [
        ("a", 1, False),
        ("b", 2, False),
        ("c", 3, False),
    ]


def test_total_tie_lower_price_first_then_receipt_order_flagged():
    totals = {"a": D("90.00"), "b": D("90.00"), "c": D("90.00"), "d": D("95")}
    prices = {"a": D(100), "b": D(99), "c": D(100), "d": D(120)}
    order = {"a": 2, "b": 3, "c": 1, "d": 4}
    ranked = aggregate.rank(totals, prices, order)
    assert [(r.key, r.rank, r.tied) for r in ranked] == [
        ("d", 1, False),
        ("b", 2, False),  # same total, lower price first
        ("c", 3, True),  # same total and price as a: earlier receipt, flagged as a tie
        ("a", 4, True),
    ]


def test_item_mean_drops_extremes_with_seven_experts():
    """7 experts: drop one 10 and one 2 → (6 + 7 + 7 + 8 + 9) / 5 = 37 / 5 = 7.40;
    with 5 experts no drop: (2 + 6 + 7 + 8 + 10) / 5 = 6.60."""
    seven = [D(x) for x in (10, 2, 6, 7, 7, 8, 9)]
    assert aggregate.item_mean(seven, drop_extremes_min=7) == D("7.40")
    assert aggregate.item_mean([D(x) for x in (2, 6, 7, 8, 10)], drop_extremes_min=7) == D("6.60")


def test_k_draw_is_reproducible_and_input_sensitive():
    choices = [D("0"), D("0.005"), D("0.01"), D("0.015"), D("0.02")]
    seed = "checkpoint:42:" + "ab" * 32
    k1, d1 = price.k_draw(seed, "tender:7", choices)
    k2, d2 = price.k_draw(seed, "tender:7", choices)
    assert (k1, d1) == (k2, d2)
    assert k1 == choices[int(d1, 16) % 5]
    assert price.k_draw(seed, "tender:8", choices)[1] != d1
    # across many subjects every choice is reachable
    assert {price.k_draw(seed, f"tender:{i}", choices)[0] for i in range(200)} == set(choices)


def test_templates_parse_and_refuse_bad_ones():
    tpl = parse_template(WORKS_COMPREHENSIVE)
    assert tpl.total_max == D(100)
    assert tpl.label == "works-comprehensive@2026.1"
    assert len(tpl.sha256) == 64
    assert not parse_template(WORKS_LOWEST_EVALUATED).scored
    bad = [
        ({**WORKS_COMPREHENSIVE, "method": "guess"}, "method"),
        ({**WORKS_COMPREHENSIVE, "criteria": []}, "criteria"),
        ({**WORKS_COMPREHENSIVE, "price": {"formula": "x"}}, "price.formula"),
        (
            {**WORKS_COMPREHENSIVE, "price": {**WORKS_COMPREHENSIVE["price"], "s_max": "abc"}},
            "price.s_max",
        ),
        (
            {
                **WORKS_COMPREHENSIVE,
                "price": {**WORKS_COMPREHENSIVE["price"], "k_choices": ["1.5"]},
            },
            "price.k_choices",
        ),
        ({**WORKS_COMPREHENSIVE, "criteria": [{"code": "A", "max": "0"}]}, "criteria.0"),
    ]
    for data, field in bad:
        with pytest.raises(TemplateError) as err:
            parse_template(data)
        assert err.value.field == field


def test_rejection_grounds_are_the_seven_of_article_51():
    assert [g[0] for g in REJECTION_GROUNDS] == [f"R51-{i}" for i in range(1, 8)]
    assert all("第五十一条" in basis for _c, _t, basis in REJECTION_GROUNDS)


money = st.decimals(min_value=D("1000"), max_value=D("99999999"), places=2)


@settings(max_examples=150, deadline=None)
@given(st.lists(money, min_size=1, max_size=12), money, money)
def test_ratio_lower_price_never_scores_lower(others, p1, p2):
    lo, hi = sorted((p1, p2))
    prices = {str(i): p for i, p in enumerate(others)} | {"lo": lo, "hi": hi}
    r = price.lowest_ratio_scores(prices, D(30))
    assert r.scores["lo"] >= r.scores["hi"]
    assert all(D(0) <= s <= D(30) for s in r.scores.values())
    assert max(r.scores.values()) == D("30.00")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(money, min_size=2, max_size=12),
    st.decimals(min_value=D("0.1"), max_value=D("3"), places=1),
    st.decimals(min_value=D("0"), max_value=D("0.05"), places=3),
)
def test_deviation_properties(prices_list, e1, k):
    params = price.DeviationParams(s_max=D(50), e1=e1, e2=e1 / 2, k=k)
    prices = {str(i): p for i, p in enumerate(prices_list)}
    r = price.deviation_scores(prices, params)
    assert r.benchmark is not None
    for key, p in prices.items():
        assert D(0) <= r.scores[key] <= D(50)
        for key2, p2 in prices.items():
            # above the base, a lower price never gets a lower score
            if r.benchmark <= p <= p2:
                assert r.scores[key] >= r.scores[key2]
            # E2 ≤ E1: being x % below the base costs no more than being x % above it
            if r.detail[key] == -r.detail[key2] and r.detail[key] < 0:
                assert r.scores[key] >= r.scores[key2]
    # the order of the input does not change any score
    rev = dict(reversed(list(prices.items())))
    assert price.deviation_scores(rev, params).scores == r.scores


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.text("abcdef", min_size=1, max_size=3),
        st.tuples(st.decimals(min_value=D(0), max_value=D(100), places=2), money),
        min_size=1,
        max_size=15,
    )
)
def test_ranking_is_a_permutation_ordered_by_total_then_price(data):
    totals = {k: v[0] for k, v in data.items()}
    prices = {k: v[1] for k, v in data.items()}
    ranked = aggregate.rank(totals, prices, dict.fromkeys(data, 0))
    assert [r.rank for r in ranked] == list(range(1, len(data) + 1))
    assert sorted(r.key for r in ranked) == sorted(data)
    for a, b in itertools.pairwise(ranked):
        assert (a.total, -a.price) >= (b.total, -b.price)
