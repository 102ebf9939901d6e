"""The bidder's page and the opening console in a real Chromium on a 375 px phone: keys made
in the browser, the signing key registered, a bidkit package sealed with seal.js and uploaded
in chunks; the receipt shown; the opening console refreshing itself (htmx)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest
from tests.factories import PASSWORD
from tests.tendering.conftest import tw  # noqa: F401  # the published-ready tender fixture

from ggzy import clock
from ggzy.bidkit.package import build_package
from ggzy.bidkit.pricing import parse_price_form
from ggzy.registry.models import EntityKey
from ggzy.tendering import opening
from ggzy.tendering.models import Bid, BidStatus

pytestmark = pytest.mark.e2e


def _login(page: Any, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/me/")


def test_bidder_seals_and_uploads_in_the_browser(
    live_server: Any,
    tw: Any,  # noqa: F811
    phone: Any,
    tmp_path: Path,
) -> None:
    tender = tw.publish()
    base = live_server.url
    page = phone
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(page, base, tw.world.bidder.username)
    page.goto(f"{base}/tendering/{tender.pk}/bid/")
    assert page.locator("h1").inner_text() == "递交投标文件"

    page.click("#gen-keys")
    page.wait_for_selector("#keys-info", state="visible")
    signing_public = page.locator("#signing-public").inner_text()
    assert signing_public.startswith("ed25519:")
    assert page.get_attribute("#keys-download", "href").startswith("blob:")
    page.click("#register-key")
    page.wait_for_selector("#key-status[data-registered=yes]", timeout=10_000)
    assert EntityKey.objects.filter(
        organization=tw.world.bidder_org, purpose="sign", public_key=signing_public
    ).exists()

    doc = tmp_path / "技术标.pdf"
    doc.write_bytes(b"%PDF-1.7 technical proposal" * 100)
    package = tmp_path / "投标文件.zip"
    build_package(
        package,
        files=[doc],
        price_form=parse_price_form({"price_form": 1, "amount": "28800000.00", "price_unit": 0}),
        bidder=tw.world.bidder_org.uscc,
    )
    page.set_input_files("#package-file", str(package))
    page.click("#seal-upload")
    page.wait_for_selector("#receipt", state="visible", timeout=30_000)
    assert page.locator("#upload-error").is_hidden(), page.locator("#upload-error").inner_text()
    bid_id = page.locator("#receipt-bid").inner_text()
    bid = Bid.objects.get(pk=bid_id)
    assert bid.bidder == tw.world.bidder_org
    assert bid.status == BidStatus.SUBMITTED
    assert page.locator("#receipt-sha").inner_text() == bid.envelope_sha256
    assert page.locator("#receipt-entry").inner_text() == str(bid.ledger_entry_id)
    with bid.envelope.open("rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == bid.envelope_sha256
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.screenshot(path=str(tmp_path / "bid-phone.png"), full_page=True)
    # the page shows the receipt after a reload too, with the withdraw button
    page.reload()
    assert bid.envelope_sha256 in page.locator("#current-receipt").inner_text()
    assert page.locator("#withdraw").is_visible()

    # the opening console: not started yet; it refreshes itself once the opening starts
    page.goto(f"{base}/tendering/{tender.pk}/opening/")
    assert page.locator("#not-started").is_visible()
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        opening.opening_start(actor=tw.world.staff, tender=tender)
    page.wait_for_selector("#opening-bids", timeout=8_000)  # htmx polling every 3 s
    assert tw.world.bidder_org.name in page.locator("#opening-bids").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(tmp_path / "opening-phone.png"), full_page=True)
    assert errors == []


def test_bidder_builds_the_package_in_the_browser(
    live_server: Any,
    tw: Any,  # noqa: F811
    desktop: Any,
    tmp_path: Path,
) -> None:
    """No CLI needed: the price form and documents are packaged on the page (bidpackage.js),
    sealed and uploaded; the ZIP reads back in Python with every digest checked, and the
    custodians' opening reads the typed price from it."""
    from ggzy.bidkit.package import read_package
    from ggzy.tendering import bids, keyshare
    from ggzy.tendering.models import Consistency, CustodianShare

    tender = tw.publish()
    base = live_server.url
    page = desktop
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(page, base, tw.world.bidder.username)
    page.goto(f"{base}/tendering/{tender.pk}/bid/")
    page.click("#gen-keys")
    page.wait_for_selector("#keys-info", state="visible")
    page.click("#register-key")
    page.wait_for_selector("#key-status[data-registered=yes]", timeout=10_000)

    tech = tmp_path / "技术标.pdf"
    tech.write_bytes(b"%PDF-1.7 technical proposal " * 2000)
    biz = tmp_path / "商务标.pdf"
    biz.write_bytes(b"%PDF-1.7 commercial proposal " * 500)
    page.set_input_files("#doc-files", [str(tech), str(biz)])
    page.fill("#pf-amount", "28,800,000")  # thousands separators are not a decimal number
    page.click("#build-package")
    page.wait_for_selector("#upload-error", state="visible")
    assert "投标报价须为非负十进制数" in page.locator("#upload-error").inner_text()
    assert page.locator("#package-download").is_hidden()

    page.fill("#pf-amount", "28800000.50")
    page.fill("#pf-days", "365")
    page.fill("#pf-quality", "合格")
    page.click("#build-package")
    page.wait_for_selector("#package-download", state="visible", timeout=20_000)
    zipped = bytes(
        page.evaluate(
            "async () => Array.from(new Uint8Array(await (await fetch("
            "document.getElementById('package-download').href)).arrayBuffer()))"
        )
    )
    saved = tmp_path / "from-browser.zip"
    saved.write_bytes(zipped)
    info = read_package(saved)  # every member re-hashed against manifest.json
    assert info.price_form.amount == "28800000.50"
    assert info.price_form.duration_days == 365
    assert info.bidder == tw.world.bidder_org.uscc
    assert {e.name for e in info.entries} == {
        "price-form.json",
        "files/技术标.pdf",
        "files/商务标.pdf",
    }
    assert page.locator("#package-status").get_attribute("data-sha256") == info.sha256

    page.click("#seal-upload")
    page.wait_for_selector("#receipt", state="visible", timeout=30_000)
    bid = Bid.objects.get(pk=page.locator("#receipt-bid").inner_text())
    assert errors == []

    # two other bidders, so the opening can proceed; then the custodians open all three
    from tests.factories import make_org, signup
    from tests.tendering.helpers import Submitter, package

    from ggzy.crypto.suites import INTL
    from ggzy.registry import services as registry

    Submitter(tw, tw.other_bidder, tw.other_org, tw.other_signing).submit(
        package(tmp_path, "b", "29100000")
    )
    third = signup("bidder3", "张三")
    third_org = make_org(third, ["bidder"], "会宁建设集团有限公司")
    third_key = INTL.generate_signing_key()
    registry.entity_key_register(
        actor=third,
        purpose="sign",
        public_key=third_key.public_key.to_text(),
        organization=third_org,
    )
    Submitter(tw, third, third_org, third_key).submit(package(tmp_path, "c", "28650000"))
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=5)):
        opening.opening_start(actor=tw.world.staff, tender=tender)
        for role in ("centre", "supervisor"):
            share = CustodianShare.objects.get(tender=tender, role=role)
            plain = keyshare.open_sealed_share(bytes(share.wrapped_share), tw.custodian_keys[role])
            bids.share_release(actor=tw.custodians[role], share=share, plaintext_share=plain)
        opening.custodian_decrypt_all(actor=tw.world.staff, tender=tender)
    bid.opening.refresh_from_db()
    assert bid.opening.consistency == Consistency.CONSISTENT
    assert bid.opening.plaintext_sha256 == info.sha256
    assert bid.opening.price["amount"] == "28800000.50"
    page.screenshot(path=str(tmp_path / "bid-build-desktop.png"), full_page=True)
