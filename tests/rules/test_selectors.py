"""The contract tendering and other apps code against: rules in force, typed views, checks."""

import dataclasses
import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from tests.rules.conftest import NOW

from ggzy.core.errors import DomainError, ErrorCode
from ggzy.rules import selectors, services
from ggzy.rules.ruleset import RuleContent, RuleSetView, content_fields, sentence
from ggzy.rules.schema import KEYS, META_KEYS
from ggzy.rules.timecalc import LOCAL_TZ, DayUnit

pytestmark = pytest.mark.django_db


def local(*args):
    return dt.datetime(*args, tzinfo=LOCAL_TZ)


def test_schema_and_dataclass_agree():
    assert content_fields() == (*META_KEYS, *(k.name for k in KEYS))
    assert len({k.name for k in KEYS}) == len(KEYS)


def test_ruleset_for_returns_a_typed_frozen_view(seeded):
    rule = selectors.ruleset_for("works.open")
    assert isinstance(rule, RuleSetView)
    assert (rule.trade_type_code, rule.version, rule.label) == (
        "works.open",
        "2026.1",
        "works.open@2026.1",
    )
    assert rule.effective_from == local(2026, 1, 1)
    assert rule.bid_period_min_days == 20
    assert rule.get("bid_period_min_days") == 20
    assert rule.unit("bid_period_min_days") is DayUnit.CALENDAR
    assert rule.deposit_cap_ratio == Decimal("0.02")
    assert rule.deposit_cap_amount is None
    assert rule.expert_min_share == Fraction(2, 3)
    assert rule.evaluation_methods == ("lowest_evaluated_price", "comprehensive_scoring")
    assert rule.basis_for("bid_period_min_days") == "招标投标法第二十四条"
    assert len(rule.sha256) == 64
    assert {rule, selectors.ruleset_for("works.open")} == {rule}  # hashable, equal by value
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.bid_period_min_days = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        rule.content["bid_period_min_days"] = 1  # read-only mapping
    with pytest.raises(DomainError) as err:
        rule.get("no_such_key")
    assert err.value.code == ErrorCode.RULE_NOT_APPLICABLE


def test_gp_rules_mix_calendar_and_working_days(seeded):
    rule = selectors.ruleset_for("gp.open")
    assert rule.bid_period_min_days == 20
    assert rule.unit("bid_period_min_days") is DayUnit.CALENDAR
    assert rule.doc_period_min_days == 5
    assert rule.unit("doc_period_min_days") is DayUnit.WORKING
    assert sentence(rule, "doc_period_min_days") == (
        "招标文件（资格预审文件）的发售（提供）期不得少于5个工作日"
    )
    assert rule.deposit_cash_allowed is False
    assert rule.deposit_cap_amount is None  # DOMAIN §4 gives no absolute cap


def test_every_seed_type_has_rules_in_force(seeded):
    codes = list(selectors.trade_types().values_list("code", flat=True))
    assert codes[:3] == ["works.open", "works.invite", "gp.open"]
    assert len(codes) == 19
    current = selectors.current_rulesets()
    assert set(current) == set(codes)
    for code in codes:
        assert selectors.ruleset_for(code).version == "2026.1"


def test_rules_not_in_force_before_their_date(seeded):
    with pytest.raises(DomainError) as err:
        selectors.ruleset_for("works.open", local(2025, 12, 31, 23, 59))
    assert err.value.code == ErrorCode.RULESET_MISSING
    assert err.value.status == 404
    assert "works.open" in err.value.message
    with pytest.raises(DomainError) as err:
        selectors.ruleset_for("no.such", NOW)
    assert err.value.code == ErrorCode.TRADE_TYPE_NOT_FOUND


def test_version_in_force_follows_effective_from(seeded, world):
    content = dict(selectors.ruleset_for("works.open").content)
    services.ruleset_publish(
        actor=world.staff,
        trade_type="works.open",
        version="2026.2",
        content=content,
        effective_from=local(2026, 7, 1),
    )
    services.ruleset_publish(
        actor=world.staff,
        trade_type="works.open",
        version="2026.3",
        content=content,
        effective_from=local(2026, 5, 1),  # later version, earlier date: dates decide
    )
    assert selectors.ruleset_for("works.open", local(2026, 4, 30, 23, 59)).version == "2026.1"
    assert selectors.ruleset_for("works.open", local(2026, 5, 1)).version == "2026.3"
    assert selectors.ruleset_for("works.open", local(2026, 7, 1)).version == "2026.2"
    # a tender created under 2026.1 still reads its own version
    assert selectors.ruleset_get("works.open", "2026.1").label == "works.open@2026.1"
    assert [r.version for r in selectors.rulesets_of("works.open")] == [
        "2026.2",
        "2026.3",
        "2026.1",
    ]


def test_hash_on_the_ledger_matches_the_view(seeded):
    for code in ("works.open", "gp.consultation", "land.listing", "rural.transfer"):
        rule = selectors.ruleset_for(code)
        row = selectors.ruleset_row(code, rule.version)
        entry = selectors.publication_entry(row)
        assert (
            entry.payload["content_sha256"] == rule.sha256 == services.content_sha256(rule.content)
        )


