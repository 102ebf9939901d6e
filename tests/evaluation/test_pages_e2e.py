"""The evaluation once through real Chromium pages: staff forms the committee and advances the
steps, experts vote and score on a 375 px phone, every member signs, the tenderer publicises,
a bidder objects, the tenderer answers and awards, the bidder downloads its signed PDF."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from tests.factories import PASSWORD

from ggzy import clock
from ggzy.evaluation.models import EvaluationSession, Notice, Step

pytestmark = pytest.mark.e2e

SHEET = {"T1": "8", "T2": "7", "T3": "6.5", "B1": "9", "C1": "5"}


class Browser:
    def __init__(self, browser: Any, base: str) -> None:
        self.browser, self.base, self.pages = browser, base, {}
        self.errors: list[str] = []

    def as_(self, user: Any, *, phone: bool = False) -> Any:
        if user.username in self.pages:
            return self.pages[user.username]
        size = {"width": 375, "height": 812} if phone else {"width": 1280, "height": 900}
        ctx = self.browser.new_context(viewport=size, locale="zh-CN", accept_downloads=True)
        ctx.set_default_timeout(30_000)
        page = ctx.new_page()
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.goto(self.base + "/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(self.base + "/me/")
        self.pages[user.username] = page
        return page

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


def test_evaluation_in_the_browser(live_server: Any, opened: Any, browser: Any) -> None:
    o = opened
    base = live_server.url
    b = Browser(browser, base)
    try:
        staff = b.as_(o.world.staff)
        # the staff page: start from the tender (POST form), then the console
        staff.goto(base + "/me/")
        staff.evaluate(
            """([url, token]) => { const f = document.createElement('form');
            f.method = 'post'; f.action = url; const i = document.createElement('input');
            i.name = 'csrfmiddlewaretoken'; i.value = token; f.appendChild(i);
            document.body.appendChild(f); f.submit(); }""",
            [
                f"/evaluation/tender/{o.tender.pk}/start/",
                staff.evaluate("document.querySelector('[name=csrfmiddlewaretoken]').value"),
            ],
        )
        staff.wait_for_selector("#committee-form")
        session = EvaluationSession.objects.get()
        staff.fill("#experts", ",".join(u.username for u in o.experts[:3]))
        staff.fill("#representatives", "tenderer")
        staff.click("#committee-form button[type=submit]")
        assert "不得少于 5 人" in staff.locator(".messages").inner_text()
        staff.fill("#experts", ",".join(u.username for u in o.experts))
        staff.fill("#representatives", "tenderer")
        staff.click("#committee-form button[type=submit]")
        staff.wait_for_selector("#committee")
        members = list(session.members.select_related("user"))
        for m in members:
            page = b.as_(m.user, phone=True)
            page.goto(f"{base}/evaluation/{session.pk}/workspace/")
            page.select_option("#candidate", str(members[0].pk))
            page.click("#vote")
            page.wait_for_selector(".messages")
        for _ in range(3):
            staff.goto(f"{base}/evaluation/{session.pk}/")
            staff.click("#advance")
            staff.wait_for_selector(".messages")
        assert staff.locator("#eval-step").get_attribute("data-step") == "detailed"
        # a regulator watches the live view refresh itself (htmx) while experts score
        reg = b.as_(o.world.regulator)
        reg.goto(f"{base}/evaluation/{session.pk}/")
        assert reg.locator("#score-changes").inner_text().strip() == "暂无评分"
        reviews = list(session.reviews.order_by("received_at"))
        for m in members:
            page = b.as_(m.user, phone=True)
            for r in reviews:
                page.goto(f"{base}/evaluation/{session.pk}/workspace/?review={r.pk}")
                for code, value in SHEET.items():
                    page.fill(f"#c-{code}", value)
                page.click("#submit-scores")
                page.wait_for_selector(".messages")
        reg.wait_for_function(
            "document.querySelectorAll('#score-changes li').length >= 15", timeout=15_000
        )
        for _ in range(4):  # price, totals, ranking, report
            staff.goto(f"{base}/evaluation/{session.pk}/")
            staff.click("#advance")
            staff.wait_for_selector(".messages")
        session.refresh_from_db()
        assert session.step == Step.REPORT
        for m in members:
            page = b.as_(m.user, phone=True)
            page.goto(f"{base}/evaluation/{session.pk}/workspace/")
            assert page.locator("#report-sha").inner_text() == session.report_sha256
            page.click("#sign")
            page.wait_for_selector(".messages")
        session.refresh_from_db()
        assert session.step == Step.SIGNED
        tenderer = b.as_(o.world.tenderer)
        tenderer.goto(f"{base}/evaluation/{session.pk}/")
        tenderer.click("#publicity")
        tenderer.wait_for_selector("#candidates")
        bidder = b.as_(o.world.bidder, phone=True)
        bidder.goto(f"{base}/evaluation/{session.pk}/")
        assert bidder.locator("#candidates li").count() == 3
        bidder.fill("#objection", "对第一中标候选人的业绩有异议")
        bidder.click("#objection + button, form:has(#objection) button")
        bidder.wait_for_selector(".messages")
        session.refresh_from_db()
        with clock.frozen(session.publicity_until + dt.timedelta(seconds=1)):
            tenderer.goto(f"{base}/evaluation/{session.pk}/")
            tenderer.click("#award")
            assert "evaluation_objection_pending" in tenderer.locator(".messages").inner_text()
            tenderer.fill("textarea[name=answer]", "经核查，业绩真实有效")
            tenderer.click("form:has(textarea[name=answer]) button")
            tenderer.wait_for_selector(".messages")
            tenderer.click("#award")
            tenderer.wait_for_selector("#notices")
        session.refresh_from_db()
        assert session.step == Step.AWARDED
        bidder.goto(f"{base}/evaluation/{session.pk}/")
        with bidder.expect_download() as info:
            bidder.click("#notices a")
        data = open(info.value.path(), "rb").read()  # noqa: SIM115
        mine = Notice.objects.get(review__bidder=o.world.bidder_org)
        assert hashlib.sha256(data).hexdigest() == mine.pdf_sha256
        assert b.errors == []
    finally:
        b.close()
