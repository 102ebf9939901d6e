"""Writes to the catalogue, rule sets and calendar: ledger entries, idempotent loading, refusals
that change nothing."""

import copy
import datetime as dt
import hashlib
import json

import pytest
from django.core.management import call_command
from tests.rules.conftest import NOW

from ggzy import clock
from ggzy.core.canonical import canonical_json
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.ledger.models import Entry
from ggzy.rules import selectors, services
from ggzy.rules.models import CalendarDay, RuleSet, RuleSetStatus, TradeType
from ggzy.rules.timecalc import LOCAL_TZ

pytestmark = pytest.mark.django_db


def _state():
    return (
        TradeType.objects.count(),
        RuleSet.objects.count(),
        sorted(RuleSet.objects.values_list("status", flat=True)),
        CalendarDay.objects.count(),
        sorted(CalendarDay.objects.values_list("date", "kind", "name")),
        Entry.objects.count(),
    )


def _works_content():
    seed = json.loads(services.SEED_RULESETS.read_text(encoding="utf-8"))["rulesets"]
    return copy.deepcopy(next(r for r in seed if r["trade_type"] == "works.open")["content"])


def test_seed_load_creates_everything_once_with_ledger_entries(world, now):
    before = Entry.objects.count()
    report = services.seed_load(actor=world.staff)
    assert len(report.trade_types) == 19
    assert len(report.rulesets) == 19
    assert report.calendar_days == 72
    assert report.effective_now == []
    assert TradeType.objects.count() == 19
    assert RuleSet.objects.filter(status=RuleSetStatus.PUBLISHED).count() == 19
    events = list(Entry.objects.filter(pk__gt=0).values_list("event_type", flat=True))
    assert events.count("rules:trade_type:created") == 19
    assert events.count("rules:ruleset:published") == 19
    assert events.count("rules:calendar:loaded") == 1
    assert Entry.objects.count() == before + 39
    # second run: nothing new, nothing recorded
    again = services.seed_load(actor=world.staff)
    assert (again.trade_types, again.rulesets, again.calendar_days) == ([], [], 0)
    assert Entry.objects.count() == before + 39


def test_publish_records_the_content_hash_on_the_ledger(seeded):
    rs = RuleSet.objects.get(trade_type__code="works.open", version="2026.1")
    expected = hashlib.sha256(canonical_json(rs.content)).hexdigest()
    assert rs.content_sha256 == expected
    entry = selectors.publication_entry(rs)
    assert entry.event_type == "rules:ruleset:published"
    assert entry.rule_version == "works.open@2026.1"
    assert entry.payload["content_sha256"] == expected
    assert entry.payload["label"] == "works.open@2026.1"
    assert entry.payload["content"] == rs.content
    assert entry.payload["retroactive"] is True  # first load, seed date 2026-01-01 < now
    assert entry.actor == f"user:{rs.published_by_id}"
    # the hash is findable by anyone holding the rule set (EntryDigest index)
    assert entry.digests.filter(field="content_sha256", sha256=expected).exists()


def test_publish_new_version_takes_effect_at_its_time(seeded, world):
    content = _works_content()
    content["bid_period_min_days"] = 25
    content["basis"]["bid_period_min_days"] = "某市规定（示例）；招标投标法第二十四条"
    from_ = NOW + dt.timedelta(days=30)
    rs = services.ruleset_publish(
        actor=world.staff,
        trade_type="works.open",
        version="2026.2",
        content=content,
        effective_from=from_,
    )
    assert rs.status == RuleSetStatus.PUBLISHED
    assert rs.published_by == world.staff
    assert selectors.ruleset_for("works.open").version == "2026.1"
    assert selectors.ruleset_for("works.open", from_ - dt.timedelta(microseconds=1)).version == (
        "2026.1"
    )
    later = selectors.ruleset_for("works.open", from_)
    assert (later.version, later.bid_period_min_days, later.label) == (
        "2026.2",
        25,
        "works.open@2026.2",
    )
    assert later.sha256 == selectors.publication_entry(rs).payload["content_sha256"]


def test_publish_without_effective_from_is_in_force_now(seeded, world):
    content = _works_content()
    rs = services.ruleset_publish(
        actor=world.staff, trade_type="works.open", version="2026.3", content=content
    )
    assert rs.effective_from == NOW
    assert selectors.ruleset_for("works.open").version == "2026.3"


