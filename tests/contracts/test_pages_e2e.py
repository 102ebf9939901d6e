"""The contract stage once through real Chromium on a 375 px phone: the tenderer opens the
awarded evaluation, follows the contract link, records the contract (a missing reason for a
different price is shown as an error), uploads the signed PDF and publishes the notice; the
portal shows it."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from tests.contracts.conftest import PDF, Awarded
from tests.factories import PASSWORD

from ggzy.contracts.models import Contract, Status
from ggzy.rules.timecalc import LOCAL_TZ

pytestmark = pytest.mark.e2e


def test_record_and_publish_contract_from_the_page(
    live_server: Any, awarded: Awarded, phone: Any, tmp_path: Path
) -> None:
    a = awarded
    base = live_server.url
    page = phone
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    with a.after(1):
        page.goto(base + "/accounts/login/")
        page.fill("#id_username", a.world.tenderer.username)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(base + "/me/")
        page.goto(f"{base}/evaluation/{a.session.pk}/")
        page.click("#contract-link")
        page.wait_for_selector("#record-form")
        page.fill("#code", "HT-E2E-001")
        page.fill("#price", "1.00")  # differs from the award price, no reason
        page.fill("#content", "城区道路改造工程施工")
        page.fill("#term_days", "365")
        page.fill("#quality", "合格")
        assert a.session.awarded_at is not None
        signed = a.session.awarded_at.astimezone(LOCAL_TZ)
        page.fill("#signed_on", signed.date().isoformat())
        page.click("#record-form button[type=submit]")
        assert "contract_price_reason_required" in page.locator(".messages").inner_text()
        assert not Contract.objects.exists()
        page.fill("#code", "HT-E2E-001")
        page.fill("#price", f"{a.winner.price:.2f}")
        page.fill("#content", "城区道路改造工程施工")
        page.fill("#term_days", "365")
        page.fill("#signed_on", signed.date().isoformat())
        page.click("#record-form button[type=submit]")
        page.wait_for_selector('#contract-status[data-status="signed"]')
        pdf = tmp_path / "合同.pdf"
        pdf.write_bytes(PDF)
        page.set_input_files("#contract-file", str(pdf))
        page.click("#file-form button[type=submit]")
        page.wait_for_selector("#file-sha256")
        assert hashlib.sha256(PDF).hexdigest() in page.inner_text("#file-sha256")
        page.click("#publish")
        page.wait_for_selector('#contract-status[data-status="published"]')
        # no sideways scrolling on the phone
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        c = Contract.objects.get()
        assert (c.code, c.status, c.price) == ("HT-E2E-001", Status.PUBLISHED, a.winner.price)
        page.goto(f"{base}/notices/projects/{a.tender.section.code}/")
        row = page.locator('tr[data-stage="contract"]')
        assert row.get_attribute("data-state") == "published"
        assert "（合同公告）" in page.content()
    assert errors == []
