"""The portal in a real Chromium at phone width: no sideways scrolling, filters work, the
statistics charts draw from the project's own ECharts copy, print CSS hides the chrome."""

from __future__ import annotations

from typing import Any

import pytest
from tests.disclosure.conftest import publish

pytestmark = pytest.mark.e2e


def test_portal_on_a_phone(live_server: Any, world: Any, phone: Any) -> None:
    publish(title="白银市城区道路改造工程施工招标公告（一标段）" * 3, facts={"budget": "100"})
    publish(title="会宁县中学食堂设备采购中标结果公告", stage="award_result")
    page = phone
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    base = live_server.url
    page.goto(base + "/notices/")
    assert page.locator("h1").inner_text() == "交易公告"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.select_option("select[name=stage]", "award_result")
    page.click("form.disc-filters button[type=submit]")
    page.wait_for_url("**stage=award_result**")
    items = page.locator(".notice-list li a.title")
    assert items.count() == 1
    assert "食堂设备采购" in items.first.inner_text()
    items.first.click()
    page.wait_for_selector(".notice-body")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    page.emulate_media(media="screen")

    page.goto(base + "/stats/")
    page.wait_for_selector("body[data-charts=ready]")
    assert page.locator("#chart-volume canvas").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert all(u.startswith(base) for u in requests), "no CDN or third-party requests"
    assert errors == []