BAD_CONTENT = [  # (how to spoil the content, the key the error names)
    (lambda c: c.update(bid_period_min_days="20"), "bid_period_min_days"),
    (lambda c: c.update(bid_period_min_day=20), "bid_period_min_day"),
    (lambda c: c.update(deposit_cap_ratio=0.02), "deposit_cap_ratio"),
    (lambda c: c.update(deposit_cap_ratio="1.5"), "deposit_cap_ratio"),
    (lambda c: c.update(min_bidders=True), "min_bidders"),
    (lambda c: c.update(day_unit="weeks"), "day_unit"),
    (lambda c: c.pop("day_unit"), "day_unit"),
    (lambda c: c["basis"].pop("bid_period_min_days"), "bid_period_min_days"),
    (lambda c: c.update(evaluation_methods=["lottery"]), "evaluation_methods"),
    (lambda c: c.update(expert_min_share="3/2"), "expert_min_share"),
    (lambda c: c.update(day_units={"min_bidders": "working"}), "day_units"),
]


@pytest.mark.parametrize(("mutate", "key"), BAD_CONTENT)
def test_invalid_content_is_refused_and_nothing_changes(seeded, world, mutate, key):
    content = _works_content()
    mutate(content)
    before = _state()
    with pytest.raises(DomainError) as err:
        services.ruleset_publish(
            actor=world.staff, trade_type="works.open", version="2026.9", content=content
        )
    assert err.value.code == ErrorCode.RULESET_INVALID
    assert err.value.detail["key"] == key
    assert "规则集内容" in err.value.message
    assert _state() == before


def test_published_version_is_immutable(seeded, world):
    content = _works_content()
    content["min_bidders"] = 2
    before = _state()
    with pytest.raises(DomainError) as err:
        services.ruleset_publish(
            actor=world.staff, trade_type="works.open", version="2026.1", content=content
        )
    assert err.value.code == ErrorCode.RULESET_VERSION_EXISTS
    with pytest.raises(DomainError) as err:
        services.ruleset_draft_save(
            actor=world.staff, trade_type="works.open", version="2026.1", content=content
        )
    assert err.value.code == ErrorCode.RULESET_IMMUTABLE
    assert _state() == before
    assert (
        RuleSet.objects.get(trade_type__code="works.open", version="2026.1").content["min_bidders"]
        == 3
    )


def test_draft_then_publish_in_place(seeded, world):
    content = _works_content()
    draft = services.ruleset_draft_save(
        actor=world.staff, trade_type="works.open", version="2027.1", content=content
    )
    assert draft.status == RuleSetStatus.DRAFT
    content["complaint_days"] = 12
    services.ruleset_draft_save(
        actor=world.staff, trade_type="works.open", version="2027.1", content=content
    )
    with pytest.raises(DomainError) as err:
        selectors.ruleset_get("works.open", "2027.1")  # drafts are not rules
    assert err.value.code == ErrorCode.RULESET_NOT_FOUND
    rs = services.ruleset_publish(
        actor=world.staff,
        trade_type="works.open",
        version="2027.1",
        content=content,
        effective_from=dt.datetime(2027, 1, 1, tzinfo=LOCAL_TZ),
    )
    assert rs.pk == draft.pk
    assert selectors.ruleset_get("works.open", "2027.1").complaint_days == 12
    events = Entry.objects.filter(subject_type="rules.ruleset", subject_id=str(rs.pk))
    assert list(events.values_list("event_type", flat=True)) == [
        "rules:ruleset:drafted",
        "rules:ruleset:drafted",
        "rules:ruleset:published",
    ]


def test_effective_from_in_the_past_or_taken_is_refused(seeded, world):
    content = _works_content()
    before = _state()
    with pytest.raises(DomainError) as err:
        services.ruleset_publish(
            actor=world.staff,
            trade_type="works.open",
            version="2026.5",
            content=content,
            effective_from=NOW - dt.timedelta(minutes=1),
        )
    assert err.value.code == ErrorCode.RULESET_EFFECTIVE_PAST
    services.ruleset_publish(
        actor=world.staff,
        trade_type="works.open",
        version="2026.5",
        content=content,
        effective_from=NOW + dt.timedelta(days=1),
    )
    after_one = _state()
    with pytest.raises(DomainError) as err:
        services.ruleset_publish(
            actor=world.staff,
            trade_type="works.open",
            version="2026.6",
            content=content,
            effective_from=NOW + dt.timedelta(days=1),
        )
    assert err.value.code == ErrorCode.RULESET_EFFECTIVE_CONFLICT
    assert _state() == after_one
    assert after_one[-1] == before[-1] + 1


