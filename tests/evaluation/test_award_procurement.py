"""The government-procurement award (政府采购法实施条例第四十三条): no 中标候选人公示 — the
purchaser confirms the rank-1 supplier straight from the signed evaluation report, within
``evaluation_report_days`` + ``award_decision_days``; the works path (publicity first) is
unchanged. Services, the API over real HTTP and the session page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from tests.opendata.test_procurement import evaluate_to_signed, gp_experts, gp_open, gp_world

from ggzy import clock
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.disclosure.models import Notice as PublicNotice
from ggzy.evaluation import award
from ggzy.evaluation.models import EvaluationSession, Notice, Reminder, Step
from ggzy.ledger.models import Entry
from ggzy.rules import selectors as rules
from ggzy.tendering.selectors import ruleset_of

pytestmark = pytest.mark.django_db


@dataclass
class Signed:
    world: Any
    session: EvaluationSession
    signed_at: dt.datetime  # the last member's signature: the report is complete


def _signed_at(session: EvaluationSession) -> dt.datetime:
    return max(m.signed_at for m in session.members.all())


@pytest.fixture
def gp(tw: Any, tmp_path: Path) -> Signed:
    """A 政府采购-公开招标 (gp.open) evaluated by five experts, report signed."""
    gw = gp_world(tw)
    experts = gp_experts(gw.world)
    tender = gp_open(gw, tmp_path)
    with clock.frozen(tender.opening.closed_at + dt.timedelta(hours=1)):
        session = evaluate_to_signed(tender, gw.world.staff, experts)
    return Signed(gw.world, session, _signed_at(session))


@pytest.fixture
def works(opened: Any) -> Signed:
    """The works tender (works.open) evaluated, report signed."""
    with clock.frozen(opened.tender.opening.closed_at + dt.timedelta(hours=1)):
        session = evaluate_to_signed(
            opened.tender, opened.world.staff, opened.experts, (opened.world.tenderer,)
        )
    return Signed(opened.world, session, _signed_at(session))


def _decision_deadline(session: EvaluationSession, signed_at: dt.datetime) -> dt.datetime:
    """Report to the purchaser within 2 working days, decision within 5 working days more."""
    rs = ruleset_of(session.tender)
    received = rules.period_end_for(rs, "evaluation_report_days", signed_at)
    return rules.period_end_for(rs, "award_decision_days", received)


def test_purchaser_awards_from_the_signed_report(gp: Signed) -> None:
    session, world = gp.session, gp.world
    assert not award.has_candidate_publicity(session.tender)
    first = session.reviews.get(candidate_rank=1)
    at = gp.signed_at + dt.timedelta(hours=3)
    with clock.frozen(at):
        award.award_issue(actor=world.tenderer, session=session, base_url="http://testserver")
    session.refresh_from_db()
    assert (session.step, session.awarded_at, session.winner_id) == (
        Step.AWARDED,
        at,
        first.bid_id,
    )
    assert (session.publicity_from, session.publicity_until) == (None, None)
    # 中标（成交）通知书 to the winner, 结果通知书 to the two others; 中标结果公告 published
    kinds = sorted(Notice.objects.filter(session=session).values_list("kind", "review__pk"))
    assert [k for k, _pk in kinds] == ["award", "result", "result"]
    assert ("award", first.pk) in kinds
    result = PublicNotice.objects.get(stage="award_result")
    assert result.facts["winner_code"] == first.bidder.uscc
    assert result.facts["winning_price"] == str(first.price.quantize(Decimal("0.01")))
    assert result.published_at == at
    assert not PublicNotice.objects.filter(stage="candidate_publicity").exists()
    # the ledger: one award entry naming the path and its basis; no publicity at all
    entry = Entry.objects.get(event_type="evaluation:award:issued")
    assert entry.payload["decision"] == "purchaser"
    assert entry.payload["basis"] == "政府采购法实施条例第四十三条"
    assert entry.payload["winner"] == first.bidder.uscc
    assert entry.payload["written_report_due"] is None
    assert entry.rule_version == "gp.open@2026.1"
    assert not Entry.objects.filter(event_type="evaluation:publicity:started").exists()
    assert Entry.objects.filter(event_type="evaluation:notice:issued").count() == 3
    # reminders: the contract (30 days) only — gp rule sets have no written report to remind
    contract_due = rules.period_end_for(ruleset_of(session.tender), "contract_days", at)
    reminders = Reminder.objects.filter(session=session)
    assert set(reminders.values_list("kind", flat=True)) == {"contract"}
    assert set(reminders.values_list("due_at", flat=True)) == {contract_due}
    assert {"tenderer", first.bid.submitted_by.username} <= set(
        reminders.values_list("user__username", flat=True)
    )


def test_no_candidate_publicity_in_procurement(gp: Signed) -> None:
    session = gp.session
    entries = Entry.objects.count()
    with clock.frozen(gp.signed_at + dt.timedelta(hours=1)), pytest.raises(DomainError) as err:
        award.publicity_start(actor=gp.world.tenderer, session=session)
    assert err.value.code == ErrorCode.EVALUATION_STATE
    assert err.value.message == (
        "政府采购不公示中标候选人，采购人在评审报告送达后按顺序确定中标（成交）供应商"
        "（规则 gp.open@2026.1；政府采购法实施条例第四十三条）"
    )
    session.refresh_from_db()
    assert (session.step, session.publicity_from) == (Step.SIGNED, None)
    assert Entry.objects.count() == entries
    assert not PublicNotice.objects.filter(stage="candidate_publicity").exists()


def test_a_late_purchaser_decision_is_refused(gp: Signed) -> None:
    session, tenderer = gp.session, gp.world.tenderer
    deadline = _decision_deadline(session, gp.signed_at)
    entries = Entry.objects.count()
    with (
        clock.frozen(deadline + dt.timedelta(microseconds=1)),
        pytest.raises(DomainError) as err,
    ):
        award.award_issue(actor=tenderer, session=session)
    assert err.value.code == ErrorCode.PERIOD_EXPIRED
    assert err.value.detail["key"] == "award_decision_days"
    assert err.value.detail["days"] == 5
    assert err.value.detail["unit"] == "working"
    assert dt.datetime.fromisoformat(err.value.detail["deadline"]) == deadline
    assert "采购人应当自收到评审报告之日起5个工作日内按顺序确定中标（成交）供应商" in (
        err.value.message
    )
    assert err.value.message.endswith(
        "（规则 gp.open@2026.1 award_decision_days；政府采购法实施条例第四十三条）"
    )
    session.refresh_from_db()
    assert (session.step, session.winner_id) == (Step.SIGNED, None)
    assert Entry.objects.count() == entries
    assert not Notice.objects.exists()
    # the last instant of the period is still in time
    with clock.frozen(deadline):
        award.award_issue(actor=tenderer, session=session)
    assert session.step == Step.AWARDED


def test_only_the_purchaser_side_decides(gp: Signed) -> None:
    session = gp.session
    entries = Entry.objects.count()
    for actor in (gp.world.bidder, gp.world.regulator, gp.world.expert):
        with pytest.raises(DomainError) as err:
            award.award_issue(actor=actor, session=session)
        assert err.value.code == ErrorCode.PERMISSION_DENIED
    session.refresh_from_db()
    assert session.step == Step.SIGNED
    assert Entry.objects.count() == entries
    with clock.frozen(gp.signed_at + dt.timedelta(minutes=5)):  # the agency may
        award.award_issue(actor=gp.world.agency, session=session)
    assert session.step == Step.AWARDED


def test_works_award_still_waits_for_the_publicity(works: Signed) -> None:
    session = works.session
    assert award.has_candidate_publicity(session.tender)
    entries = Entry.objects.count()
    with clock.frozen(works.signed_at + dt.timedelta(hours=1)), pytest.raises(DomainError) as err:
        award.award_issue(actor=works.world.tenderer, session=session)
    assert err.value.code == ErrorCode.REPORT_SIGNED  # as before: not at 中标候选人公示
    assert err.value.detail == {"step": "signed"}
    session.refresh_from_db()
    assert session.step == Step.SIGNED
    assert Entry.objects.count() == entries
    with clock.frozen(works.signed_at + dt.timedelta(hours=1)):
        award.publicity_start(actor=works.world.tenderer, session=session)
    assert session.step == Step.PUBLICITY
    assert session.publicity_until is not None
    with clock.frozen(session.publicity_until + dt.timedelta(minutes=1)):
        award.award_issue(actor=works.world.tenderer, session=session)
    entry = Entry.objects.get(event_type="evaluation:award:issued")
    assert entry.payload["decision"] == "after_publicity"
    assert entry.payload["basis"] == "招标投标法实施条例第五十四条"
    assert entry.payload["written_report_due"] is not None
    assert set(Reminder.objects.values_list("kind", flat=True)) == {"written_report", "contract"}


# ---- API -----------------------------------------------------------------------------


def test_api_award_from_signed_for_procurement(gp: Signed, api_as: Any) -> None:
    tenderer, sid = api_as("tenderer"), gp.session.pk
    with clock.frozen(gp.signed_at + dt.timedelta(hours=1)):
        r = tenderer.post(f"/evaluation/sessions/{sid}/publicity")
        assert (r.status_code, r.json()["code"]) == (409, "evaluation_state")
        assert "第四十三条" in r.json()["message"]
        assert api_as("bidder").post(f"/evaluation/sessions/{sid}/award").status_code == 403
        r = tenderer.post(f"/evaluation/sessions/{sid}/award")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["step"], body["award_path"]) == ("awarded", "purchaser")
    assert body["publicity_from"] is None
    assert [c["rank"] for c in body["candidates"]] == [1, 2, 3]
    assert len(tenderer.get(f"/evaluation/sessions/{sid}/notices").json()) == 3
    assert {x["kind"] for x in tenderer.get("/evaluation/reminders").json()} == {"contract"}


def test_api_award_from_signed_refused_for_works(works: Signed, api_as: Any) -> None:
    tenderer, sid = api_as("tenderer"), works.session.pk
    assert tenderer.get(f"/evaluation/sessions/{sid}").json()["award_path"] == "after_publicity"
    with clock.frozen(works.signed_at + dt.timedelta(hours=1)):
        r = tenderer.post(f"/evaluation/sessions/{sid}/award")
    assert (r.status_code, r.json()["code"]) == (409, "report_signed")
    assert EvaluationSession.objects.get(pk=sid).step == Step.SIGNED
    assert not Entry.objects.filter(event_type="evaluation:award:issued").exists()


# ---- page ----------------------------------------------------------------------------


def test_page_offers_the_purchaser_decision_not_the_publicity(gp: Signed, client: Any) -> None:
    session = gp.session
    client.force_login(gp.world.tenderer)
    url = f"/evaluation/{session.pk}/"
    html = client.get(url).content.decode()
    assert 'id="award-decision"' in html
    assert "确定中标（成交）供应商" in html
    assert f'action="/evaluation/{session.pk}/action/award/"' in html
    assert 'id="publicity"' not in html
    assert ">公示中标候选人</button>" not in html
    assert "<li>中标候选人公示</li>" not in html  # no such step in the step list
    with clock.frozen(gp.signed_at + dt.timedelta(hours=1)):
        r = client.post(f"/evaluation/{session.pk}/action/award/", follow=True)
    page = r.content.decode()
    assert "已确定中标（成交）供应商，通知书已发出，结果已公告" in page
    assert 'id="award-decision"' not in page
    assert "评审委员会推荐的中标（成交）候选人" in page
    assert "异议渠道" not in page
    session.refresh_from_db()
    assert session.step == Step.AWARDED
    when = timezone.localtime(session.awarded_at).strftime("%Y-%m-%d %H:%M")
    assert f"已于 {when} 确定中标（成交）供应商" in page


def test_works_page_keeps_the_publicity_button(works: Signed, client: Any) -> None:
    client.force_login(works.world.tenderer)
    html = client.get(f"/evaluation/{works.session.pk}/").content.decode()
    assert 'id="publicity"' in html
    assert ">公示中标候选人</button>" in html
    assert "<li>中标候选人公示</li>" in html
    assert 'id="award-decision"' not in html


@pytest.mark.e2e
def test_purchaser_decides_in_the_browser(gp: Signed, live_server: Any, browser: Any) -> None:
    from tests.evaluation.test_pages_e2e import Browser

    session = gp.session
    b = Browser(browser, live_server.url)
    try:
        page = b.as_(gp.world.tenderer)
        with clock.frozen(gp.signed_at + dt.timedelta(hours=1)):
            page.goto(f"{live_server.url}/evaluation/{session.pk}/")
            assert page.locator("#publicity").count() == 0
            page.click("#award-decision")
            page.wait_for_selector("#notices")
        assert "已确定中标（成交）供应商" in page.locator(".messages").inner_text()
        assert page.locator("#notices li").count() == 3
        assert b.errors == []
    finally:
        b.close()
    session.refresh_from_db()
    assert session.step == Step.AWARDED
