"""终止招标 (实施条例第三十一条) over real HTTP and through the services: who may terminate,
the reason, the states it is refused in, the 终止公告 on the portal, deposits marked for
refund, bidders notified, bids refused afterwards and sealed bids never opened. A refusal
changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.factories import PASSWORD, login_session
from tests.tendering.helpers import Bidder, package, third_bidder

from ggzy import clock
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.disclosure.models import Notice, Reminder, ReminderKind, Stage
from ggzy.ledger.models import Entry
from ggzy.tendering import bids, opening, termination
from ggzy.tendering.models import (
    Bid,
    BidStatus,
    Deposit,
    OpeningSession,
    OpeningState,
    Tender,
    TenderStatus,
)

REASON = "项目建设规模调整，原招标内容不再实施"


def _state() -> tuple[Any, ...]:
    return (
        Entry.objects.count(),
        sorted(Tender.objects.values_list("status", "version")),
        Notice.objects.filter(stage=Stage.TERMINATION).count(),
        Deposit.objects.filter(refund_due_at__isnull=False).count(),
        Reminder.objects.count(),
    )


def _deposit(tw: Any, org: Any) -> Deposit:
    return bids.deposit_record(
        actor=tw.world.staff,
        tender=tw.tender,
        bidder=org,
        amount=Decimal("100000"),
        payer_account_name=org.name,
        payer_account_no="6217000000001234",
        payer_bank="中国建设银行白银分行",
    )


def _published_with_bid(tw: Any, tmp_path: Path) -> Bidder:
    tw.publish(deposit_amount=Decimal("100000"))
    bidder = Bidder(tw, tw.world.bidder, tw.world.bidder_org, tw.bidder_signing)
    bidder.submit(package(tmp_path, "a", "28800000.00"))
    _deposit(tw, tw.world.bidder_org)
    return bidder


@pytest.mark.django_db(transaction=True)
def test_terminate_by_api(live_server: Any, tw: Any, api_as: Any, tmp_path: Path) -> None:
    bidder = _published_with_bid(tw, tmp_path)
    tender = tw.tender
    r = api_as("tenderer").post(
        f"/tendering/tenders/{tender.pk}/terminate", json={"reason": REASON}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "terminated"
    assert body["reason"] == REASON
    assert body["notice_title"] == f"{tender.title}（终止公告）"
    tender.refresh_from_db()
    assert tender.status == TenderStatus.TERMINATED
    assert tender.termination_reason == REASON
    # ledger: reason, rule basis, sealed bids and deposits
    entry = Entry.objects.get(event_type="tendering:tender:terminated")
    assert entry.payload["reason"] == REASON
    assert entry.payload["rule_basis"] == "招标投标法实施条例第三十一条"
    assert entry.payload["from_status"] == "announced"
    assert entry.payload["sealed_bids"] == [bidder.bid.envelope_sha256]
    assert entry.payload["deposits_refund_due"] == [
        {"bidder": tw.world.bidder_org.uscc, "amount": "100000"}
    ]
    # the 终止公告 in the notice index and on the public page
    notice = Notice.objects.get(stage=Stage.TERMINATION)
    assert notice.title == f"{tender.title}（终止公告）"
    assert REASON in notice.body_html
    page = login_session(live_server.url, None).get(
        f"{live_server.url}/tendering/{tender.pk}/", timeout=30
    )
    assert page.status_code == 200
    assert 'id="terminated-notice"' in page.text
    assert REASON in page.text
    assert "终止" in page.text
    # deposits: refund due, on the API and on the deposits page
    [dep] = Deposit.objects.filter(tender=tender)
    assert dep.refund_due_at == tender.terminated_at
    deposits = api_as("staff").get(f"/tendering/tenders/{tender.pk}/deposits").json()
    assert deposits[0]["refund_due_at"] is not None
    assert "退还" in deposits[0]["refund_reason"]
    staff = login_session(live_server.url, tw.world.staff.username)
    page = staff.get(f"{live_server.url}/tendering/{tender.pk}/deposits/", timeout=30)
    assert page.status_code == 200
    assert "refund-due" in page.text
    assert 'id="refund-notice"' in page.text
    assert 'id="deposit-form"' not in page.text  # no more deposits to record
    # the bidder is told (进度提醒), and sees it on its page
    reminder = Reminder.objects.get(kind=ReminderKind.TERMINATED)
    assert reminder.user_id == tw.world.bidder.pk
    assert reminder.tender_id == tender.pk
    # the sealed bid stays sealed and stored
    bid = Bid.objects.get(pk=bidder.bid.pk)
    assert bid.status == BidStatus.SUBMITTED
    assert bid.envelope.storage.exists(bid.envelope.name)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        ("anonymous", 401, "not_authenticated"),
        # no tendering:tender:write in their tokens
        ("bidder", 403, "token_scope_denied"),
        ("regulator", 403, "token_scope_denied"),
        ("expert", 403, "token_scope_denied"),
        ("agency", 403, "permission_denied"),  # not the agency of this tender project
    ],
)
def test_wrong_role_is_refused(
    live_server: Any, tw: Any, api_as: Any, role: str, status: int, code: str
) -> None:
    tw.publish()
    api = api_as(role)
    before = _state()
    r = api.post(f"/tendering/tenders/{tw.tender.pk}/terminate", json={"reason": REASON})
    assert r.status_code == status, r.text
    assert r.json()["code"] == code
    assert _state() == before


@pytest.mark.django_db(transaction=True)
def test_reason_is_required(live_server: Any, tw: Any, api_as: Any) -> None:
    tw.publish()
    api = api_as("tenderer")
    before = _state()
    for payload in ({"reason": ""}, {"reason": "   "}, {}):
        r = api.post(f"/tendering/tenders/{tw.tender.pk}/terminate", json=payload)
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "validation_error"
        assert r.json()["field"] == "reason"
    r = api.post(f"/tendering/tenders/{tw.tender.pk}/terminate", json={"reason": "理" * 2001})
    assert 400 <= r.status_code < 500
    r = api.post("/tendering/tenders/999999/terminate", json={"reason": REASON})
    assert r.status_code == 404
    assert _state() == before


@pytest.mark.django_db(transaction=True)
def test_terminate_twice_is_a_conflict(live_server: Any, tw: Any, api_as: Any) -> None:
    tw.publish()
    api = api_as("staff")  # centre staff may terminate too
    assert (
        api.post(
            f"/tendering/tenders/{tw.tender.pk}/terminate", json={"reason": REASON}
        ).status_code
        == 200
    )
    before = _state()
    r = api.post(f"/tendering/tenders/{tw.tender.pk}/terminate", json={"reason": REASON})
    assert r.status_code == 409
    assert r.json()["code"] == "tender_state"
    assert _state() == before


@pytest.mark.django_db
def test_draft_opened_and_failed_tenders_cannot_be_terminated(tw: Any, tmp_path: Path) -> None:
    with pytest.raises(DomainError) as exc:  # a draft was never announced
        termination.tender_terminate(actor=tw.world.tenderer, tender=tw.tender, reason=REASON)
    assert exc.value.code == ErrorCode.TENDER_STATE
    tender = tw.publish()
    people = [
        Bidder(tw, tw.world.bidder, tw.world.bidder_org, tw.bidder_signing),
        Bidder(tw, tw.other_bidder, tw.other_org, tw.other_signing),
        third_bidder(tw),
    ]
    for i, b in enumerate(people):
        b.submit(package(tmp_path, f"p{i}", f"2880000{i}.00"))
    staff = tw.world.staff
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        opening.opening_start(actor=staff, tender=tender)
        for b in people:
            b.release()
        opening.opening_record(actor=staff, tender=tender)
        for b in people:
            opening.bidder_confirm(actor=b.user, bid=b.bid)
        opening.opening_close(actor=staff, tender=tender)
        tender.refresh_from_db()
        assert tender.status == TenderStatus.OPENED  # 开标完成 → evaluation, award
        before = _state()
        with pytest.raises(DomainError) as exc:
            termination.tender_terminate(actor=tw.world.tenderer, tender=tender, reason=REASON)
        assert exc.value.code == ErrorCode.TENDER_STATE
        assert exc.value.status == 409
        assert _state() == before


@pytest.mark.django_db
def test_failed_tender_cannot_be_terminated(tw: Any) -> None:
    tender = tw.publish()
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        opening.opening_start(actor=tw.world.staff, tender=tender)  # no bids → 流标
    tender.refresh_from_db()
    assert tender.status == TenderStatus.FAILED
    before = _state()
    with pytest.raises(DomainError) as exc:
        termination.tender_terminate(actor=tw.world.tenderer, tender=tender, reason=REASON)
    assert exc.value.code == ErrorCode.TENDER_STATE
    assert _state() == before


@pytest.mark.django_db
def test_bids_after_termination_are_refused_and_nothing_is_lost(tw: Any, tmp_path: Path) -> None:
    first = _published_with_bid(tw, tmp_path)
    late = Bidder(tw, tw.other_bidder, tw.other_org, tw.other_signing)
    # an upload begun before the termination cannot be completed after it
    data = tw.seal(b"x" * 1000, bidder_ref=tw.other_org.uscc, signing=tw.other_signing)
    import hashlib

    up = bids.upload_start(
        actor=tw.other_bidder,
        tender=tw.tender,
        bidder=tw.other_org,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        chunk_size=bids.MIN_CHUNK,
    )
    termination.tender_terminate(actor=tw.world.tenderer, tender=tw.tender, reason=REASON)
    tw.tender.refresh_from_db()
    entries = Entry.objects.count()
    with pytest.raises(DomainError) as exc:
        late.submit(package(tmp_path, "late", "27000000.00"))
    assert exc.value.code == ErrorCode.TENDER_STATE
    with pytest.raises(DomainError) as exc:
        bids.upload_chunk(
            actor=tw.other_bidder,
            upload=up,
            index=0,
            data=data,
            sha256=hashlib.sha256(data).hexdigest(),
        )
    assert exc.value.code == ErrorCode.TENDER_STATE
    with pytest.raises(DomainError) as exc:  # nor withdrawn: the bid stays as it was
        bids.bid_withdraw(actor=tw.world.bidder, bid=first.bid)
    assert Entry.objects.count() == entries
    assert list(Bid.objects.values_list("pk", "status")) == [(first.bid.pk, BidStatus.SUBMITTED)]
    never = tw.tender.bid_deadline + dt.timedelta(seconds=1)
    with pytest.raises(DomainError) as exc, clock.frozen(never):  # and never opened
        opening.opening_start(actor=tw.world.staff, tender=tw.tender)
    assert exc.value.code == ErrorCode.TENDER_STATE
    assert not OpeningSession.objects.exists()


@pytest.mark.django_db
def test_deposits_after_termination_are_refused_and_nothing_is_written(
    tw: Any, tmp_path: Path
) -> None:
    _published_with_bid(tw, tmp_path)
    stale = Tender.objects.get(pk=tw.tender.pk)  # loaded while still announced
    termination.tender_terminate(actor=tw.world.tenderer, tender=tw.tender, reason=REASON)
    assert bids.can_record_deposit(tw.tender, tw.world.staff) is False
    assert bids.can_record_deposit(stale, tw.world.staff) is True  # the page's view of it
    before = _state()
    deposits = list(Deposit.objects.values_list("pk", "bidder_id", "refund_due_at"))
    for tender in (tw.tender, stale):  # the service reads the state under the row lock
        with pytest.raises(DomainError) as exc:
            bids.deposit_record(
                actor=tw.world.staff,
                tender=tender,
                bidder=tw.other_org,
                amount=Decimal("100000"),
                payer_account_name=tw.other_org.name,
                payer_account_no="6217000000005678",
                payer_bank="中国建设银行白银分行",
            )
        assert exc.value.code == ErrorCode.TENDER_STATE
        assert exc.value.status == 409
        assert exc.value.message == "该招标已终止，不再登记投标保证金（已收取的保证金应予退还）"
    assert _state() == before
    assert list(Deposit.objects.values_list("pk", "bidder_id", "refund_due_at")) == deposits


@pytest.mark.django_db
def test_termination_during_opening_leaves_the_other_bids_sealed(tw: Any, tmp_path: Path) -> None:
    tender = tw.publish(deposit_amount=Decimal("100000"))
    people = [
        Bidder(tw, tw.world.bidder, tw.world.bidder_org, tw.bidder_signing),
        Bidder(tw, tw.other_bidder, tw.other_org, tw.other_signing),
        third_bidder(tw),
    ]
    for i, b in enumerate(people):
        b.submit(package(tmp_path, f"p{i}", f"2880000{i}.00"))
    _deposit(tw, tw.other_org)
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        opening.opening_start(actor=tw.world.staff, tender=tender)
        people[0].release()
        tender.refresh_from_db()
        termination.tender_terminate(actor=tw.world.tenderer, tender=tender, reason=REASON)
        session = OpeningSession.objects.get(tender=tender)
        assert session.state == OpeningState.TERMINATED
        entry = Entry.objects.get(event_type="tendering:tender:terminated")
        assert entry.payload["from_status"] == "opening"
        assert entry.payload["opening_stopped"] is True
        with pytest.raises(DomainError) as exc:
            people[1].release()
        assert exc.value.code == ErrorCode.TENDER_STATE
        # refused because the opening stopped (not for want of key shares or of time)
        with pytest.raises(DomainError) as exc:
            opening.custodian_decrypt(actor=tw.world.staff, bid=people[2].bid)
        assert exc.value.message == "开标不在该阶段"
        with pytest.raises(DomainError) as exc:
            opening.opening_record(actor=tw.world.staff, tender=tender)
        assert exc.value.message == "开标不在该阶段"
    still_sealed = people[1].bid.opening
    still_sealed.refresh_from_db()
    assert still_sealed.decrypted_at is None
    assert Deposit.objects.get(bidder=tw.other_org).refund_due_at is not None
    # every bidder's people are told, once each
    assert Reminder.objects.filter(kind=ReminderKind.TERMINATED).count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.e2e
def test_terminate_on_the_page(live_server: Any, tw: Any, desktop: Any) -> None:
    tender = tw.publish()
    base = live_server.url
    page = desktop
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", tw.world.tenderer.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/me/")
    page.goto(f"{base}/tendering/{tender.pk}/manage/")
    page.click("#terminate-link")
    page.wait_for_url(f"{base}/tendering/{tender.pk}/manage/terminate/")
    # without the confirmation box nothing happens
    page.fill("#id_reason", REASON)
    page.click("#confirm-terminate")
    page.wait_for_selector("#terminate-form")
    tender.refresh_from_db()
    assert tender.status == TenderStatus.ANNOUNCED
    page.check("#id_confirm")
    page.click("#confirm-terminate")
    page.wait_for_url(f"{base}/tendering/{tender.pk}/manage/")
    assert REASON in page.inner_text("#terminated-notice")
    assert page.locator("#terminate-link").count() == 0
    tender.refresh_from_db()
    assert tender.status == TenderStatus.TERMINATED
    # the public (and the regulator) see the 终止公告 and the status
    page.goto(f"{base}/tendering/{tender.pk}/")
    assert REASON in page.inner_text("#terminated-notice")
    assert page.inner_text("#tender-status") in {"终止", "Terminated"}


@pytest.mark.django_db(transaction=True)
def test_manage_page_offers_termination_only_to_managers(live_server: Any, tw: Any) -> None:
    tender = tw.publish()
    base = live_server.url
    manager = login_session(base, tw.world.tenderer.username)
    assert 'id="terminate-link"' in manager.get(f"{base}/tendering/{tender.pk}/manage/").text
    assert manager.get(f"{base}/tendering/{tender.pk}/manage/terminate/").status_code == 200
    for user in (tw.world.bidder, tw.world.regulator):
        s = login_session(base, user.username)
        r = s.get(f"{base}/tendering/{tender.pk}/manage/terminate/", timeout=30)
        assert r.status_code == 403
        token = s.cookies.get("csrftoken", "")
        r = s.post(
            f"{base}/tendering/{tender.pk}/manage/terminate/",
            data={"csrfmiddlewaretoken": token, "reason": REASON, "confirm": "on"},
            headers={"Referer": base},
            allow_redirects=False,
            timeout=30,
        )
        assert r.status_code == 403
    tender.refresh_from_db()
    assert tender.status == TenderStatus.ANNOUNCED


def _opening_with_three(tw: Any, tmp_path: Path) -> tuple[Tender, list[Bidder]]:
    tender = tw.publish()
    people = [
        Bidder(tw, tw.world.bidder, tw.world.bidder_org, tw.bidder_signing),
        Bidder(tw, tw.other_bidder, tw.other_org, tw.other_signing),
        third_bidder(tw),
    ]
    for i, b in enumerate(people):
        b.submit(package(tmp_path, f"p{i}", f"2880000{i}.00"))
    return tender, people


@pytest.mark.django_db
def test_no_termination_once_the_prices_are_read_out(tw: Any, tmp_path: Path) -> None:
    """After the opening record (every price read out) the tenderer cannot call the tender
    off (实施条例第三十一条): refused, nothing changed, and the page no longer offers it."""
    tender, people = _opening_with_three(tw, tmp_path)
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        opening.opening_start(actor=tw.world.staff, tender=tender)
        for b in people:
            b.release()
        opening.opening_record(actor=tw.world.staff, tender=tender)
        tender.refresh_from_db()
        assert tender.status == TenderStatus.OPENING
        assert not termination.can_terminate(tender, tw.world.tenderer)
        before = _state()
        with pytest.raises(DomainError) as exc:
            termination.tender_terminate(actor=tw.world.tenderer, tender=tender, reason=REASON)
        assert exc.value.code == ErrorCode.TENDER_STATE
        assert "开标记录已形成" in exc.value.message
        assert _state() == before
        assert OpeningSession.objects.get(tender=tender).state == OpeningState.RECORDED


@pytest.mark.django_db
def test_a_decryption_racing_the_termination_is_not_recorded(
    tw: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bid's file work runs outside the transaction; a termination committed meanwhile
    wins: the decryption is refused and the bid stays sealed (no price, no ledger entry)."""
    tender, people = _opening_with_three(tw, tmp_path)
    real_open = opening._open_bid

    def open_then_terminated(bid: Bid, **kw: Any) -> Any:
        done = real_open(bid, **kw)
        termination.tender_terminate(
            actor=tw.world.tenderer, tender=Tender.objects.get(pk=tender.pk), reason=REASON
        )
        return done

    monkeypatch.setattr(opening, "_open_bid", open_then_terminated)
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        opening.opening_start(actor=tw.world.staff, tender=tender)
        with pytest.raises(DomainError) as exc:
            people[0].release()
    assert exc.value.code == ErrorCode.TENDER_STATE
    row = people[0].bid.opening
    row.refresh_from_db()
    assert row.decrypted_at is None
    assert row.price == {}
    assert not Entry.objects.filter(event_type="tendering:opening:decrypted").exists()


