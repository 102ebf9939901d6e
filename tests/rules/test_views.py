"""Rules pages and back office: public rule pages, the staff calendar, admin publishing."""

import json

import pytest

from ggzy.ledger.models import Entry
from ggzy.rules import services
from ggzy.rules.models import CalendarDay, RuleSet

pytestmark = pytest.mark.django_db


def _state():
    return (RuleSet.objects.count(), CalendarDay.objects.count(), Entry.objects.count())


def test_index_lists_the_catalogue_with_time_limits(client, seeded):
    r = client.get("/rules/")
    assert r.status_code == 200
    html = r.content.decode()
    for text in (
        "交易目录与法定时限",
        "工程建设",
        "政府采购",
        "国有建设用地使用权-挂牌出让",
        "投标截止时间距招标文件发出之日不得少于20日",
        "挂牌（正式信息披露）期不得少于20个工作日",
        'href="/rules/works.open/"',
    ):
        assert text in html, text


def test_detail_shows_rules_basis_hash_and_computes_a_deadline(client, seeded):
    r = client.get("/rules/works.open/")
    assert r.status_code == 200
    html = r.content.decode()
    rs = RuleSet.objects.get(trade_type__code="works.open")
    for text in (
        "works.open@2026.1",
        rs.content_sha256,
        "招标投标法实施条例第二十二条",
        "对招标文件的异议应当在投标截止时间10日前提出",
        "技术、经济等方面的专家不得少于成员总数的三分之二",
        "下载存证证明",
    ):
        assert text in html, text
    r = client.get(
        "/rules/works.open/", {"key": "bid_period_min_days", "start": "2026-09-20T10:00"}
    )
    assert r.status_code == 200
    assert "最早可设定为：2026年10月10日 00:00" in r.content.decode()
    r = client.get("/rules/works.open/", {"key": "award_report_days", "start": "2026-03-06T16:00"})
    assert "期限届满时间：2026年3月23日 23:59" in r.content.decode()
    r = client.get("/rules/works.open/", {"key": "listing_min_days", "start": "2026-03-06T16:00"})
    assert r.status_code == 400  # not a key of this type: the select refuses it


def test_detail_of_unknown_type_is_404(client, seeded):
    r = client.get("/rules/no.such/")
    assert r.status_code == 404
    assert "未找到该交易类型" in r.content.decode()


def test_calendar_page_is_public_but_only_staff_edit(client, seeded, world):
    r = client.get("/rules/calendar/", {"year": 2026})
    assert r.status_code == 200
    html = r.content.decode()
    assert "国庆节调休上班" in html
    assert 'name="action" value="set"' not in html
    client.force_login(world.bidder)
    before = _state()
    r = client.post(
        "/rules/calendar/",
        {"action": "set", "date": "2027-01-01", "kind": "holiday", "name": "元旦"},
    )
    assert r.status_code == 403
    r = client.post("/rules/calendar/", {"action": "remove", "date": "2026-10-01"})
    assert r.status_code == 403
    assert _state() == before


def test_staff_calendar_edits_leave_ledger_entries(client, seeded, world):
    client.force_login(world.staff)
    r = client.get("/rules/calendar/", {"year": 2026})
    assert 'name="action" value="set"' in r.content.decode()
    r = client.post(
        "/rules/calendar/",
        {"action": "set", "date": "2027-01-01", "kind": "holiday", "name": "元旦"},
    )
    assert r.status_code == 302
    assert r["Location"] == "/rules/calendar/?year=2027"
    assert CalendarDay.objects.filter(date="2027-01-01", kind="holiday").exists()
    before = _state()
    r = client.post(
        "/rules/calendar/",
        {"action": "set", "date": "2027-01-04", "kind": "adjusted_workday", "name": "调休"},
    )
    assert r.status_code == 400
    assert "调休上班日应为周六或周日" in r.content.decode()
    assert _state() == before
    r = client.post("/rules/calendar/", {"action": "remove", "date": "2027-01-01"})
    assert r.status_code == 302
    assert list(
        Entry.objects.filter(subject_type="rules.calendarday", subject_id="2027-01-01").values_list(
            "event_type", flat=True
        )
    ) == ["rules:calendar_day:set", "rules:calendar_day:removed"]


def test_admin_pages_for_staff(client, seeded, world):
    client.force_login(world.staff)
    for url in (
        "/admin/rules/tradetype/",
        "/admin/rules/ruleset/",
        "/admin/rules/calendarday/",
        "/admin/rules/calendarday/add/",
        f"/admin/rules/ruleset/{RuleSet.objects.first().pk}/change/",
        "/admin/rules/ruleset/publish/?trade_type=gp.open",
    ):
        r = client.get(url)
        assert r.status_code == 200, url
    client.force_login(world.bidder)
    assert client.get("/admin/rules/ruleset/publish/").status_code == 302  # to the admin login


def test_admin_publish_and_calendar_go_through_services(client, seeded, world, now):
    client.force_login(world.staff)
    content = json.loads(services.SEED_RULESETS.read_text(encoding="utf-8"))["rulesets"][0][
        "content"
    ]
    gp_open = RuleSet.objects.get(trade_type__code="works.open").trade_type.pk
    before = _state()
    r = client.post(
        "/admin/rules/ruleset/publish/",
        {"trade_type": gp_open, "version": "2026.2", "effective_from": "", "content": "{oops"},
    )
    assert r.status_code == 200
    assert "不是有效的 JSON" in r.content.decode()
    r = client.post(
        "/admin/rules/ruleset/publish/",
        {
            "trade_type": gp_open,
            "version": "2026.1",
            "effective_from": "",
            "content": json.dumps(content),
        },
    )
    assert "ruleset_version_exists" in r.content.decode()
    assert _state() == before
    r = client.post(
        "/admin/rules/ruleset/publish/",
        {
            "trade_type": gp_open,
            "version": "2026.2",
            "effective_from": "2026-07-01T00:00",
            "content": json.dumps(content),
        },
    )
    assert r.status_code == 302
    assert RuleSet.objects.get(version="2026.2").label == "works.open@2026.2"
    # calendar through the admin: add, then delete
    r = client.post(
        "/admin/rules/calendarday/add/", {"date": "2027-10-01", "kind": "holiday", "name": "国庆节"}
    )
    assert r.status_code == 302, r.content.decode()[:500]
    day = CalendarDay.objects.get(date="2027-10-01")
    r = client.post(
        "/admin/rules/calendarday/add/",
        {"date": "2027-10-04", "kind": "adjusted_workday", "name": "x"},
    )
    assert r.status_code == 200
    assert "调休上班日应为周六或周日" in r.content.decode()
    r = client.post(f"/admin/rules/calendarday/{day.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302
    assert list(
        Entry.objects.filter(subject_type="rules.calendarday", subject_id="2027-10-01").values_list(
            "event_type", flat=True
        )
    ) == ["rules:calendar_day:set", "rules:calendar_day:removed"]
