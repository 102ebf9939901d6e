"""A tender's whole life through the pages in a real Chromium (desktop width): the tenderer
publishes on the manage page, a bidder seals and uploads on the bid page, two custodians
unseal their shares in the browser (custodian.js) and release them after the deadline,
staff open and decrypt from the console, and the record shows on the public page. Also
custodian.js against Python's ``keyshare.seal_share``."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tests.factories import PASSWORD, make_org, signup, tender_dates
from tests.tendering.conftest import tw  # noqa: F401  # the published-ready tender fixture
from tests.tendering.helpers import Submitter
from tests.tendering.helpers import package as sealed_package

from ggzy import clock
from ggzy.bidkit.package import build_package
from ggzy.bidkit.pricing import parse_price_form
from ggzy.crypto.suites import INTL
from ggzy.registry import services as registry
from ggzy.tendering import keyshare
from ggzy.tendering.models import Bid, CustodianShare, OpeningSession, Tender, TenderStatus

pytestmark = pytest.mark.e2e

BEIJING = ZoneInfo("Asia/Shanghai")
DECRYPT = "section[aria-labelledby=staff-h] form.inline button"  # 保管人解密 buttons


def _page(browser: Any) -> Any:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    ctx.set_default_timeout(60_000)  # generous: CI machines are shared and slow at times
    return ctx.new_page()


def _login(page: Any, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/me/")


def _local(t: dt.datetime) -> str:
    return t.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")


def test_custodian_js_opens_python_sealed_share(live_server: Any, desktop: Any) -> None:
    """custodian.unsealShare opens what keyshare.seal_share made, with either key file form;
    the wrong key and another tender's share are refused."""
    page = desktop
    page.goto(live_server.url + "/tendering/")
    key = INTL.generate_wrapping_key()
    share = os.urandom(33)
    sealed = keyshare.seal_share(share, key.public_key, tender_id=42, role="supervisor").decode()
    keys_doc = json.dumps(
        {"format": "ggzy-bidder-keys", "v": 1, "suite": "intl", "encryption_key": key.to_text()}
    )
    other = INTL.generate_wrapping_key().to_text()
    result = page.evaluate(
        """async ([sealed, keyText, keysDoc, other]) => {
          const c = await import("/static/ggzy/custodian.js");
          const s = await import("/static/ggzy/seal.js");
          const out = {};
          out.plain = s.toBase64(await c.unsealShare(sealed, await c.loadPrivateKey(keyText),
                                                     { tender: 42, role: "supervisor" }));
          out.json = s.toBase64(await c.unsealShare(new TextEncoder().encode(sealed),
                                                    await c.loadPrivateKey(keysDoc)));
          for (const [name, fn] of [
            ["wrong", async () => c.unsealShare(sealed, await c.loadPrivateKey(other))],
            ["tender", async () =>
              c.unsealShare(sealed, await c.loadPrivateKey(keyText), { tender: 43 })],
            ["tampered", async () => {
              const body = JSON.parse(sealed);
              body.role = "centre";
              return c.unsealShare(JSON.stringify(body), await c.loadPrivateKey(keyText));
            }],
          ]) {
            try { await fn(); out[name] = "opened"; } catch (e) { out[name] = e.code; }
          }
          return out;
        }""",
        [sealed, key.to_text(), keys_doc, other],
    )
    expected = base64.b64encode(share).decode()
    assert result == {
        "plain": expected,
        "json": expected,
        "wrong": "wrong_key",
        "tender": "share_malformed",
        "tampered": "wrong_key",
    }