@pytest.mark.django_db
def test_a_custodian_batch_racing_the_termination_opens_nothing(
    tw: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tender, _ = _opening_with_three(tw, tmp_path)
    real_key = opening.opening_private_key

    def key_then_terminated(t: Tender) -> Any:
        key = real_key(t)
        termination.tender_terminate(
            actor=tw.world.tenderer, tender=Tender.objects.get(pk=tender.pk), reason=REASON
        )
        return key

    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        opening.opening_start(actor=tw.world.staff, tender=tender)
        tw.release_shares()
        monkeypatch.setattr(opening, "opening_private_key", key_then_terminated)
        with pytest.raises(DomainError) as exc:
            opening.custodian_decrypt_all(actor=tw.world.staff, tender=tender)
    assert exc.value.code == ErrorCode.TENDER_STATE
    assert not Entry.objects.filter(event_type="tendering:opening:decrypted").exists()


@pytest.mark.django_db
def test_a_reason_with_control_characters_is_refused(tw: Any) -> None:
    tender = tw.publish()
    before = _state()
    with pytest.raises(DomainError) as exc:
        termination.tender_terminate(actor=tw.world.tenderer, tender=tender, reason="原因\x00b")
    assert exc.value.code == ErrorCode.VALIDATION
    assert exc.value.field == "reason"
    assert _state() == before


@pytest.mark.django_db
def test_a_tender_with_the_longest_title_can_still_be_terminated(tw: Any) -> None:
    """The 终止公告's title is the tender's title shortened, never a refusal."""
    tender = tw.publish()
    Tender.objects.filter(pk=tender.pk).update(title="长" * 600)
    tender.refresh_from_db()
    termination.tender_terminate(actor=tw.world.tenderer, tender=tender, reason=REASON)
    notice = Notice.objects.get(stage=Stage.TERMINATION)
    assert len(notice.title) == 600
    assert notice.title.endswith("…（终止公告）")


@pytest.mark.django_db
def test_no_sign_in_or_key_share_after_termination(tw: Any, tmp_path: Path) -> None:
    """签到 and releasing a custodian's key share write nothing once the tender is terminated."""
    tender, people = _opening_with_three(tw, tmp_path)
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        opening.opening_start(actor=tw.world.staff, tender=tender)
        termination.tender_terminate(
            actor=tw.world.tenderer, tender=Tender.objects.get(pk=tender.pk), reason=REASON
        )
        before = _state()
        with pytest.raises(DomainError) as exc:
            opening.sign_in(actor=people[0].user, bid=people[0].bid)
        assert exc.value.code == ErrorCode.TENDER_STATE
        with pytest.raises(DomainError) as exc:
            tw.release_shares(("centre",))
        assert exc.value.code == ErrorCode.TENDER_STATE
        assert _state() == before
