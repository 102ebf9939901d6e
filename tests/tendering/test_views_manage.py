"""Tenderer/agency pages and the custodian page over real HTTP: draft → documents → publish
(refused with too-short periods) → clarification → answer to an objection; who may see and
use them; releasing a share through the page. A refusal changes nothing."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from tests.factories import login_session, make_org, signup, tender_dates

from ggzy import clock
from ggzy.ledger.models import Entry
from ggzy.projects import services as projects
from ggzy.rules import selectors as rules
from ggzy.rules.models import CalendarDay
from ggzy.tendering import keyshare, services
from ggzy.tendering.models import (
    Clarification,
    CustodianShare,
    Objection,
    ObjectionStatus,
    Tender,
    TenderDocument,
    TenderStatus,
)

pytestmark = pytest.mark.django_db(transaction=True)

BEIJING = ZoneInfo("Asia/Shanghai")


def _login(base: str, username: str | None) -> requests.Session:
    return login_session(base, username)  # type: ignore[no-any-return]


def _post(s: requests.Session, base: str, path: str, **kwargs: Any) -> requests.Response:
    token = s.cookies.get("csrftoken")
    if token is None:
        s.get(base + "/tendering/", timeout=30)
        token = s.cookies.get("csrftoken", "")
    data = {"csrfmiddlewaretoken": token, **kwargs.pop("data", {})}
    return s.post(
        base + path,
        data=data,
        headers={"Referer": base + path},
        allow_redirects=False,
        timeout=30,
        **kwargs,
    )


def _local(t: dt.datetime) -> str:
    return t.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")


def _state() -> tuple[Any, ...]:
    return (
        Entry.objects.count(),
        sorted(Tender.objects.values_list("status", "version", "bid_deadline")),
        TenderDocument.objects.count(),
        CustodianShare.objects.filter(released_at__isnull=False).count(),
        CustodianShare.objects.count(),
        Clarification.objects.count(),
        sorted(Objection.objects.values_list("status", flat=True)),
    )


def _publish_data(tw: Any, start: dt.datetime, *, bid_days: int = 21) -> dict[str, Any]:
    docs_until, bid_deadline = tender_dates("works.open", start, bid_days=bid_days)
    return {
        "docs_from": _local(start),
        "docs_until": _local(docs_until),
        "bid_deadline": _local(bid_deadline),
        "deposit_amount": "100000",
        "deposit_account": "甘肃银行白银分行 6200 0000 0000",
        "centre": str(tw.world.staff.pk),
        "supervisor": str(tw.world.regulator.pk),
        "tenderer": str(tw.world.tenderer.pk),
    }


def _users(tw: Any) -> dict[str, Any]:
    other = signup("tenderer2", "冯招标")
    make_org(other, ["tenderer"], "会宁县城市建设投资有限公司")
    return {
        "anonymous": None,
        "bidder": tw.world.bidder,
        "public": tw.world.public,
        "other_tenderer": other,
        "tenderer": tw.world.tenderer,
        "staff": tw.world.staff,
    }


def _new_section(tw: Any) -> Any:
    return projects.section_create(
        actor=tw.world.tenderer,
        tender_project=tw.section.tender_project,
        name="二标段",
        estimated_price=Decimal("12000000"),
    )


# --------------------------------------------------------------------------- the whole path


def test_draft_upload_publish_clarify_answer(live_server: Any, tw: Any) -> None:
    base = live_server.url
    section = _new_section(tw)
    s = _login(base, tw.world.tenderer.username)
    page = s.get(f"{base}/tendering/new/{section.code}/", timeout=30)
    assert page.status_code == 200
    assert section.code in page.text
    r = _post(
        s,
        base,
        f"/tendering/new/{section.code}/",
        data={"title": "", "announcement_html": "<p>x</p>"},
    )
    assert r.status_code == 400
    assert not Tender.objects.filter(section=section).exists()
    r = _post(
        s,
        base,
        f"/tendering/new/{section.code}/",
        data={
            "title": "白银市城区道路改造工程二标段施工招标公告",
            "announcement_html": "<p>二标段招标条件已具备。</p><script>alert(2)</script>",
        },
    )
    assert r.status_code == 302
    tender = Tender.objects.get(section=section)
    assert r.headers["Location"] == f"/tendering/{tender.pk}/manage/"
    assert tender.status == TenderStatus.DRAFT
    assert "<script>" not in tender.announcement_html
    # the section page link again goes to the existing draft
    again = s.get(f"{base}/tendering/new/{section.code}/", timeout=30, allow_redirects=False)
    assert again.status_code == 302
    assert again.headers["Location"] == f"/tendering/{tender.pk}/manage/"

    first = s.get(f"{base}/tendering/{tender.pk}/manage/", timeout=30)
    assert first.status_code == 200
    assert 'id="publish-form"' in first.text
    assert "尚未上传招标文件" in first.text
    # publish without documents: refused on the form
    before = _state()
    start = clock.now() + dt.timedelta(minutes=10)
    r = _post(s, base, f"/tendering/{tender.pk}/manage/publish/", data=_publish_data(tw, start))
    assert r.status_code == 400
    assert "请先上传招标文件" in r.text
    assert _state() == before

    r = _post(
        s,
        base,
        f"/tendering/{tender.pk}/manage/documents/",
        files={"file": ("二标段招标文件.pdf", b"%PDF-1.7 section two", "application/pdf")},
    )
    assert r.status_code == 302
    doc = TenderDocument.objects.get(tender=tender)
    assert doc.sha256 in s.get(f"{base}/tendering/{tender.pk}/manage/", timeout=30).text

    # too short a bid period (T8: 20 days): 400 citing the rule, nothing changed
    before = _state()
    r = _post(
        s,
        base,
        f"/tendering/{tender.pk}/manage/publish/",
        data=_publish_data(tw, start, bid_days=12),
    )
    assert r.status_code == 400
    assert "period_too_short" in r.text
    assert "招标投标法第二十四条" in r.text
    assert _state() == before
    tender.refresh_from_db()
    assert tender.status == TenderStatus.DRAFT

    r = _post(s, base, f"/tendering/{tender.pk}/manage/publish/", data=_publish_data(tw, start))
    assert r.status_code == 302, r.text[:3000]
    tender.refresh_from_db()
    assert tender.status == TenderStatus.ANNOUNCED
    assert tender.bid_deadline == tender_dates("works.open", start)[1].replace(
        second=0, microsecond=0
    )
    assert tender.deposit_amount == Decimal("100000")
    assert set(CustodianShare.objects.filter(tender=tender).values_list("role", flat=True)) == {
        "centre",
        "supervisor",
        "tenderer",
    }
    manage = s.get(f"{base}/tendering/{tender.pk}/manage/", timeout=30).text
    assert 'id="publish-form"' not in manage
    assert f'href="/tendering/{tender.pk}/"' in manage
    assert 'id="custody-link"' in manage
    assert 'id="clarification-form"' in manage
    # publishing twice is refused
    before = _state()
    r = _post(s, base, f"/tendering/{tender.pk}/manage/publish/", data=_publish_data(tw, start))
    assert r.status_code == 409
    assert _state() == before

    # an objection (T10) raised by a bidder, answered on the page
    obj = services.objection_raise(
        actor=tw.world.bidder,
        tender=tender,
        organization=tw.world.bidder_org,
        content="资格条件设置过高",
    )
    manage = s.get(f"{base}/tendering/{tender.pk}/manage/", timeout=30).text
    assert "资格条件设置过高" in manage
    assert "1 件待答复" in manage
    before = _state()
    r = _post(s, base, f"/tendering/{tender.pk}/manage/objections/{obj.pk}/answer/")
    assert r.status_code == 400
    assert _state() == before
    r = _post(
        s,
        base,
        f"/tendering/{tender.pk}/manage/objections/{obj.pk}/answer/",
        data={f"o{obj.pk}-answer": "资格条件符合法规要求"},
    )
    assert r.status_code == 302
    obj.refresh_from_db()
    assert obj.status == ObjectionStatus.ANSWERED
    assert obj.answer == "资格条件符合法规要求"

    # a clarification 10 days before the deadline moves it to 15 days after (T9)
    assert tender.bid_deadline is not None
    old_deadline = tender.bid_deadline
    at = old_deadline - dt.timedelta(days=10)
    with clock.frozen(at):
        r = _post(
            s,
            base,
            f"/tendering/{tender.pk}/manage/clarifications/",
            data={"content_html": "<p>第三章工程量清单第 5 项更正。</p>"},
            files={"file": ("澄清.pdf", b"%PDF-1.7 clarification", "application/pdf")},
        )
        assert r.status_code == 302
        manage = s.get(f"{base}/tendering/{tender.pk}/manage/", timeout=30).text
    tender.refresh_from_db()
    clar = Clarification.objects.get(tender=tender)
    assert clar.new_deadline == tender.bid_deadline
    assert tender.bid_deadline > old_deadline
    assert clar.old_deadline == old_deadline
    local = tender.bid_deadline.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    assert "投标截止时间顺延至" in manage
    assert local in manage
    assert "第三章工程量清单第 5 项更正。" in manage
    # an earlier deadline than the rule allows is refused
    before = _state()
    with clock.frozen(at):
        r = _post(
            s,
            base,
            f"/tendering/{tender.pk}/manage/clarifications/",
            data={
                "content_html": "<p>再次修改</p>",
                "new_deadline": _local(at + dt.timedelta(days=3)),
            },
        )
    assert r.status_code == 400
    assert "period_too_short" in r.text
    assert _state() == before


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("role", "draft_status", "published_status"),
    [
        ("anonymous", 302, 302),
        ("bidder", 404, 403),
        ("public", 404, 403),
        ("other_tenderer", 404, 403),
        ("tenderer", 200, 200),
        ("staff", 200, 200),
    ],
)
def test_manage_page_access(
    role: str, draft_status: int, published_status: int, live_server: Any, tw: Any
) -> None:
    users = _users(tw)
    user = users[role]
    s = _login(live_server.url, None if user is None else user.username)
    url = f"{live_server.url}/tendering/{tw.tender.pk}/manage/"
    r = s.get(url, timeout=30, allow_redirects=False)
    assert r.status_code == draft_status
    if r.status_code == 302:
        assert "/accounts/login/" in r.headers["Location"]
    tw.publish()
    r = s.get(url, timeout=30, allow_redirects=False)
    assert r.status_code == published_status


@pytest.mark.parametrize(
    ("role", "new_status", "status"),
    [("bidder", 403, 404), ("public", 403, 404), ("other_tenderer", 404, 404)],
)
def test_writes_refused_for_outsiders(
    role: str, new_status: int, status: int, live_server: Any, tw: Any
) -> None:
    base = live_server.url
    user = _users(tw)[role]
    s = _login(base, user.username)
    section = _new_section(tw)
    before = _state()
    r = _post(
        s,
        base,
        f"/tendering/new/{section.code}/",
        data={"title": "冒名招标", "announcement_html": "<p>x</p>"},
    )
    assert r.status_code == new_status  # not a project reader / the section is not theirs
    start = clock.now() + dt.timedelta(minutes=10)
    pk = tw.tender.pk
    r = _post(s, base, f"/tendering/{pk}/manage/publish/", data=_publish_data(tw, start))
    assert r.status_code == status
    r = _post(
        s,
        base,
        f"/tendering/{pk}/manage/documents/",
        files={"file": ("x.pdf", b"%PDF-1.7 x", "application/pdf")},
    )
    assert r.status_code == status
    assert _state() == before
    tender = tw.publish()
    obj = services.objection_raise(
        actor=tw.world.bidder,
        tender=tender,
        organization=tw.world.bidder_org,
        content="评分办法不明确",
    )
    before = _state()
    r = _post(
        s,
        base,
        f"/tendering/{pk}/manage/objections/{obj.pk}/answer/",
        data={f"o{obj.pk}-answer": "驳回"},
    )
    assert r.status_code == 403
    r = _post(
        s, base, f"/tendering/{pk}/manage/clarifications/", data={"content_html": "<p>改</p>"}
    )
    assert r.status_code == 403
    assert _state() == before


def test_anonymous_writes_go_to_login(live_server: Any, tw: Any) -> None:
    s = _login(live_server.url, None)
    before = _state()
    r = _post(s, live_server.url, f"/tendering/{tw.tender.pk}/manage/documents/")
    assert r.status_code == 302
    assert "/accounts/login/" in r.headers["Location"]
    assert _state() == before


# --------------------------------------------------------------------------- custodian page


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("bidder", 403),
        ("public", 403),
        ("other_tenderer", 403),
        ("staff", 200),
        ("tenderer", 200),
    ],
)
def test_custody_page_access(role: str, status: int, live_server: Any, tw: Any) -> None:
    user = _users(tw)[role]
    s = _login(live_server.url, None if user is None else user.username)
    url = f"{live_server.url}/tendering/{tw.tender.pk}/custody/"
    draft = s.get(url, timeout=30, allow_redirects=False)
    assert draft.status_code == (302 if role == "anonymous" else 404 if status == 403 else 403)
    tw.publish()
    r = s.get(url, timeout=30, allow_redirects=False)
    assert r.status_code == status
    if status == 200:
        assert 'id="too-early"' in r.text
        assert "share_too_early" in r.text
        assert 'id="custodian-app"' not in r.text
        assert f'href="/tendering/{tw.tender.pk}/"' in r.text


def test_release_through_the_page(live_server: Any, tw: Any) -> None:
    tender = tw.publish()
    base = live_server.url
    staff = _login(base, tw.world.staff.username)
    tenderer = _login(base, tw.world.tenderer.username)
    share = CustodianShare.objects.get(tender=tender, role="centre")
    plain = keyshare.open_sealed_share(bytes(share.wrapped_share), tw.custodian_keys["centre"])
    data = {"share": base64.b64encode(plain).decode()}
    path = f"/tendering/{tender.pk}/custody/centre/release/"
    before = _state()
    r = _post(staff, base, path, data=data)  # before the deadline
    assert r.status_code == 409
    assert "share_too_early" in r.text
    assert _state() == before
    assert tender.bid_deadline is not None
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        page = staff.get(base + f"/tendering/{tender.pk}/custody/", timeout=30).text
        assert 'id="custodian-app"' in page
        assert "custodian.js" in page
        r = _post(staff, base, path, data={"share": "not base64!"})
        assert r.status_code == 400
        assert "分片不是有效的 Base64" in r.text
        # another custodian's role: not theirs
        r = _post(staff, base, f"/tendering/{tender.pk}/custody/supervisor/release/", data=data)
        assert r.status_code == 404
        r = _post(tenderer, base, path, data=data)
        assert r.status_code == 404
        assert _state() == before
        r = _post(staff, base, path, data=data)
        assert r.status_code == 302
        page = staff.get(base + f"/tendering/{tender.pk}/custody/", timeout=30).text
        assert 'id="all-released"' in page
    share.refresh_from_db()
    assert share.released_at is not None
    assert share.released_share is not None
    assert bytes(share.released_share) == plain


def test_publish_form_proposes_dates_the_rules_accept_and_warns_of_calendar_gaps(
    client: Any, tw: Any
) -> None:
    """Issued on Sunday 29 Nov 2026 the 20-day bid period's last day is a Saturday: the form
    proposes Monday 21 Dec 09:30, not start + 21 days (a Sunday the rules refuse). 2027 is not
    in the holiday table yet, and the form says so."""
    CalendarDay.objects.filter(date__year__gte=2027).delete()  # as shipped: 2025–2026 only
    client.force_login(tw.world.tenderer)
    at = dt.datetime(2026, 11, 29, 3, 40, tzinfo=BEIJING)
    with clock.frozen(at):
        page = client.get(f"/tendering/{tw.tender.pk}/manage/")
        assert page.status_code == 200
        form = page.context["publish_form"]
        assert form.initial["bid_deadline"] == dt.datetime(2026, 12, 21, 9, 30, tzinfo=BEIJING)
        assert "节假日表中还没有 2027 年的放假安排" in page.content.decode()
        tw.publish(
            start=form.initial["docs_from"],
            deadline=form.initial["bid_deadline"],
        )
    assert rules.calendar_gaps(dt.date(2026, 5, 6), dt.date(2026, 9, 3)) == []
    assert rules.calendar_gaps(dt.date(2026, 12, 1), dt.date(2028, 1, 1)) == [2027, 2028]