def test_tender_lifecycle_through_the_pages(
    live_server: Any,
    tw: Any,  # noqa: F811
    browser: Any,
    tmp_path: Path,
) -> None:
    base = live_server.url
    errors: list[str] = []

    # --- the tenderer publishes on the manage page
    tenderer = _page(browser)
    tenderer.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(tenderer, base, tw.world.tenderer.username)
    tenderer.goto(f"{base}/tendering/{tw.tender.pk}/manage/")
    assert tenderer.locator("#tender-status").inner_text() == "草稿"
    doc = tmp_path / "补充技术规范.pdf"
    doc.write_bytes(b"%PDF-1.7 technical specification")
    tenderer.set_input_files("#id_file", str(doc))
    tenderer.click("#upload-document")
    tenderer.wait_for_selector("text=补充技术规范.pdf")
    start = clock.now() + dt.timedelta(minutes=5)
    tenderer.fill("#id_docs_from", _local(start))
    docs_until, bid_deadline = tender_dates("works.open", start)
    tenderer.fill("#id_docs_until", _local(docs_until))
    tenderer.fill("#id_bid_deadline", _local(bid_deadline))
    tenderer.select_option("#id_centre", str(tw.world.staff.pk))
    tenderer.select_option("#id_supervisor", str(tw.world.regulator.pk))
    tenderer.select_option("#id_tenderer", str(tw.world.tenderer.pk))
    tenderer.click("#publish")
    tenderer.wait_for_selector("#custodians")
    assert tenderer.locator("#tender-status").inner_text() == "已发布（接受投标）"
    assert tenderer.evaluate("document.documentElement.scrollWidth") <= 1280
    tender = Tender.objects.get(pk=tw.tender.pk)
    tw.tender = tender
    assert tender.status == TenderStatus.ANNOUNCED
    assert tender.bid_deadline is not None
    local_deadline = tender.bid_deadline.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    assert local_deadline == _local(bid_deadline).replace("T", " ")
    tenderer.screenshot(path=str(tmp_path / "manage.png"), full_page=True)

    # --- a bidder seals and uploads on the bid page; two more bid through the services
    bidder = _page(browser)
    bidder.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(bidder, base, tw.world.bidder.username)
    bidder.goto(f"{base}/tendering/{tender.pk}/bid/")
    bidder.click("#gen-keys")
    bidder.wait_for_selector("#keys-info", state="visible")
    bidder.click("#register-key")
    bidder.wait_for_selector("#key-status[data-registered=yes]", timeout=60_000)
    package = tmp_path / "投标文件.zip"
    pdf = tmp_path / "技术标.pdf"
    pdf.write_bytes(b"%PDF-1.7 technical proposal" * 50)
    build_package(
        package,
        files=[pdf],
        price_form=parse_price_form({"price_form": 1, "amount": "28800000.00", "price_unit": 0}),
        bidder=tw.world.bidder_org.uscc,
    )
    bidder.set_input_files("#package-file", str(package))
    bidder.click("#seal-upload")
    bidder.wait_for_selector("#receipt", state="visible", timeout=60_000)
    assert Bid.objects.filter(tender=tender, bidder=tw.world.bidder_org).count() == 1
    Submitter(tw, tw.other_bidder, tw.other_org, tw.other_signing).submit(
        sealed_package(tmp_path, "b", "29100000.00")
    )
    third = signup("bidder3", "张三")
    org3 = make_org(third, ["bidder"], "会宁建设集团有限公司")
    signing3 = INTL.generate_signing_key()
    registry.entity_key_register(
        actor=third, purpose="sign", public_key=signing3.public_key.to_text(), organization=org3
    )
    Submitter(tw, third, org3, signing3).submit(sealed_package(tmp_path, "c", "29300000.00"))

    # --- custodians: before the deadline the page explains the refusal
    staff = _page(browser)
    staff.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(staff, base, tw.world.staff.username)
    staff.goto(f"{base}/tendering/{tender.pk}/custody/")
    assert "share_too_early" in staff.locator("#too-early").inner_text()
    regulator = _page(browser)
    regulator.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(regulator, base, tw.world.regulator.username)

    key_txt = tmp_path / "centre.key"
    key_txt.write_text(tw.custodian_keys["centre"].to_text() + "\n")
    keys_json = tmp_path / "supervisor-keys.json"
    keys_json.write_text(
        json.dumps(
            {
                "format": "ggzy-bidder-keys",
                "v": 1,
                "suite": "intl",
                "encryption_key": tw.custodian_keys["supervisor"].to_text(),
                "encryption_public_key": tw.custodian_keys["supervisor"].public_key.to_text(),
            }
        )
    )
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        for page, keyfile in ((staff, key_txt), (regulator, keys_json)):
            page.goto(f"{base}/tendering/{tender.pk}/custody/")
            page.set_input_files("#key-file", str(keyfile))
            page.click("#unseal-release")
            page.wait_for_selector("#all-released", timeout=60_000)
        assert CustodianShare.objects.filter(tender=tender, released_at__isnull=False).count() == 2
        staff.screenshot(path=str(tmp_path / "custody.png"), full_page=True)

        # --- staff open and decrypt with the custodians' key from the console
        staff.goto(f"{base}/tendering/{tender.pk}/opening/")
        staff.click("#start-opening")
        staff.wait_for_selector("#make-record")
        for _ in range(3):
            with staff.expect_navigation():
                staff.locator(DECRYPT).first.click()
            assert staff.locator("#action-error").count() == 0, staff.content()[:3000]
        assert staff.locator(DECRYPT).count() == 0
        staff.click("#make-record")
        staff.wait_for_selector("#opening-record")
    session = OpeningSession.objects.get(tender=tender)
    assert session.record["valid_bids"] == 3

    # --- the record on the public page
    public = _page(browser)
    public.goto(f"{base}/tendering/{tender.pk}/")
    record = public.locator("#opening-record").inner_text()
    assert tw.world.bidder_org.name in record
    assert "28800000.00 元" in record
    assert tw.other_org.name in record
    assert errors == []