def test_retire_only_a_version_not_yet_in_force(seeded, world):
    content = _works_content()
    services.ruleset_publish(
        actor=world.staff,
        trade_type="works.open",
        version="2026.7",
        content=content,
        effective_from=NOW + dt.timedelta(days=10),
    )
    before = _state()
    with pytest.raises(DomainError) as err:
        services.ruleset_retire(
            actor=world.staff, trade_type="works.open", version="2026.1", reason="试图改写历史"
        )
    assert err.value.code == ErrorCode.RULESET_IMMUTABLE
    assert _state() == before
    rs = services.ruleset_retire(
        actor=world.staff, trade_type="works.open", version="2026.7", reason="发布有误"
    )
    assert rs.status == RuleSetStatus.RETIRED
    later = NOW + dt.timedelta(days=20)
    assert selectors.ruleset_for("works.open", later).version == "2026.1"
    assert selectors.ruleset_get("works.open", "2026.7").status == "retired"  # still readable
    assert Entry.objects.filter(event_type="rules:ruleset:retired").count() == 1


@pytest.mark.parametrize(
    "role", ["anonymous", "public", "tenderer", "bidder", "regulator", "expert"]
)
def test_only_centre_staff_may_write(seeded, world, role):
    user = world.user(role)
    before = _state()
    expected = ErrorCode.NOT_AUTHENTICATED if user is None else ErrorCode.PERMISSION_DENIED
    calls = [
        lambda: services.ruleset_publish(
            actor=user, trade_type="works.open", version="2026.8", content=_works_content()
        ),
        lambda: services.calendar_day_set(
            actor=user, date=dt.date(2027, 1, 1), kind="holiday", name="元旦"
        ),
        lambda: services.calendar_day_remove(actor=user, date=dt.date(2026, 10, 1)),
        lambda: services.trade_types_load(actor=user, data=[]),
        lambda: services.trade_type_set_active(actor=user, code="works.open", active=False),
    ]
    for call in calls:
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.code == expected
    assert _state() == before


def test_trade_type_create_and_refusals(seeded, world):
    tt = services.trade_type_create(
        actor=world.staff,
        code="concession.tender",
        name="特许经营权-招标",
        category="other",
        sort_order=300,
    )
    assert tt.active
    before = _state()
    bad = [
        {"code": "Concession", "name": "x", "category": "other"},
        {"code": "other.thing", "name": "", "category": "other"},
        {"code": "other.thing", "name": "x", "category": "space"},
        {"code": "other.thing", "name": "x", "category": "other", "data_spec_class": "A1"},
        {"code": "other.thing", "name": "x", "category": "other", "colour": "red"},
    ]
    for fields in bad:
        with pytest.raises(DomainError) as err:
            services.trade_type_create(actor=world.staff, **fields)
        assert err.value.code == ErrorCode.TRADE_TYPE_INVALID, fields
    with pytest.raises(DomainError) as err:
        services.trade_type_create(
            actor=world.staff, code="concession.tender", name="重复", category="other"
        )
    assert err.value.code == ErrorCode.CONFLICT
    assert _state() == before


def test_trade_types_load_is_all_or_nothing(seeded, world):
    before = _state()
    with pytest.raises(DomainError) as err:
        services.trade_types_load(
            actor=world.staff,
            data=[
                {"code": "other.one", "name": "一", "category": "other"},
                {"code": "other.two", "name": "二", "category": "nowhere"},
            ],
        )
    assert err.value.code == ErrorCode.TRADE_TYPE_INVALID
    assert _state() == before


def test_rulesets_load_refuses_a_bad_item_without_publishing_the_good_ones(seeded, world):
    good = {
        "trade_type": "works.open",
        "version": "2026.20",
        "effective_from": "2026-12-01T00:00:00+08:00",
        "content": _works_content(),
    }
    bad = dict(good, version="2026.21", content=dict(_works_content(), min_bidders="three"))
    before = _state()
    with pytest.raises(DomainError) as err:
        services.rulesets_load(actor=world.staff, data=[good, bad])
    assert err.value.code == ErrorCode.RULESET_INVALID
    assert err.value.message.startswith("works.open@2026.21：")
    with pytest.raises(DomainError) as err:
        services.rulesets_load(actor=world.staff, data=[dict(good, trade_type="no.such")])
    assert err.value.code == ErrorCode.TRADE_TYPE_NOT_FOUND
    assert _state() == before


