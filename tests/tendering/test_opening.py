"""不见面开标 end to end at the service level: key release by bidders, custodians' quorum,
the consistency check flagging tampering, the opening record, 流标."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from tests.factories import make_org, signup

from ggzy import clock
from ggzy.bidkit.package import build_package
from ggzy.bidkit.pricing import parse_price_form
from ggzy.bidkit.release import build_release
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.crypto import envelope as env
from ggzy.crypto.suites import INTL, PublicKey
from ggzy.ledger.models import Entry
from ggzy.registry import services as registry
from ggzy.tendering import bids, keyshare, opening
from ggzy.tendering.models import Consistency, CustodianShare, TenderStatus

pytestmark = pytest.mark.django_db


def _package(tmp_path: Path, name: str, amount: str) -> bytes:
    doc = tmp_path / f"{name}-technical.pdf"
    doc.write_bytes(b"%PDF-1.7 technical proposal of " + name.encode())
    out = tmp_path / f"{name}.zip"
    build_package(
        out,
        files=[doc],
        price_form=parse_price_form(
            {
                "price_form": 1,
                "amount": amount,
                "price_unit": 0,
                "duration_days": 365,
                "quality": "合格",
            }
        ),
    )
    return out.read_bytes()


class Bidder:
    def __init__(self, tw, user, org, signing):
        self.tw, self.user, self.org, self.signing = tw, user, org, signing
        self.encrypt = INTL.generate_wrapping_key()

    def submit(self, plaintext: bytes):
        out = io.BytesIO()
        env.seal(
            io.BytesIO(plaintext),
            out,
            suite=INTL,
            opening_public_key=PublicKey.from_text(self.tw.tender.opening_public_key),
            bidder_public_key=self.encrypt.public_key,
            bidder_signing_key=self.signing,
            tender_ref=self.tw.section.code,
            bidder_ref=self.org.uscc,
            chunk_size=64 * 1024,
        )
        data = out.getvalue()
        up = bids.upload_start(
            actor=self.user,
            tender=self.tw.tender,
            bidder=self.org,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            chunk_size=256 * 1024,
        )
        for i in range(up.chunk_count):
            part = data[i * 256 * 1024 : (i + 1) * 256 * 1024]
            bids.upload_chunk(
                actor=self.user,
                upload=up,
                index=i,
                data=part,
                sha256=hashlib.sha256(part).hexdigest(),
            )
        self.bid = bids.upload_complete(actor=self.user, upload=up)
        return self.bid

    def release(self):
        with self.bid.envelope.open("rb") as fh:
            header = env.read_header(fh)
        key = env.unwrap_content_key(header, self.encrypt)
        statement = build_release(
            header=header,
            envelope_sha256=self.bid.envelope_sha256,
            content_key=key,
            signing_key=self.signing,
            released_at=clock.now(),
        )
        return opening.bid_key_release(actor=self.user, bid=self.bid, statement=statement)


def _third(tw):
    user = signup("bidder3", "张三")
    org = make_org(user, ["bidder"], "会宁建设集团有限公司")
    signing = INTL.generate_signing_key()
    registry.entity_key_register(
        actor=user, purpose="sign", public_key=signing.public_key.to_text(), organization=org
    )
    return Bidder(tw, user, org, signing)


def _release_shares(tw, tender, roles):
    for role in roles:
        share = CustodianShare.objects.get(tender=tender, role=role)
        plain = keyshare.open_sealed_share(bytes(share.wrapped_share), tw.custodian_keys[role])
        bids.share_release(actor=tw.custodians[role], share=share, plaintext_share=plain)


def test_full_opening_with_custodians_and_a_tampered_bid(tw, tmp_path):
    tender = tw.publish()
    a = Bidder(tw, tw.world.bidder, tw.world.bidder_org, tw.bidder_signing)
    b = Bidder(tw, tw.other_bidder, tw.other_org, tw.other_signing)
    c = _third(tw)
    a.submit(_package(tmp_path, "a", "28800000.00"))
    b.submit(_package(tmp_path, "b", "29100000.50"))
    c.submit(_package(tmp_path, "c", "28650000"))
    staff = tw.world.staff
    with pytest.raises(DomainError) as err:
        opening.opening_start(actor=staff, tender=tender)
    assert err.value.code == ErrorCode.TENDER_STATE  # before the deadline
    # someone changes one byte of c's stored ciphertext at rest
    path = Path(c.bid.envelope.path)
    raw = bytearray(path.read_bytes())
    raw[-40] ^= 0x01
    path.write_bytes(bytes(raw))

    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=5)):
        session = opening.opening_start(actor=staff, tender=tender)
        tender.refresh_from_db()
        assert tender.status == TenderStatus.OPENING
        with pytest.raises(DomainError) as err:  # not the bidder of this bid
            opening.bid_key_release(actor=b.user, bid=a.bid, statement={})
        assert err.value.code == ErrorCode.BID_NOT_MEMBER
        assert a.release().consistency == Consistency.CONSISTENT
        # b cannot decrypt (lost its key): the custodians' quorum opens it
        with pytest.raises(DomainError):
            opening.custodian_decrypt(actor=staff, bid=b.bid)  # no shares released yet
        _release_shares(tw, tender, ["centre", "supervisor"])
        assert opening.custodian_decrypt(actor=staff, bid=b.bid).consistency == (
            Consistency.CONSISTENT
        )
        flagged = opening.custodian_decrypt(actor=staff, bid=c.bid)
        assert flagged.consistency == Consistency.HASH_MISMATCH  # receipt hash differs
        session = opening.opening_record(actor=staff, tender=tender)
    rows = {r["bidder_code"]: r for r in session.record["rows"]}
    assert rows[a.org.uscc]["price"]["amount"] == "28800000.00"
    assert rows[b.org.uscc]["consistency"] == "consistent"
    assert rows[c.org.uscc]["consistency"] == "receipt_mismatch"
    assert session.record["valid_bids"] == 2
    assert session.record["result"] == "failed"  # fewer than 3 valid bids → 流标
    tender.refresh_from_db()
    assert tender.status == TenderStatus.FAILED
    recorded = Entry.objects.get(event_type="tendering:opening:recorded")
    assert recorded.payload["record_sha256"] == session.record_sha256


def test_three_valid_bids_open_confirm_and_close(tw, tmp_path):
    tender = tw.publish()
    bidders = [
        Bidder(tw, tw.world.bidder, tw.world.bidder_org, tw.bidder_signing),
        Bidder(tw, tw.other_bidder, tw.other_org, tw.other_signing),
        _third(tw),
    ]
    for i, bidder in enumerate(bidders):
        bidder.submit(_package(tmp_path, f"p{i}", f"2880000{i}.00"))
    staff = tw.world.staff
    with clock.frozen(tender.bid_deadline):
        opening.opening_start(actor=staff, tender=tender)
        for bidder in bidders:
            opening.sign_in(actor=bidder.user, bid=bidder.bid)
            assert bidder.release().consistency == Consistency.CONSISTENT
        session = opening.opening_record(actor=staff, tender=tender)
        assert session.record["result"] == "opened"
        opening.bidder_confirm(actor=bidders[0].user, bid=bidders[0].bid)
        opening.bidder_confirm(actor=bidders[1].user, bid=bidders[1].bid, objection="报价读错")
        with pytest.raises(DomainError):
            opening.opening_close(actor=staff, tender=tender)  # objection unanswered
        opening.objection_answer_on_spot(
            actor=tw.world.tenderer, bid=bidders[1].bid, answer="已核对，报价无误"
        )
        opening.opening_close(actor=staff, tender=tender)
    tender.refresh_from_db()
    assert tender.status == TenderStatus.OPENED


def test_fewer_than_three_bids_fail_at_start(tw, tmp_path):
    tender = tw.publish()
    Bidder(tw, tw.world.bidder, tw.world.bidder_org, tw.bidder_signing).submit(
        _package(tmp_path, "only", "1000000")
    )
    with clock.frozen(tender.bid_deadline):
        session = opening.opening_start(actor=tw.world.staff, tender=tender)
    assert session.state == "failed"
    tender.refresh_from_db()
    assert tender.status == TenderStatus.FAILED
    failed = Entry.objects.get(event_type="tendering:opening:failed")
    assert failed.payload["count"] == 1