def test_check_min_period_accepts_the_earliest_end_and_refuses_one_day_less(seeded):
    rule = selectors.ruleset_for("works.open")
    start = local(2026, 9, 20, 10)
    selectors.check_min_period(rule, "bid_period_min_days", start, local(2026, 10, 10, 9, 30))
    assert selectors.min_period_end(rule, "bid_period_min_days", start) == local(2026, 10, 10)
    with pytest.raises(DomainError) as err:
        selectors.check_min_period(rule, "bid_period_min_days", start, local(2026, 10, 9, 17))
    exc = err.value
    assert exc.code == ErrorCode.PERIOD_TOO_SHORT
    assert exc.message == (
        "投标截止时间距招标文件发出之日不得少于20日"
        "（规则 works.open@2026.1 bid_period_min_days；招标投标法第二十四条）"
    )
    assert exc.detail["key"] == "bid_period_min_days"
    assert exc.detail["required_days"] == 20
    assert exc.detail["actual_days"] == 19
    assert exc.detail["unit"] == "calendar"
    assert exc.detail["earliest_end"] == "2026-10-09T16:00:00+00:00"
    assert exc.detail["earliest_end_local"] == "2026-10-10 00:00"


def test_check_min_period_over_the_national_day_holiday(seeded):
    rule = selectors.ruleset_for("works.open")
    start = local(2026, 9, 11, 9)  # day 20 is 1 October: the period ends on 8 October
    with pytest.raises(DomainError) as err:
        selectors.check_min_period(rule, "bid_period_min_days", start, local(2026, 10, 7, 9))
    assert err.value.detail["actual_days"] == 26  # more than 20 days, but inside the holiday
    assert err.value.detail["earliest_end_local"] == "2026-10-08 00:00"
    selectors.check_min_period(rule, "bid_period_min_days", start, local(2026, 10, 8, 9))


def test_check_min_period_in_working_days_sees_calendar_edits_at_once(seeded, world):
    rule = selectors.ruleset_for("gp.open")
    start = local(2026, 3, 6, 9)  # Friday: 5 working days end Friday 13 March
    end = local(2026, 3, 13, 17)
    selectors.check_min_period(rule, "doc_period_min_days", start, end)
    services.calendar_day_set(
        actor=world.staff, date=dt.date(2026, 3, 10), kind="holiday", name="示例假日"
    )
    with pytest.raises(DomainError) as err:
        selectors.check_min_period(rule, "doc_period_min_days", start, end)
    assert err.value.message.startswith(
        "招标文件（资格预审文件）的发售（提供）期不得少于5个工作日（规则 gp.open@2026.1"
    )
    assert err.value.detail["actual_days"] == 4


def test_check_within_period_and_latest_start(seeded):
    rule = selectors.ruleset_for("works.open")
    decided = local(2026, 3, 6, 16)  # + 15 days = Saturday 21 March → Monday 23 March
    selectors.check_within_period(rule, "award_report_days", decided, local(2026, 3, 23, 23, 59))
    with pytest.raises(DomainError) as err:
        selectors.check_within_period(rule, "award_report_days", decided, local(2026, 3, 24, 0, 0))
    assert err.value.code == ErrorCode.PERIOD_EXPIRED
    assert "招标投标法第四十七条" in err.value.message
    deadline = local(2026, 6, 30, 9, 30)
    latest = selectors.latest_start_for(rule, "objection_docs_days_before_deadline", deadline)
    assert latest.astimezone(LOCAL_TZ).date() == dt.date(2026, 6, 20)
    selectors.check_min_period(rule, "objection_docs_days_before_deadline", latest, deadline)


def test_rule_keys_that_do_not_apply(seeded):
    land = selectors.ruleset_for("land.listing")
    with pytest.raises(DomainError) as err:
        selectors.check_min_period(land, "bid_period_min_days", NOW, NOW)
    assert err.value.code == ErrorCode.RULE_NOT_APPLICABLE
    assert "bid_period_min_days" in err.value.message
    with pytest.raises(DomainError) as err:
        selectors.check_min_period(land, "min_bidders", NOW, NOW)
    assert err.value.code == ErrorCode.RULE_NOT_APPLICABLE
    assert land.listing_min_days == 10
    assert land.single_bidder_outcome == "listing_sale"


def test_deal_class_for(seeded):
    assert selectors.deal_class_for("works.open") == "A01"
    assert selectors.deal_class_for("gp.single") == "D01"
    assert selectors.deal_class_for("land.auction") == "B01"
    with pytest.raises(DomainError) as err:
        selectors.deal_class_for("forest.transfer")
    assert err.value.code == ErrorCode.RULE_NOT_APPLICABLE


def test_rule_content_defaults_are_not_applicable():
    content = RuleContent(day_unit=DayUnit.CALENDAR)
    assert content.bid_period_min_days is None
    assert not content.applies("bid_period_min_days")