def test_rulesets_load_never_backdates_a_type_that_already_has_rules(seeded, world):
    item = {
        "trade_type": "works.open",
        "version": "2026.30",
        "effective_from": "2026-02-01T00:00:00+08:00",  # before NOW
        "content": _works_content(),
    }
    report = services.LoadReport()
    assert services.rulesets_load(actor=world.staff, data=[item], report=report) == [
        "works.open@2026.30"
    ]
    assert report.effective_now == ["works.open@2026.30"]
    rs = RuleSet.objects.get(version="2026.30")
    assert rs.effective_from == NOW
    assert selectors.ruleset_for("works.open", NOW - dt.timedelta(seconds=1)).version == "2026.1"


def test_calendar_day_set_change_and_remove_leave_entries(seeded, world):
    cal_before = selectors.calendar()
    day = dt.date(2027, 1, 1)
    assert selectors.calendar() == cal_before
    services.calendar_day_set(actor=world.staff, date=day, kind="holiday", name="元旦")
    assert day in selectors.calendar().holidays  # visible at once
    services.calendar_day_set(actor=world.staff, date=day, kind="holiday", name="元旦")  # no-op
    services.calendar_day_set(actor=world.staff, date=day, kind="holiday", name="新年")
    services.calendar_day_remove(actor=world.staff, date=day)
    assert day not in selectors.calendar().holidays
    entries = list(
        Entry.objects.filter(subject_type="rules.calendarday", subject_id="2027-01-01").order_by(
            "id"
        )
    )
    assert [e.event_type for e in entries] == [
        "rules:calendar_day:set",
        "rules:calendar_day:set",
        "rules:calendar_day:removed",
    ]
    assert entries[0].payload["previous"] is None
    assert entries[1].payload["previous"] == {"kind": "holiday", "name": "元旦"}
    assert entries[2].payload["calendar_sha256"] == services.calendar_sha256()
    assert entries[0].payload["calendar_sha256"] != entries[2].payload["calendar_sha256"]


@pytest.mark.parametrize(
    ("date", "kind", "name", "field"),
    [
        (dt.date(2027, 1, 4), "adjusted_workday", "调休", "date"),  # a Monday is already a workday
        (dt.date(2027, 1, 2), "day_off", "休息", "kind"),
        (dt.date(2027, 1, 2), "holiday", "  ", "name"),
        ("2027-01-02", "holiday", "元旦", "date"),
    ],
)
def test_calendar_day_refusals(seeded, world, date, kind, name, field):
    before = _state()
    with pytest.raises(DomainError) as err:
        services.calendar_day_set(actor=world.staff, date=date, kind=kind, name=name)
    assert err.value.code == ErrorCode.CALENDAR_DAY_INVALID
    assert err.value.field == field
    assert _state() == before


def test_calendar_day_remove_unknown_date(seeded, world):
    before = _state()
    with pytest.raises(DomainError) as err:
        services.calendar_day_remove(actor=world.staff, date=dt.date(2026, 3, 3))
    assert err.value.code == ErrorCode.CALENDAR_DAY_NOT_FOUND
    assert _state() == before


def test_trade_type_deactivation(seeded, world):
    services.trade_type_set_active(actor=world.staff, code="energy.rights", active=False)
    assert "energy.rights" not in set(selectors.trade_types().values_list("code", flat=True))
    assert "energy.rights" in set(
        selectors.trade_types(active_only=False).values_list("code", flat=True)
    )
    assert selectors.ruleset_for("energy.rights").version == "2026.1"  # rules stay readable
    with pytest.raises(DomainError) as err:
        services.trade_type_set_active(actor=world.staff, code="energy.rights", active=False)
    assert err.value.code == ErrorCode.CONFLICT


def test_management_command_load_show_deadline(world, capsys):
    with clock.frozen(NOW):
        call_command("rules", "load")
        call_command("rules", "load")
        call_command("rules", "show", "works.open")
        call_command(
            "rules",
            "deadline",
            "gp.open",
            "--start",
            "2026-09-20T10:00:00+08:00",
            "--key",
            "bid_period_min_days",
        )
        call_command(
            "rules", "deadline", "works.open", "--start", "2026-03-06T16:00", "--key",
            "award_report_days",
        )  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "trade types created: 19; rule sets published: 19; calendar days added: 72"
    assert out[1] == "trade types created: 0; rule sets published: 0; calendar days added: 0"
    assert out[2].startswith("works.open@2026.1  sha256=")
    assert any("bid_period_min_days" in line and "20日" in line for line in out)
    assert "earliest allowed end: 2026-10-10T00:00:00+08:00 (2026-10-09T16:00:00+00:00)" in out
    assert "last moment within the time limit: 2026-03-23T23:59:59+08:00" in out[-1]
    assert Entry.objects.filter(actor="system:rules-load").count() == 39
