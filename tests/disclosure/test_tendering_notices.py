"""Tendering publishes its notices (announcement, clarification, opening record, 流标) through
the disclosure index; nothing sealed — bidder names, prices — is public before the opening."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client
from tests.tendering.helpers import Bidder, package, third_bidder

from ggzy import clock
from ggzy.disclosure import reminders
from ggzy.disclosure import selectors as disclosure_selectors
from ggzy.disclosure.models import Notice, Reminder, ReminderKind, Stage
from ggzy.tendering import opening, services, termination

pytestmark = pytest.mark.django_db


def _third(tw):
    return third_bidder(tw)


def _public_text(client, tw) -> str:
    """Everything an anonymous visitor can read about this tender."""
    code = tw.section.tender_project.project.code
    pages = [
        client.get("/notices/"),
        client.get(f"/notices/projects/{code}/"),
        client.get("/search/", {"q": "白银市城区道路改造"}),
        client.get("/feeds/notices.atom"),
        client.get("/api/v1/disclosure/notices"),
        client.get("/api/v1/disclosure/search", {"q": "道路改造"}),
    ]
    pages += [client.get(f"/notices/{n.pk}/") for n in Notice.objects.all()]
    pages += [client.get(f"/api/v1/disclosure/notices/{n.pk}") for n in Notice.objects.all()]
    assert all(p.status_code == 200 for p in pages)
    return "\n".join(p.content.decode() for p in pages)


def test_lifecycle_notices_and_no_sealed_detail_before_opening(tw, tmp_path):
    client = Client()
    tender = tw.publish()
    announcement = Notice.objects.get(stage=Stage.TENDER_ANNOUNCEMENT)
    assert announcement.subject_code == tw.section.code
    assert announcement.trade_type == "works.open"
    assert announcement.facts["budget"] == "29500000.00"
    assert "<script>" not in announcement.body_html
    services.clarification_issue(
        actor=tw.world.tenderer, tender=tender, content_html="<p>第3.2条工期改为300日历天</p>"
    )
    clar = Notice.objects.get(stage=Stage.CLARIFICATION)
    assert "工期改为300日历天" in clar.body_text
    tender.refresh_from_db()
    bidders = [
        Bidder(tw, tw.world.bidder, tw.world.bidder_org, tw.bidder_signing),
        Bidder(tw, tw.other_bidder, tw.other_org, tw.other_signing),
        _third(tw),
    ]
    prices = ["28800001.00", "28800002.00", "28800003.00"]
    for bidder, price in zip(bidders, prices, strict=True):
        bidder.submit(package(tmp_path, bidder.org.uscc, price))

    text = _public_text(client, tw)
    for bidder, price in zip(bidders, prices, strict=True):
        assert bidder.org.name not in text
        assert bidder.org.uscc not in text
        assert price not in text
    assert Notice.objects.count() == 2

    staff = tw.world.staff
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        opening.opening_start(actor=staff, tender=tender)
        for b in bidders:
            opening.sign_in(actor=b.user, bid=b.bid)
            b.release()
        opening.opening_record(actor=staff, tender=tender)
        assert Notice.objects.count() == 2  # recorded but not yet closed: still nothing
        opening.opening_close(actor=staff, tender=tender)
        record = Notice.objects.get(stage=Stage.OPENING_RECORD)
        text = _public_text(client, tw)
        history = client.get(f"/notices/projects/{tw.section.tender_project.project.code}/")
    assert record.facts["bidder_count"] == 3
    assert record.facts["prices"] == prices
    for bidder, price in zip(bidders, prices, strict=True):
        assert bidder.org.name in text
        assert price in text
    html = history.content.decode()
    assert html.index("澄清或修改公告") < html.index("开标记录</span>")


def test_failed_tender_published_live_and_backfilled_by_reindex(tw, tmp_path):
    tender = tw.publish()
    Bidder(tw, tw.world.bidder, tw.world.bidder_org, tw.bidder_signing).submit(
        package(tmp_path, "only", "1000000")
    )
    with clock.frozen(tender.bid_deadline):
        opening.opening_start(actor=tw.world.staff, tender=tender)
    # published live, in the opening's transaction
    assert Notice.objects.filter(stage=Stage.FAILED, facts__bidder_count=1).count() == 1
    Notice.objects.all().delete()  # an index rebuilt from scratch
    call_command("disclosure", "reindex", verbosity=0)
    stages = sorted(Notice.objects.values_list("stage", flat=True))
    assert stages == [Stage.FAILED, Stage.TENDER_ANNOUNCEMENT]
    failed = Notice.objects.get(stage=Stage.FAILED)
    assert "流标" in failed.title
    assert failed.facts["bidder_count"] == 1
    call_command("disclosure", "reindex", verbosity=0)
    assert Notice.objects.count() == 2  # idempotent


def test_termination_notice_rebuilt_by_reindex_is_the_same_notice(tw):
    tender = tw.publish()
    with clock.frozen(tender.announced_at + dt.timedelta(days=2)):
        termination.tender_terminate(
            actor=tw.world.tenderer, tender=tender, reason="项目建设规模调整 <b>不再实施</b>"
        )
    tender.refresh_from_db()
    live = Notice.objects.get(stage=Stage.TERMINATION)
    assert "终止原因：项目建设规模调整 <b>不再实施</b>。" in live.body_text  # escaped, kept
    assert live.published_at == tender.terminated_at
    published = (live.title, live.body_html, live.body_text, live.published_at)
    Notice.objects.all().delete()  # an index rebuilt from scratch, days later
    with clock.frozen(tender.terminated_at + dt.timedelta(days=5)):
        call_command("disclosure", "reindex", verbosity=0)
    rebuilt = Notice.objects.get(stage=Stage.TERMINATION)
    assert (rebuilt.title, rebuilt.body_html, rebuilt.body_text, rebuilt.published_at) == published


def test_catalogue_clock_of_the_termination_notice_starts_at_the_termination(tw):
    tender = tw.publish()
    later = tender.announced_at + dt.timedelta(days=10)
    with clock.frozen(later):
        termination.tender_terminate(actor=tw.world.tenderer, tender=tender, reason="项目取消")
    # not the tender's creation: the 终止公告 is due within 3 days of the termination
    assert disclosure_selectors.milestones(tw.section.code)["terminated"] == later


def test_bidder_reminders_deadline_clarification_opening(tw, tmp_path):
    tender = tw.publish()
    Bidder(tw, tw.world.bidder, tw.world.bidder_org, tw.bidder_signing).submit(
        package(tmp_path, "a", "1000000")
    )
    assert reminders.reminders_create() == 0  # deadline is weeks away
    services.clarification_issue(
        actor=tw.world.tenderer, tender=tender, content_html="<p>补充说明</p>"
    )
    tender.refresh_from_db()
    with clock.frozen(tender.bid_deadline - dt.timedelta(hours=2)):
        assert reminders.reminders_create() == 2
        assert reminders.reminders_create() == 0  # once each
    kinds = set(Reminder.objects.filter(user=tw.world.bidder).values_list("kind", flat=True))
    assert kinds == {ReminderKind.DEADLINE, ReminderKind.CLARIFICATION}
    assert not Reminder.objects.filter(user=tw.world.tenderer).exists()
    with clock.frozen(tender.bid_deadline):
        opening.opening_start(actor=tw.world.staff, tender=tender)  # 1 bid: fails at start
        call_command("disclosure", "reminders", verbosity=0)
    client = Client()
    client.force_login(tw.world.bidder)
    page = client.get("/subscriptions/").content.decode()
    assert "澄清或修改" in page


def test_opening_started_reminds_every_bidder(tw, tmp_path):
    tender = tw.publish()
    bidders = [
        Bidder(tw, tw.world.bidder, tw.world.bidder_org, tw.bidder_signing),
        Bidder(tw, tw.other_bidder, tw.other_org, tw.other_signing),
        _third(tw),
    ]
    for i, b in enumerate(bidders):
        b.submit(package(tmp_path, f"r{i}", "1000000"))
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        opening.opening_start(actor=tw.world.staff, tender=tender)
        assert reminders.reminders_create() == 3
    got = sorted(Reminder.objects.values_list("user_id", "kind"))
    assert got == sorted((b.user.pk, ReminderKind.OPENING) for b in bidders)


def test_demo_seed_backfills(tw):
    from ggzy.disclosure import demo

    tw.publish()
    Notice.objects.all().delete()
    lines: list[str] = []
    demo.seed(lines.append)
    assert lines == ["信息公开：补建公告 1 条"]
    assert Notice.objects.get().stage == Stage.TENDER_ANNOUNCEMENT
