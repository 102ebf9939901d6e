"""不见面开标 end to end at the service level: key release by bidders, custodians' quorum,
the consistency check flagging tampering, the opening record, 流标."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from tests.tendering.helpers import Bidder, package, third_bidder

from ggzy import clock
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.ledger.models import Entry
from ggzy.tendering import opening
from ggzy.tendering.models import Consistency, TenderStatus

pytestmark = pytest.mark.django_db


def _third(tw):
    return third_bidder(tw)


def _release_shares(tw, tender, roles):
    assert tender.pk == tw.tender.pk
    tw.release_shares(tuple(roles))


def test_full_opening_with_custodians_and_a_tampered_bid(tw, tmp_path):
    tender = tw.publish()
    a = Bidder(tw, tw.world.bidder, tw.world.bidder_org, tw.bidder_signing)
    b = Bidder(tw, tw.other_bidder, tw.other_org, tw.other_signing)
    c = _third(tw)
    a.submit(package(tmp_path, "a", "28800000.00"))
    b.submit(package(tmp_path, "b", "29100000.50"))
    c.submit(package(tmp_path, "c", "28650000"))
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
        bidder.submit(package(tmp_path, f"p{i}", f"2880000{i}.00"))
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
        package(tmp_path, "only", "1000000")
    )
    with clock.frozen(tender.bid_deadline):
        session = opening.opening_start(actor=tw.world.staff, tender=tender)
    assert session.state == "failed"
    tender.refresh_from_db()
    assert tender.status == TenderStatus.FAILED
    failed = Entry.objects.get(event_type="tendering:opening:failed")
    assert failed.payload["count"] == 1


def test_opened_package_is_decrypted_again_from_the_envelope(tw, tmp_path, settings):
    """No plaintext at rest: the committee's copy comes from the envelope and the sealed key,
    large bids go through a temporary file, and a change at rest after opening is refused."""
    settings.GGZY_OPENING_MEMORY_BYTES = 0  # every bid takes the temporary-file path
    tender = tw.publish()
    a = Bidder(tw, tw.world.bidder, tw.world.bidder_org, tw.bidder_signing)
    b = Bidder(tw, tw.other_bidder, tw.other_org, tw.other_signing)
    c = _third(tw)
    sent = package(tmp_path, "a", "28800000.00")
    a.submit(sent)
    b.submit(package(tmp_path, "b", "29100000.50"))
    c.submit(package(tmp_path, "c", "28650000"))
    c_path = Path(c.bid.envelope.path)
    c_path.write_bytes(c_path.read_bytes()[:-1] + b"\x00")  # changed at rest before opening
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=5)):
        opening.opening_start(actor=tw.world.staff, tender=tender)
        _release_shares(tw, tender, ["centre", "tenderer"])
        assert opening.custodian_decrypt_all(actor=tw.world.staff, tender=tender) == 3
    row = a.bid.opening
    row.refresh_from_db()
    assert row.consistency == Consistency.CONSISTENT
    assert row.price["amount"] == "28800000.00"
    assert b"28800000" not in bytes(row.content_key_sealed)  # sealed, not the package
    with opening.opened_package(row) as fh:
        assert fh.read() == sent
    path = Path(a.bid.envelope.path)
    raw = bytearray(path.read_bytes())
    raw[-40] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(DomainError) as err, opening.opened_package(row):
        pass
    assert err.value.code == ErrorCode.ENVELOPE_INVALID
    flagged = c.bid.opening
    flagged.refresh_from_db()
    assert flagged.consistency == Consistency.HASH_MISMATCH
    assert not flagged.content_key_sealed  # nothing to read a flagged bid with
    with pytest.raises(DomainError) as err, opening.opened_package(flagged):
        pass
    assert err.value.code == ErrorCode.TENDER_STATE


def test_a_wrapped_key_the_quorum_cannot_open_is_recorded_not_refused(tw, tmp_path):
    """A bid whose header the opening key cannot unwrap is a damaged bid: recorded as such,
    so one bad file cannot stall the custodians' opening of all the others."""
    from ggzy.crypto.suites import INTL as suite
    from ggzy.tendering import opener

    tw.publish()
    a = Bidder(tw, tw.world.bidder, tw.world.bidder_org, tw.bidder_signing)
    a.submit(package(tmp_path, "a", "28800000.00"))
    with a.bid.envelope.open("rb") as stored:
        done = opener.open_stored(
            stored,
            envelope_sha256=a.bid.envelope_sha256,
            label="a.zip",
            memory_limit=1 << 20,
            opening_key=suite.generate_wrapping_key(),  # not the key the bid was sealed to
        )
    assert done.error == ""
    assert done.consistency == Consistency.TAMPERED
    assert not done.content_key
