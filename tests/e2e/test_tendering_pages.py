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
