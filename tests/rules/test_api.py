"""Rules API over real HTTP (live server): /api/v1/rules/…"""

import hashlib
import json

import pytest

from ggzy.core.canonical import canonical_json
from ggzy.ledger.models import Entry
from ggzy.rules import services
from ggzy.rules.models import CalendarDay, RuleSet

ROLES = ["anonymous", "public", "tenderer", "agency", "bidder", "expert", "regulator", "staff"]


@pytest.fixture
def loaded(seeded):
    return seeded


def _state():
    return (RuleSet.objects.count(), CalendarDay.objects.count(), Entry.objects.count())


def test_trade_types_and_current_ruleset_with_hash_and_ledger_entry(api_as, loaded):
    anon = api_as("anonymous")
    r = anon.get("/rules/trade-types")
    assert r.status_code == 200, r.text
    types = r.json()
    assert len(types) == 19
    assert types[0] == {
        "code": "works.open",
        "name": "工程建设项目-公开招标",
        "name_en": "Works – open tender",
        "category": "works",
        "category_label": "工程建设",
        "data_spec_class": "A01",
        "active": True,
        "current_version": "2026.1",
    }
    r = anon.get("/rules/trade-types/works.open/ruleset")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["label"] == "works.open@2026.1"
    assert body["effective_from"] == "2025-12-31T16:00:00Z"
    assert body["content"]["bid_period_min_days"] == 20
    # anyone can recompute the hash from the content and find it on the ledger
    assert body["sha256"] == hashlib.sha256(canonical_json(body["content"])).hexdigest()
    entry = Entry.objects.get(pk=body["ledger_entry_id"])
    assert entry.payload["content_sha256"] == body["sha256"]
    assert body["receipt_url"] == f"/api/v1/ledger/entries/{entry.pk}/receipt"
    same = anon.get("/rules/rulesets/works.open/2026.1").json()
    assert same == body


def test_ruleset_at_a_time_before_any_rules_is_404(api_as, loaded):
    anon = api_as("anonymous")
    r = anon.get(
        "/rules/trade-types/works.open/ruleset", params={"at": "2025-06-01T00:00:00+08:00"}
    )
    assert r.status_code == 404
    assert r.json()["code"] == "ruleset_missing"
    r = anon.get("/rules/trade-types/nope.nope/ruleset")
    assert (r.status_code, r.json()["code"]) == (404, "trade_type_not_found")
    r = anon.get("/rules/rulesets/works.open/1999.1")
    assert (r.status_code, r.json()["code"]) == (404, "ruleset_not_found")


def test_deadline_endpoint(api_as, loaded):
    anon = api_as("anonymous")
    r = anon.get(
        "/rules/trade-types/works.open/deadline",
        params={"key": "bid_period_min_days", "start": "2026-09-20T10:00:00+08:00"},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "rule": "works.open@2026.1",
        "key": "bid_period_min_days",
        "days": 20,
        "unit": "calendar",
        "sense": "min",
        "sentence": "投标截止时间距招标文件发出之日不得少于20日",
        "basis": "招标投标法第二十四条",
        "start": "2026-09-20T02:00:00Z",
        "end": "2026-10-09T16:00:00Z",
        "end_local": "2026-10-10T00:00:00+08:00",
    }
    # a time without offset is Beijing time; a "within" key gives the last instant
    r = anon.get(
        "/rules/trade-types/gp.open/deadline",
        params={"key": "challenge_days", "start": "2026-09-30T10:00"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["end_local"] == "2026-10-15T23:59:59+08:00"  # 7 working days after the week
    r = anon.get(
        "/rules/trade-types/land.listing/deadline",
        params={"key": "bid_period_min_days", "start": "2026-09-30T10:00"},
    )
    assert (r.status_code, r.json()["code"]) == (400, "rule_not_applicable")


def test_calendar_read_and_staff_edit(api_as, loaded):
    anon = api_as("anonymous")
    r = anon.get("/rules/calendar", params={"year": 2026})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["year"] == 2026
    assert body["covered"] is True
    assert {"date": "2026-10-10", "kind": "adjusted_workday", "name": "国庆节调休上班"} in body[
        "days"
    ]
    assert body["sha256"] == services.calendar_sha256()
    assert anon.get("/rules/calendar", params={"year": 2027}).json()["covered"] is False

    staff = api_as("staff")
    r = staff.post(
        "/rules/calendar", json={"date": "2027-01-01", "kind": "holiday", "name": "元旦"}
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"date": "2027-01-01", "kind": "holiday", "name": "元旦"}
    assert Entry.objects.filter(event_type="rules:calendar_day:set").count() == 1
    r = staff.delete("/rules/calendar/2027-01-01")
    assert r.status_code == 204, r.text
    assert not CalendarDay.objects.filter(date="2027-01-01").exists()
    before = _state()
    r = staff.post(
        "/rules/calendar", json={"date": "2027-01-04", "kind": "adjusted_workday", "name": "x"}
    )
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (
        400,
        "calendar_day_invalid",
        "date",
    )
    r = staff.delete("/rules/calendar/2027-01-05")
    assert (r.status_code, r.json()["code"]) == (404, "calendar_day_not_found")
    assert _state() == before


def test_publish_over_http(api_as, loaded, now):
    content = json.loads(services.SEED_RULESETS.read_text(encoding="utf-8"))["rulesets"][0][
        "content"
    ]
    staff = api_as("staff")
    r = staff.post(
        "/rules/rulesets",
        json={
            "trade_type": "works.open",
            "version": "2026.2",
            "content": content,
            "effective_from": "2026-06-01T00:00:00+08:00",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["label"] == "works.open@2026.2"
    before = _state()
    r = staff.post(
        "/rules/rulesets",
        json={"trade_type": "works.open", "version": "2026.2", "content": content},
    )
    assert (r.status_code, r.json()["code"]) == (409, "ruleset_version_exists")
    r = staff.post(
        "/rules/rulesets",
        json={"trade_type": "works.open", "version": "2026.3", "content": {"day_unit": "weeks"}},
    )
    assert (r.status_code, r.json()["code"]) == (400, "ruleset_invalid")
    assert r.json()["detail"]["key"] == "day_unit"
    assert _state() == before


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(role, api_as, loaded):
    client = api_as(role)
    expected_write = 200 if role == "staff" else (401 if role == "anonymous" else 403)
    for path in (
        "/rules/trade-types",
        "/rules/trade-types/gp.open/ruleset",
        "/rules/rulesets/gp.open/2026.1",
        "/rules/calendar?year=2026",
    ):
        assert client.get(path).status_code == 200, (role, path)
    before = _state()
    r = client.post(
        "/rules/calendar", json={"date": "2027-10-01", "kind": "holiday", "name": "国庆节"}
    )
    assert r.status_code == expected_write, (role, r.text)
    if expected_write != 200:
        assert isinstance(r.json()["code"], str)
        assert _state() == before
        r = client.delete("/rules/calendar/2026-10-01")
        assert r.status_code == expected_write
        r = client.post(
            "/rules/rulesets", json={"trade_type": "gp.open", "version": "9.9", "content": {}}
        )
        assert r.status_code == expected_write
        assert _state() == before
