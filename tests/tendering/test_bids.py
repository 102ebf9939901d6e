"""Announcement to sealed bid: time-limit rules, opening key custody, chunked submission,
the deadline rule, receipts — and the bad inputs."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest

from ggzy import clock
from ggzy.core import platform_key
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.ledger.models import Entry
from ggzy.tendering import bids, keyshare, services
from ggzy.tendering.models import Bid, BidStatus, CustodianShare, TenderStatus

pytestmark = pytest.mark.django_db

CHUNK = 256 * 1024


def _submit(tw, data: bytes, *, user=None, bidder=None, fingerprint=None):
    user = user or tw.world.bidder
    bidder = bidder or tw.world.bidder_org
    upload = bids.upload_start(
        actor=user,
        tender=tw.tender,
        bidder=bidder,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        chunk_size=CHUNK,
    )
    for i in range(upload.chunk_count):
        part = data[i * CHUNK : (i + 1) * CHUNK]
        bids.upload_chunk(
            actor=user, upload=upload, index=i, data=part, sha256=hashlib.sha256(part).hexdigest()
        )
    return bids.upload_complete(actor=user, upload=upload, fingerprint=fingerprint or {})


def test_publish_checks_rules_and_splits_the_opening_key(tw):
    start = clock.now() + dt.timedelta(minutes=1)
    before = Entry.objects.count()
    with pytest.raises(DomainError) as err:
        tw.publish(start=start, bid_days=10)  # T8: at least 20 days
    assert err.value.code == ErrorCode.PERIOD_TOO_SHORT
    assert "20" in err.value.message
    with pytest.raises(DomainError) as err:
        tw.publish(deposit_amount=Decimal("700000"))  # T11: ≤ 2 % of 30,000,000 = 600,000
    assert err.value.code == ErrorCode.DEPOSIT_OVER_CAP
    assert Entry.objects.count() == before
    tw.tender.refresh_from_db()
    assert tw.tender.status == TenderStatus.DRAFT

    tender = tw.publish(deposit_amount=Decimal("600000"))
    assert tender.status == TenderStatus.ANNOUNCED
    assert tender.ruleset_label.startswith("works.open@")
    assert "<script>" not in tender.announcement_html
    entry = Entry.objects.get(event_type="tendering:tender:announced")
    assert entry.rule_version == tender.ruleset_label
    assert entry.payload["ruleset_sha256"] == tender.ruleset_sha256
    assert entry.payload["opening_public_key"] == tender.opening_public_key
    shares = {s.role: s for s in CustodianShare.objects.filter(tender=tender)}
    assert set(shares) == {"centre", "supervisor", "tenderer"}
    # any two custodians recover the announced key; one alone cannot
    unsealed = {
        r: keyshare.open_sealed_share(bytes(s.wrapped_share), tw.custodian_keys[r])
        for r, s in shares.items()
    }
    key = keyshare.recover_private_key(
        [unsealed["centre"], unsealed["tenderer"]], tender.opening_public_key
    )
    assert key.public_key.to_text() == tender.opening_public_key
    with pytest.raises(DomainError):
        keyshare.recover_private_key([unsealed["supervisor"]], tender.opening_public_key)
    with pytest.raises(DomainError):  # a custodian's share cannot be opened with another key
        keyshare.open_sealed_share(
            bytes(shares["centre"].wrapped_share), tw.custodian_keys["supervisor"]
        )


def test_sealed_bid_is_received_with_a_signed_receipt(tw):
    tw.publish()
    data = tw.seal(b"PK\x03\x04 bid package " * 40000)  # ~840 KB, several chunks
    record = {  # the shape `ggzy bidkit` writes (docs/bidkit.md §6), plus junk to drop
        "format": "ggzy-bid-fingerprint",
        "v": 1,
        "fields": {"cpu_id": ["ab" * 32], "mac": ["cd" * 32, "not-a-digest"], "x": "y"},
        "unavailable": ["disk_serial"],
    }
    bid = _submit(tw, data, fingerprint=record)
    assert bid.status == BidStatus.SUBMITTED
    assert bid.envelope_sha256 == hashlib.sha256(data).hexdigest()
    assert bid.envelope_md5 == hashlib.md5(data, usedforsecurity=False).hexdigest()
    assert bid.fingerprint["fields"] == {"cpu_id": ["ab" * 32], "mac": ["cd" * 32]}
    assert bid.fingerprint["unavailable"] == ["disk_serial"]
    assert bid.envelope.read() == data
    assert bid.received_at < tw.tender.bid_deadline
    assert platform_key.verify_document(bid.receipt, platform_key.public_key_bytes())
    assert bid.receipt["document"]["envelope_sha256"] == bid.envelope_sha256
    entry = Entry.objects.get(pk=bid.ledger_entry_id)
    assert entry.event_type == "tendering:bid:received"
    assert entry.rule_version.endswith("deadline-rule/v1")
    assert b"bid package" not in str(entry.payload).encode()  # ciphertext hash only
    # a second submission replaces the first (modification before the deadline)
    second = _submit(tw, tw.seal(b"revised bid"))
    bid.refresh_from_db()
    assert (bid.status, second.status) == (BidStatus.SUPERSEDED, BidStatus.SUBMITTED)
    bids.bid_withdraw(actor=tw.world.bidder, bid=second)
    second.refresh_from_db()
    assert second.status == BidStatus.WITHDRAWN


def test_late_bid_refused_even_at_the_boundary(tw):
    tender = tw.publish()
    data = tw.seal(b"bid")
    upload = bids.upload_start(
        actor=tw.world.bidder,
        tender=tender,
        bidder=tw.world.bidder_org,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        chunk_size=CHUNK,
    )
    bids.upload_chunk(
        actor=tw.world.bidder,
        upload=upload,
        index=0,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    before = (Entry.objects.count(), Bid.objects.count())
    with clock.frozen(tender.bid_deadline), pytest.raises(DomainError) as err:
        bids.upload_complete(actor=tw.world.bidder, upload=upload)
    assert err.value.code == ErrorCode.BID_DEADLINE_PASSED
    assert (Entry.objects.count(), Bid.objects.count()) == before
    with clock.frozen(tender.bid_deadline - dt.timedelta(milliseconds=1)):
        bid = bids.upload_complete(actor=tw.world.bidder, upload=upload)
    assert bid.received_at < tender.bid_deadline


@pytest.mark.parametrize(
    "case", ["wrong_section", "wrong_bidder", "unregistered_key", "truncated", "garbage"]
)
def test_bad_envelopes_refused_and_nothing_kept(tw, case):
    from ggzy.crypto.suites import INTL

    tw.publish()
    data = {
        "wrong_section": lambda: tw.seal(b"x", section_ref="E6204022611270001001009"),
        "wrong_bidder": lambda: tw.seal(b"x", bidder_ref=tw.other_org.uscc),
        "unregistered_key": lambda: tw.seal(b"x", signing=INTL.generate_signing_key()),
        "truncated": lambda: tw.seal(b"y" * 5000)[:-10],
        "garbage": lambda: b"not an envelope at all" * 20,
    }[case]()
    before = (
        Entry.objects.filter(event_type="tendering:bid:received").count(),
        Bid.objects.count(),
    )
    with pytest.raises(DomainError) as err:
        _submit(tw, data)
    assert err.value.code == ErrorCode.ENVELOPE_INVALID
    assert (
        Entry.objects.filter(event_type="tendering:bid:received").count(),
        Bid.objects.count(),
    ) == before


def test_upload_refusals(tw):
    tw.publish()
    data = tw.seal(b"z" * 300000)
    digest = hashlib.sha256(data).hexdigest()
    with pytest.raises(DomainError) as err:  # not a member of that bidder
        bids.upload_start(
            actor=tw.other_bidder,
            tender=tw.tender,
            bidder=tw.world.bidder_org,
            size=len(data),
            sha256=digest,
            chunk_size=CHUNK,
        )
    assert err.value.code == ErrorCode.BID_NOT_MEMBER
    with pytest.raises(DomainError) as err:
        bids.upload_start(
            actor=tw.world.bidder,
            tender=tw.tender,
            bidder=tw.world.bidder_org,
            size=len(data),
            sha256="nothex",
            chunk_size=CHUNK,
        )
    assert err.value.code == ErrorCode.UPLOAD_INVALID
    upload = bids.upload_start(
        actor=tw.world.bidder,
        tender=tw.tender,
        bidder=tw.world.bidder_org,
        size=len(data),
        sha256=digest,
        chunk_size=CHUNK,
    )
    part = data[:CHUNK]
    with pytest.raises(DomainError) as err:
        bids.upload_chunk(actor=tw.world.bidder, upload=upload, index=0, data=part, sha256="0" * 64)
    assert err.value.code == ErrorCode.CHUNK_MISMATCH
    bids.upload_chunk(
        actor=tw.world.bidder,
        upload=upload,
        index=0,
        data=part,
        sha256=hashlib.sha256(part).hexdigest(),
    )
    bids.upload_chunk(
        actor=tw.world.bidder,
        upload=upload,
        index=0,
        data=part,
        sha256=hashlib.sha256(part).hexdigest(),
    )  # idempotent
    with pytest.raises(DomainError) as err:
        bids.upload_complete(actor=tw.world.bidder, upload=upload)
    assert err.value.code == ErrorCode.UPLOAD_INCOMPLETE
    assert err.value.detail["missing"] == [1]


def test_share_release_only_after_the_deadline(tw):
    tender = tw.publish()
    share = CustodianShare.objects.get(tender=tender, role="centre")
    plain = keyshare.open_sealed_share(bytes(share.wrapped_share), tw.custodian_keys["centre"])
    with pytest.raises(DomainError) as err:
        bids.share_release(actor=tw.world.staff, share=share, plaintext_share=plain)
    assert err.value.code == ErrorCode.SHARE_TOO_EARLY
    share.refresh_from_db()
    assert share.released_at is None
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        with pytest.raises(DomainError) as err:
            bids.share_release(actor=tw.world.regulator, share=share, plaintext_share=plain)
        assert err.value.code == ErrorCode.PERMISSION_DENIED
        bids.share_release(actor=tw.world.staff, share=share, plaintext_share=plain)
    share.refresh_from_db()
    assert share.released_at is not None


def test_clarification_inside_the_window_postpones_the_deadline(tw):
    start = clock.now() + dt.timedelta(minutes=1)
    tender = tw.publish(start=start, bid_days=21)
    old = tender.bid_deadline
    with clock.frozen(old - dt.timedelta(days=10)):
        clar = services.clarification_issue(
            actor=tw.world.tenderer, tender=tender, content_html="<p>第3.2条修改为……</p>"
        )
    tender.refresh_from_db()
    assert clar.new_deadline > old
    assert tender.bid_deadline == clar.new_deadline
    with clock.frozen(old - dt.timedelta(days=20)):
        quiet = services.clarification_issue(
            actor=tw.world.tenderer, tender=tender, content_html="<p>答疑</p>"
        )
    assert quiet.new_deadline == quiet.old_deadline


def test_objection_too_close_to_the_deadline_refused(tw):
    tender = tw.publish()
    with clock.frozen(tender.bid_deadline - dt.timedelta(days=3)), pytest.raises(DomainError) as e:
        services.objection_raise(
            actor=tw.world.bidder,
            tender=tender,
            organization=tw.world.bidder_org,
            content="评分标准有倾向性",
        )
    assert e.value.code == ErrorCode.PERIOD_TOO_SHORT
    obj = services.objection_raise(
        actor=tw.world.bidder,
        tender=tender,
        organization=tw.world.bidder_org,
        content="评分标准有倾向性",
    )
    answered = services.objection_answer(actor=tw.world.tenderer, objection=obj, answer="已修改")
    assert answered.status == "answered"
