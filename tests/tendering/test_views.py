"""Tendering pages over real HTTP: the public tender page and list, the bidder page, the
opening console and its actions — as every kind of caller. A refusal changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from tests.factories import login_session, make_org, signup
from tests.tendering.helpers import Submitter, package

from ggzy import clock
from ggzy.crypto.suites import INTL
from ggzy.ledger.models import Entry
from ggzy.registry import services as registry
from ggzy.tendering.models import Bid, BidOpening, OpeningSession, Tender, TenderStatus

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ["anonymous", "bidder", "other", "tenderer", "staff", "public"]


def _login(base: str, username: str | None) -> requests.Session:
    return login_session(base, username)  # type: ignore[no-any-return]


def _user(tw: Any, role: str) -> Any:
    return tw.other_bidder if role == "other" else tw.world.user(role)


def _session(live_server: Any, tw: Any, role: str) -> requests.Session:
    user = _user(tw, role)
    return _login(live_server.url, None if user is None else user.username)


def _post(s: requests.Session, base: str, path: str, **kwargs: Any) -> requests.Response:
    token = s.cookies.get("csrftoken")
    if token is None:  # anonymous: fetch a page to get the cookie
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


def _state() -> tuple[Any, ...]:
    return (
        Entry.objects.count(),
        sorted(Bid.objects.values_list("status", flat=True)),
        OpeningSession.objects.count(),
        sorted(Tender.objects.values_list("status", flat=True)),
        BidOpening.objects.filter(signed_in_at__isnull=False).count(),
        BidOpening.objects.filter(decrypted_at__isnull=False).count(),
    )


def _bidder(tw: Any) -> Submitter:
    return Submitter(tw, tw.world.bidder, tw.world.bidder_org, tw.bidder_signing)


# --------------------------------------------------------------------------- public pages


@pytest.mark.parametrize("role", ROLES)
def test_public_pages(role: str, live_server: Any, tw: Any) -> None:
    s = _session(live_server, tw, role)
    base = live_server.url
    draft = s.get(f"{base}/tendering/{tw.tender.pk}/", timeout=30)
    assert draft.status_code == (200 if role in {"tenderer", "staff"} else 404)
    assert s.get(f"{base}/tendering/", timeout=30).status_code == 200
    tw.publish()
    page = s.get(f"{base}/tendering/{tw.tender.pk}/", timeout=30)
    assert page.status_code == 200
    assert "招标条件：本项目已批准建设。" in page.text
    assert "alert(1)" not in page.text  # sanitised at write
    doc = tw.tender.documents.get()
    assert doc.sha256 in page.text
    assert f"/api/v1/tendering/documents/{doc.pk}" in page.text
    listing = s.get(f"{base}/tendering/", timeout=30)
    assert tw.tender.title in listing.text
    assert "开标记录" not in page.text


def test_tender_page_shows_deadline_in_shanghai_time(live_server: Any, tw: Any) -> None:
    tender = tw.publish()
    page = requests.get(f"{live_server.url}/tendering/{tender.pk}/", timeout=30)
    local = tender.bid_deadline.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    utc = tender.bid_deadline.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
    assert local in page.text
    assert utc not in page.text
    assert tender.ruleset_label in page.text


def test_failed_tender_shows_notice_and_record(live_server: Any, tw: Any, tmp_path: Path) -> None:
    tender = tw.publish()
    _bidder(tw).submit(package(tmp_path, "only", "1000000"))
    staff = _session(live_server, tw, "staff")
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        r = _post(staff, live_server.url, f"/tendering/{tender.pk}/opening/start/")
    assert r.status_code == 302
    tender.refresh_from_db()
    assert tender.status == TenderStatus.FAILED
    page = requests.get(f"{live_server.url}/tendering/{tender.pk}/", timeout=30)
    assert 'id="failed-notice"' in page.text
    assert "流标" in page.text


# --------------------------------------------------------------------------- bidder page


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("bidder", 200),
        ("other", 200),
        ("tenderer", 403),
        ("staff", 403),
        ("public", 403),
    ],
)
def test_bid_page_access(role: str, status: int, live_server: Any, tw: Any) -> None:
    tender = tw.publish()
    s = _session(live_server, tw, role)
    r = s.get(f"{live_server.url}/tendering/{tender.pk}/bid/", timeout=30, allow_redirects=False)
    assert r.status_code == status
    if status == 302:
        assert "/accounts/login/" in r.headers["Location"]
    if status == 200:
        assert 'id="bidder-app"' in r.text
        assert tender.opening_public_key in r.text
        assert 'id="no-bid"' in r.text


def test_draft_bid_page_is_404(live_server: Any, tw: Any) -> None:
    s = _session(live_server, tw, "bidder")
    r = s.get(f"{live_server.url}/tendering/{tw.tender.pk}/bid/", timeout=30)
    assert r.status_code == 404


def test_bid_page_shows_receipt_and_withdraw(live_server: Any, tw: Any, tmp_path: Path) -> None:
    tender = tw.publish()
    bid = _bidder(tw).submit(package(tmp_path, "a", "2880000"))
    base = live_server.url
    other = _session(live_server, tw, "other")
    before = _state()
    r = _post(other, base, f"/tendering/{tender.pk}/bid/{bid.pk}/withdraw/")
    assert r.status_code == 404
    assert _state() == before
    anon = _session(live_server, tw, "anonymous")
    r = _post(anon, base, f"/tendering/{tender.pk}/bid/{bid.pk}/withdraw/")
    assert r.status_code == 302
    assert "/accounts/login/" in r.headers["Location"]
    assert _state() == before

    s = _session(live_server, tw, "bidder")
    page = s.get(f"{base}/tendering/{tender.pk}/bid/", timeout=30)
    assert bid.envelope_sha256 in page.text
    assert str(bid.pk) in page.text
    assert 'id="withdraw"' in page.text
    r = _post(s, base, f"/tendering/{tender.pk}/bid/{bid.pk}/withdraw/")
    assert r.status_code == 302
    bid.refresh_from_db()
    assert bid.status == "withdrawn"
    assert 'id="no-bid"' in s.get(f"{base}/tendering/{tender.pk}/bid/", timeout=30).text


def test_withdraw_after_deadline_is_refused(live_server: Any, tw: Any, tmp_path: Path) -> None:
    tender = tw.publish()
    bid = _bidder(tw).submit(package(tmp_path, "a", "2880000"))
    s = _session(live_server, tw, "bidder")
    before = _state()
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        page = s.get(f"{live_server.url}/tendering/{tender.pk}/bid/", timeout=30)
        assert 'id="withdraw"' not in page.text
        assert 'id="closed"' in page.text
        r = _post(s, live_server.url, f"/tendering/{tender.pk}/bid/{bid.pk}/withdraw/")
    assert r.status_code == 409
    assert "error-box" in r.text
    assert _state() == before


# --------------------------------------------------------------------------- opening console


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("bidder", 200),
        ("other", 403),
        ("tenderer", 200),
        ("staff", 200),
        ("public", 403),
    ],
)
def test_opening_console_access(
    role: str, status: int, live_server: Any, tw: Any, tmp_path: Path
) -> None:
    tender = tw.publish()
    _bidder(tw).submit(package(tmp_path, "a", "2880000"))
    s = _session(live_server, tw, role)
    url = f"{live_server.url}/tendering/{tender.pk}/opening/"
    r = s.get(url, timeout=30, allow_redirects=False)
    assert r.status_code == status
    if status == 200:
        assert 'id="live"' in r.text
        assert 'hx-trigger="every 3s"' in r.text
        assert ('id="start-opening"' in r.text) == (role == "staff")
        partial = s.get(url, headers={"HX-Request": "true"}, timeout=30)
        assert partial.status_code == 200
        assert partial.text.lstrip().startswith('<div id="live"')
        assert "<html" not in partial.text


@pytest.mark.parametrize("role", ["anonymous", "bidder", "other", "tenderer", "public"])
def test_opening_start_refused_for_non_staff(
    role: str, live_server: Any, tw: Any, tmp_path: Path
) -> None:
    tender = tw.publish()
    _bidder(tw).submit(package(tmp_path, "a", "2880000"))
    s = _session(live_server, tw, role)
    before = _state()
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        r = _post(s, live_server.url, f"/tendering/{tender.pk}/opening/start/")
    expected = {"anonymous": 302, "bidder": 403, "other": 403, "tenderer": 403, "public": 403}
    assert r.status_code == expected[role]
    assert _state() == before


def test_opening_start_before_deadline_shows_error(
    live_server: Any, tw: Any, tmp_path: Path
) -> None:
    tender = tw.publish()
    _bidder(tw).submit(package(tmp_path, "a", "2880000"))
    staff = _session(live_server, tw, "staff")
    before = _state()
    r = _post(staff, live_server.url, f"/tendering/{tender.pk}/opening/start/")
    assert r.status_code == 409
    assert 'id="action-error"' in r.text
    assert "未到投标截止时间" in r.text
    assert _state() == before


def test_full_opening_through_the_console(live_server: Any, tw: Any, tmp_path: Path) -> None:
    tender = tw.publish()
    a = _bidder(tw)
    b = Submitter(tw, tw.other_bidder, tw.other_org, tw.other_signing)
    third = signup("bidder3", "张三")
    org3 = make_org(third, ["bidder"], "会宁建设集团有限公司")
    signing3 = INTL.generate_signing_key()
    registry.entity_key_register(
        actor=third, purpose="sign", public_key=signing3.public_key.to_text(), organization=org3
    )
    c = Submitter(tw, third, org3, signing3)
    for i, sub in enumerate((a, b, c)):
        sub.submit(package(tmp_path, f"p{i}", f"2880000{i}.00"))
    base = live_server.url
    staff = _session(live_server, tw, "staff")
    bidder = _session(live_server, tw, "bidder")
    other = _session(live_server, tw, "other")
    tenderer = _session(live_server, tw, "tenderer")
    p = f"/tendering/{tender.pk}/opening"
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        assert _post(staff, base, f"{p}/start/").status_code == 302
        console = bidder.get(base + p + "/", timeout=30).text
        assert 'id="sign-in"' in console
        assert "release-form" in console
        # the other bidder cannot sign in or release for a's bid; nothing changes
        before = _state()
        assert _post(other, base, f"{p}/bids/{a.bid.pk}/sign-in/").status_code == 404
        assert _post(tenderer, base, f"{p}/bids/{a.bid.pk}/decrypt/").status_code == 403
        assert _state() == before
        # a bad statement: 400 on the page, nothing changes
        r = _post(bidder, base, f"{p}/bids/{a.bid.pk}/release/", data={"statement": "{nope"})
        assert r.status_code == 400
        assert "声明不是有效的 JSON" in r.text
        assert _state() == before
        assert _post(bidder, base, f"{p}/bids/{a.bid.pk}/sign-in/").status_code == 302
        statement = json.dumps(a.statement()).encode()
        r = _post(
            bidder,
            base,
            f"{p}/bids/{a.bid.pk}/release/",
            files={"statement_file": ("release.json", statement, "application/json")},
        )
        assert r.status_code == 302, r.text[:2000]
        r = _post(other, base, f"{p}/bids/{b.bid.pk}/release/", data={"statement": "{}"})
        assert r.status_code == 400
        assert 'id="action-error"' in r.text
        r = _post(
            other,
            base,
            f"{p}/bids/{b.bid.pk}/release/",
            data={"statement": json.dumps(b.statement())},
        )
        assert r.status_code == 302
        third_s = _login(base, "bidder3")
        r = _post(
            third_s,
            base,
            f"{p}/bids/{c.bid.pk}/release/",
            data={"statement": json.dumps(c.statement())},
        )
        assert r.status_code == 302
        before = _state()
        assert _post(bidder, base, f"{p}/record/").status_code == 403
        assert _state() == before
        assert _post(staff, base, f"{p}/record/").status_code == 302
        console = staff.get(base + p + "/", timeout=30).text
        assert "一致" in console
        assert "28800000.00 元" in console
        r = _post(other, base, f"{p}/bids/{b.bid.pk}/confirm/", data={"objection": "报价读错"})
        assert r.status_code == 302
        r = _post(staff, base, f"{p}/close/")
        assert r.status_code == 409
        assert "尚有开标异议未答复" in r.text
        r = _post(tenderer, base, f"{p}/bids/{b.bid.pk}/answer/", data={"answer": "已核对"})
        assert r.status_code == 302
        assert _post(staff, base, f"{p}/close/").status_code == 302
    tender.refresh_from_db()
    assert tender.status == TenderStatus.OPENED
    page = requests.get(f"{base}/tendering/{tender.pk}/", timeout=30).text
    assert 'id="opening-record"' in page
    assert "28800001.00 元" in page
    assert tw.other_org.name in page
