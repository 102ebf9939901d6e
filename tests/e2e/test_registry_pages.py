"""Register, log in and view a profile in a real headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from tests.factories import citizen_id, uscc

from ggzy.registry.models import Organization

pytestmark = pytest.mark.e2e


def test_signup_register_and_view_profile_on_phone(
    live_server: Any, world: Any, phone: Any, tmp_path: Any
) -> None:
    page = phone
    base = live_server.url
    page.goto(base + "/accounts/signup/")
    assert page.locator("h1").inner_text() == "注册账户并实名登记"
    page.fill("#id_username", "newbidder")
    page.fill("#id_password", "Strong#pass2026")
    page.fill("#id_name", "陈新")
    page.fill("#id_id_number", "110105194912310021")  # bad check digit
    page.click("main button[type=submit]")
    assert "居民身份证号码无效" in page.locator("main").inner_text(), page.locator(
        "main"
    ).inner_text()
    page.fill("#id_password", "Strong#pass2026")
    page.fill("#id_id_number", citizen_id())
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/me/")
    assert "陈新" in page.locator("main").inner_text()

    code = uscc()
    page.goto(base + "/registry/register/")
    page.fill("#id_uscc", code[:-1] + ("0" if code[-1] != "0" else "1"))
    page.fill("#id_name", "白银新创建设有限公司")
    page.select_option("#id_kind", "enterprise")
    page.fill("#id_region_code", "620402")
    page.fill("#id_legal_representative", "陈新")
    page.check("input[name=roles][value=bidder]")
    page.click("main button[type=submit]")
    assert "统一社会信用代码无效" in page.locator("main").inner_text(), page.locator(
        "main"
    ).inner_text()
    assert not Organization.objects.filter(name="白银新创建设有限公司").exists()
    page.fill("#id_uscc", code)
    page.check("input[name=roles][value=bidder]")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/entities/{code}/")
    assert page.locator("h1").inner_text() == "白银新创建设有限公司"
    # nothing overflows sideways on a 375 px phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(tmp_path / "profile-phone.png"), full_page=True)

    # log out and in again
    page.click("button:has-text('退出')")
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "newbidder")
    page.fill("#id_password", "wrong-password")
    page.click("main button[type=submit]")
    assert "用户名或密码错误" in page.locator("main").inner_text()
    page.fill("#id_password", "Strong#pass2026")
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/me/")
    assert "白银新创建设有限公司" in page.locator("main").inner_text()


def test_directory_search_with_htmx_and_english_switch(
    live_server: Any, world: Any, desktop: Any
) -> None:
    page = desktop
    page.goto(live_server.url + "/entities/")
    # Chinese first even though the browser asks for English
    assert page.locator("h1").inner_text() == "市场主体库"
    page.fill("#q", "招标代理")
    page.wait_for_function("document.querySelectorAll('#results tbody tr').length === 1")
    assert "白银招标代理有限公司" in page.locator("#results").inner_text()
    page.select_option("#lang-select", "en")  # submits the form; the page reloads
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Market-entity registry"
