"""不见面开标: the online opening at the bid deadline (DOMAIN §3.4, T15–T17).

1. ``opening_start`` at or after the deadline closes the tender to bids (under the same row
   lock the submission path takes), refuses while objections are unanswered, and fails the
   tender (流标) when fewer bids than the rule's minimum were received (T15).
2. In the decryption window each bidder releases its content key (``bid_key_release``, a
   statement signed with its registered key); custodians' quorum can open a bid whose bidder
   could not (``custodian_decrypt``), where the tender documents allow it.
3. Every decryption runs the consistency check (投标文件一致性判断): stored ciphertext hash
   = receipt hash; every chunk authenticates; plaintext hash = the bidder's signed
   commitment. A failure is flagged and recorded, never silently accepted.
4. ``opening_record`` builds the opening record (开标记录表) with prices; fewer than the
   minimum valid bids → 流标. Bidders confirm or object on the spot (T17); then ``opening_close``.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F

from ggzy import clock, ledger
from ggzy.accounts.permissions import is_centre_staff
from ggzy.bidkit.errors import BidkitError
from ggzy.bidkit.release import verify_release
from ggzy.core import fieldcrypt
from ggzy.core.canonical import canonical_json
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.crypto import envelope as env
from ggzy.crypto.errors import CryptoError
from ggzy.crypto.suites import PrivateKey
from ggzy.projects.services import can_manage_tender
from ggzy.registry.models import Membership, MembershipStatus
from ggzy.tendering import keyshare, opener
from ggzy.tendering.bids import _signing_key
from ggzy.tendering.models import (
    Bid,
    BidOpening,
    BidStatus,
    Consistency,
    CustodianShare,
    Objection,
    ObjectionStatus,
    OpeningSession,
    OpeningState,
    Tender,
    TenderStatus,
)
from ggzy.tendering.selectors import ruleset_of


def _staff(actor: Any) -> None:
    if not is_centre_staff(actor):
        raise DomainError(ErrorCode.PERMISSION_DENIED, "开标由交易中心工作人员主持")


def _event(kind: str, subject: Any, actor: Any, payload: dict[str, Any], tender: Tender) -> None:
    ledger.record(
        f"tendering:opening:{kind}", subject, actor, payload, rule_version=tender.ruleset_label
    )


def opening_start(*, actor: Any, tender: Tender) -> OpeningSession:
    _staff(actor)
    rs = ruleset_of(tender)
    now = clock.now()
    if Objection.objects.filter(tender=tender, status=ObjectionStatus.OPEN).exists():
        raise DomainError(
            ErrorCode.TENDER_STATE, "尚有未答复的异议，开标暂停（实施条例第二十二条）"
        )
    with transaction.atomic():
        locked = Tender.objects.select_for_update().get(pk=tender.pk)
        if locked.status != TenderStatus.ANNOUNCED or locked.bid_deadline is None:
            raise DomainError(ErrorCode.TENDER_STATE, "该招标不在可开标状态")
        if now < locked.bid_deadline:
            raise DomainError(ErrorCode.TENDER_STATE, "未到投标截止时间，不能开标")
        live = list(Bid.objects.filter(tender=tender, status=BidStatus.SUBMITTED))
        minimum = int(rs.get("min_bidders"))
        failed = len(live) < minimum
        Tender.objects.filter(pk=tender.pk).update(
            status=TenderStatus.FAILED if failed else TenderStatus.OPENING,
            version=F("version") + 1,
        )
        window = int(rs.get("opening_decrypt_window_minutes"))
        session = OpeningSession.objects.create(
            tender=tender,
            state=OpeningState.FAILED if failed else OpeningState.DECRYPTING,
            started_at=now,
            decrypt_until=now + dt.timedelta(minutes=window),
        )
        # a failed tender (流标) is not opened: its bids are listed as never decrypted
        BidOpening.objects.bulk_create(
            BidOpening(
                bid=b,
                session=session,
                consistency=Consistency.NOT_DECRYPTED if failed else Consistency.PENDING,
            )
            for b in live
        )
        _event(
            "failed" if failed else "started",
            session,
            actor,
            {
                "tender": tender.pk,
                "section": tender.section.code,
                "bids": sorted(b.envelope_sha256 for b in live),
                "count": len(live),
                "min_bidders": minimum,
                "decrypt_until": session.decrypt_until,
                "reason": f"投标人少于 {minimum} 个，不得开标"
                "（招标投标法第二十八条、实施条例第四十四条）"
                if failed
                else "",
            },
            tender,
        )
        if failed:
            from ggzy.disclosure import sources as disclosure  # 流标公告 → public notice index

            disclosure.tender_failed(tender, actor, session=session)
    tender.refresh_from_db()
    return session


def _session(tender: Tender, *states: str) -> OpeningSession:
    session = OpeningSession.objects.filter(tender=tender).first()
    if session is None or (states and session.state not in states):
        raise DomainError(ErrorCode.TENDER_STATE, "开标不在该阶段")
    return session


def _bidder_member(actor: Any, bid: Bid) -> None:
    if not Membership.objects.filter(
        organization=bid.bidder, person__user=actor, status=MembershipStatus.ACTIVE
    ).exists():
        raise DomainError(ErrorCode.BID_NOT_MEMBER)


def sign_in(*, actor: Any, bid: Bid) -> BidOpening:
    """签到."""
    _bidder_member(actor, bid)
    opening = BidOpening.objects.filter(bid=bid).select_related("session").first()
    if opening is None:
        raise DomainError(ErrorCode.TENDER_STATE, "该投标文件不在本次开标中")
    if opening.session.state == OpeningState.TERMINATED:
        raise DomainError(ErrorCode.TENDER_STATE, "招标已终止，开标不再进行")
    with transaction.atomic():
        if BidOpening.objects.filter(pk=opening.pk, signed_in_at__isnull=True).update(
            signed_in_at=clock.now()
        ):
            _event("signed_in", opening, actor, {"bidder": bid.bidder.uscc}, bid.tender)
    opening.refresh_from_db()
    return opening


def _check(result: opener.Opened) -> opener.Opened:
    if result.error == opener.WRONG_KEY:
        raise DomainError(ErrorCode.KEY_INVALID, "解密密钥与该投标文件不符")
    return result


def _open_bid(
    bid: Bid, *, content_key: bytes | None = None, opening_key: PrivateKey | None = None
) -> opener.Opened:
    """The consistency check of one stored bid (``opener.open_stored``); a key that does not
    fit is refused (``key_invalid``), nothing recorded."""
    with bid.envelope.open("rb") as stored:
        return _check(
            opener.open_stored(
                stored,
                envelope_sha256=bid.envelope_sha256,
                label=f"{bid.pk}.zip",
                memory_limit=settings.GGZY_OPENING_MEMORY_BYTES,
                content_key=content_key,
                opening_key=opening_key,
            )
        )


def _key_context(opening: BidOpening) -> str:
    return f"tendering.bidopening.content_key:{opening.pk}"


@contextlib.contextmanager
def opened_package(opening: BidOpening) -> Iterator[BinaryIO]:
    """The decrypted bid package of a consistent, opened bid, for the committee (评标) and the
    tenderer after opening: decrypted again from the stored envelope with the sealed content
    key; every chunk re-authenticates and the digest must still equal the recorded one."""
    if opening.consistency != Consistency.CONSISTENT or not opening.content_key_sealed:
        raise DomainError(ErrorCode.TENDER_STATE, "该投标文件未解密或未通过一致性判断")
    key = base64.b64decode(
        fieldcrypt.decrypt(bytes(opening.content_key_sealed), context=_key_context(opening))
    )
    with tempfile.TemporaryFile() as out, opening.bid.envelope.open("rb") as stored:
        try:
            result = env.open_envelope(stored, out, key)
        except CryptoError as exc:
            raise DomainError(ErrorCode.ENVELOPE_INVALID, "存储的投标文件已损坏") from exc
        if result.digest.hex() != opening.plaintext_sha256:
            raise DomainError(ErrorCode.ENVELOPE_INVALID, "投标文件与开标时记录的摘要不一致")
        out.seek(0)
        yield out


_OPENED_FIELDS = (
    "decrypted_at",
    "decrypted_by",
    "consistency",
    "detail",
    "content_key_sealed",
    "plaintext_sha256",
    "price",
)


def _apply_opened(opening: BidOpening, how: str, actor: Any, done: opener.Opened) -> None:
    """Set the decryption's fields on ``opening`` (the caller writes them) and record the
    ledger entry, inside the caller's transaction."""
    bid = opening.bid
    opening.decrypted_at, opening.decrypted_by = clock.now(), how
    opening.consistency, opening.detail, opening.price = done.consistency, done.detail, done.price
    opening.plaintext_sha256 = done.plaintext_sha256
    opening.content_key_sealed = (
        fieldcrypt.encrypt(
            base64.b64encode(done.content_key).decode(), context=_key_context(opening)
        )
        if done.content_key
        else b""
    )
    _event(
        "decrypted",
        opening,
        actor,
        {
            "bid": str(bid.pk),
            "bidder": bid.bidder.uscc,
            "by": how,
            "consistency": done.consistency,
            "detail": done.detail,
            "commitment": bid.commitment,
            "plaintext_sha256": done.plaintext_sha256,
            "price": done.price,
        },
        bid.tender,
    )


def _write_opened(rows: list[BidOpening]) -> None:
    """One prepared UPDATE run for every row (``bulk_update``'s CASE expressions cost more
    than the decryption itself at a thousand bids)."""
    if not rows:
        return
    connection = connections[BidOpening.objects.db]
    fields: list[Any] = [BidOpening._meta.get_field(name) for name in _OPENED_FIELDS]
    qn = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 - names from the model
        qn(BidOpening._meta.db_table),
        ", ".join(f"{qn(f.column)} = %s" for f in fields),
        qn(BidOpening._meta.pk.column or "id"),
    )
    params = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields] + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _still_decrypting(session_id: int) -> None:
    """Lock the opening session and check it is still in its decryption window: a tender
    terminated (终止招标) while a bid was being decrypted keeps that bid sealed. Termination
    changes the session under the same row lock, so one of the two waits for the other."""
    locked = OpeningSession.objects.select_for_update().filter(
        pk=session_id, state=OpeningState.DECRYPTING
    )
    if not list(locked.values_list("pk", flat=True)):
        raise DomainError(ErrorCode.TENDER_STATE, "开标已不在解密阶段（招标可能已终止）")


def _lock_tender(tender: Tender) -> None:
    """The tender row first, then its opening session: the order termination (终止招标) takes,
    so a closing opening and a termination wait for each other instead of deadlocking."""
    list(Tender.objects.select_for_update().filter(pk=tender.pk).values_list("pk", flat=True))


def _record_opened(opening: BidOpening, how: str, actor: Any, done: opener.Opened) -> BidOpening:
    """Record one decryption (and its ledger entry); a bid decrypted meanwhile is a conflict,
    an opening stopped meanwhile (终止招标) a state error."""
    with transaction.atomic():
        _still_decrypting(opening.session_id)
        _apply_opened(opening, how, actor, done)
        changed = BidOpening.objects.filter(pk=opening.pk, decrypted_at__isnull=True).update(
            **{name: getattr(opening, name) for name in _OPENED_FIELDS}
        )
        if changed != 1:
            raise DomainError(ErrorCode.CONFLICT, "该投标文件已解密")
    return opening


def bid_key_release(*, actor: Any, bid: Bid, statement: dict[str, Any]) -> BidOpening:
    """The bidder releases its content key (bidkit ``release-key``) during the window."""
    _bidder_member(actor, bid)
    session = _session(bid.tender, OpeningState.DECRYPTING)
    if clock.now() > session.decrypt_until:
        raise DomainError(ErrorCode.TENDER_STATE, "解密时间已结束")
    opening = BidOpening.objects.select_related("bid", "bid__bidder", "bid__tender").get(bid=bid)
    with bid.envelope.open("rb") as stored:
        header = env.read_header(stored)
    try:
        release = verify_release(
            statement,
            verify_key=_signing_key(bid.bidder, header.signer_kid),
            header=header,
            envelope_sha256=bid.envelope_sha256,
        )
    except BidkitError as exc:
        raise DomainError(ErrorCode.KEY_INVALID, exc.message_zh) from exc
    return _record_opened(opening, "bidder", actor, _open_bid(bid, content_key=release.content_key))


_KEYS: dict[tuple[int, str, tuple[str, ...]], PrivateKey] = {}


def opening_private_key(tender: Tender) -> PrivateKey:
    """Combine the released shares (cached per tender and set of shares for the opening)."""
    released = tuple(
        sorted(
            CustodianShare.objects.filter(tender=tender, released_at__isnull=False).values_list(
                "role", flat=True
            )
        )
    )
    # keyed by the announced public key too: a cached key can only ever serve the tender whose
    # public key it was checked against when it was recovered
    cache_key = (tender.pk, tender.opening_public_key, released)
    cached = _KEYS.get(cache_key)
    if cached is not None:
        return cached
    shares = [
        bytes(s.released_share or b"")
        for s in CustodianShare.objects.filter(tender=tender, released_at__isnull=False)
    ]
    if len(shares) < tender.custodian_threshold:
        raise DomainError(
            ErrorCode.TENDER_STATE,
            f"已释放 {len(shares)} 个密钥分片，需要 {tender.custodian_threshold} 个",
        )
    key = keyshare.recover_private_key(shares, tender.opening_public_key)
    _KEYS.clear()  # keep at most one opening key in memory
    _KEYS[cache_key] = key
    return key


def custodian_decrypt(*, actor: Any, bid: Bid) -> BidOpening:
    """Open a bid with the custodians' quorum key (where the tender documents allow it)."""
    _staff(actor)
    _session(bid.tender, OpeningState.DECRYPTING)
    opening = BidOpening.objects.select_related("bid", "bid__bidder", "bid__tender").get(bid=bid)
    return _custodian_open(opening, opening_private_key(bid.tender), actor)


def _custodian_open(opening: BidOpening, key: PrivateKey, actor: Any) -> BidOpening:
    return _record_opened(opening, "custodians", actor, _open_bid(opening.bid, opening_key=key))


def _open_all(rows: list[BidOpening], key: PrivateKey) -> Iterator[opener.Opened]:
    """The file work of a batch, in order, on ``GGZY_OPENING_WORKERS`` threads: the hashing
    (hashlib) and file reads release the GIL. (Worker processes were measured too: no faster
    on two cores once results are pickled back, and they re-import the main module.)"""
    workers = max(1, min(settings.GGZY_OPENING_WORKERS, len(rows)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_open_bid, r.bid, opening_key=key) for r in rows]
        try:
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


def custodian_decrypt_all(*, actor: Any, tender: Tender) -> int:
    """Open every bid still undecrypted with the custodians' quorum key: the file work (read,
    hash, decrypt, hash) runs in parallel (``_open_all``) while the ledger entries are written
    here and the rows in bulk, in one transaction (so the inline sequencer integrates their
    entries once, at the end)."""
    _staff(actor)
    session = _session(tender, OpeningState.DECRYPTING)
    key = opening_private_key(tender)
    with transaction.atomic():
        _still_decrypting(session.pk)  # a termination committed meanwhile stops the batch
        # the rows are locked for the batch: a bidder releasing its key meanwhile waits, then
        # finds its bid decrypted (CONFLICT) instead of overwriting the record
        pending = list(
            BidOpening.objects.select_for_update(of=("self",))
            .filter(session=session, decrypted_at__isnull=True)
            .select_related("bid", "bid__bidder", "bid__tender")
            .order_by("bid__received_at")
        )
        for row, done in zip(pending, _open_all(pending, key), strict=True):
            _apply_opened(row, "custodians", actor, done)
        _write_opened(pending)
    return len(pending)


def opening_record(*, actor: Any, tender: Tender) -> OpeningSession:
    """开标记录表: after the window (or when every bid is decrypted)."""
    _staff(actor)
    session = _session(tender, OpeningState.DECRYPTING)
    rows = list(
        BidOpening.objects.filter(session=session)
        .select_related("bid", "bid__bidder")
        .order_by("bid__received_at")
    )
    pending = [r for r in rows if r.decrypted_at is None]
    if pending and clock.now() <= session.decrypt_until:
        raise DomainError(
            ErrorCode.TENDER_STATE, f"尚有 {len(pending)} 份投标文件未解密，解密时间未结束"
        )
    rs = ruleset_of(tender)
    record_rows = []
    for r in rows:
        status = r.consistency if r.decrypted_at else Consistency.NOT_DECRYPTED
        record_rows.append(
            {
                "bidder": r.bid.bidder.name,
                "bidder_code": r.bid.bidder.uscc,
                "received_at": r.bid.received_at,
                "envelope_sha256": r.bid.envelope_sha256,
                "consistency": status,
                "detail": r.detail
                or (
                    "投标人未在解密时间内解密，视为撤销投标文件"
                    if status == Consistency.NOT_DECRYPTED
                    else ""
                ),
                "price": r.price,
            }
        )
    valid = sum(1 for row in record_rows if row["consistency"] == Consistency.CONSISTENT)
    minimum = int(rs.get("min_bidders"))
    failed = valid < minimum
    record = {
        "section": tender.section.code,
        "section_name": tender.section.name,
        "unified_deal_code": tender.section.unified_deal_code,
        "opened_at": session.started_at,
        "place": tender.opening_place,
        "max_price": tender.section.max_price,
        "rows": record_rows,
        "valid_bids": valid,
        "result": "failed" if failed else "opened",
        "ruleset": tender.ruleset_label,
    }
    canonical = canonical_json(record)
    with transaction.atomic():
        _lock_tender(tender)
        changed = OpeningSession.objects.filter(
            pk=session.pk, state=OpeningState.DECRYPTING
        ).update(
            state=OpeningState.FAILED if failed else OpeningState.RECORDED,
            record=json.loads(canonical),
            record_sha256=hashlib.sha256(canonical).hexdigest(),
            version=F("version") + 1,
        )
        if changed != 1:
            raise DomainError(ErrorCode.CONFLICT)
        if failed:
            Tender.objects.filter(pk=tender.pk).update(status=TenderStatus.FAILED)
        session.refresh_from_db()
        _event(
            "recorded",
            session,
            actor,
            {
                "record_sha256": session.record_sha256,
                "valid_bids": valid,
                "result": record["result"],
            },
            tender,
        )
        if failed:
            from ggzy.disclosure import sources as disclosure  # 流标公告 with the record

            disclosure.opening_closed(session, actor)
    return session


def bidder_confirm(*, actor: Any, bid: Bid, objection: str = "") -> BidOpening:
    """报价确认 / 现场异议 (T17): the bidder confirms the record or raises an objection."""
    _bidder_member(actor, bid)
    _session(bid.tender, OpeningState.RECORDED)
    objection = (objection or "").strip()[:5000]
    with transaction.atomic():
        if (
            BidOpening.objects.filter(bid=bid, confirmed_at__isnull=True).update(
                confirmed_at=clock.now(), objection=objection
            )
            != 1
        ):
            raise DomainError(ErrorCode.CONFLICT, "已确认")
        opening = BidOpening.objects.get(bid=bid)
        _event(
            "confirmed",
            opening,
            actor,
            {
                "bidder": bid.bidder.uscc,
                "objection": bool(objection),
                "objection_sha256": hashlib.sha256(objection.encode()).hexdigest()
                if objection
                else None,
            },
            bid.tender,
        )
    return opening


def objection_answer_on_spot(*, actor: Any, bid: Bid, answer: str) -> BidOpening:
    if not can_manage_tender(actor, bid.tender.section.tender_project):
        raise DomainError(ErrorCode.PERMISSION_DENIED)
    answer = (answer or "").strip()
    if not answer:
        raise DomainError(ErrorCode.VALIDATION, "请填写答复", field="answer")
    with transaction.atomic():
        if (
            BidOpening.objects.filter(bid=bid)
            .exclude(objection="")
            .filter(objection_answer="")
            .update(objection_answer=answer)
            != 1
        ):
            raise DomainError(ErrorCode.CONFLICT, "没有待答复的开标异议")
        opening = BidOpening.objects.get(bid=bid)
        _event(
            "objection_answered",
            opening,
            actor,
            {"answer_sha256": hashlib.sha256(answer.encode()).hexdigest()},
            bid.tender,
        )
    return opening


def opening_close(*, actor: Any, tender: Tender) -> OpeningSession:
    _staff(actor)
    session = _session(tender, OpeningState.RECORDED)
    if (
        BidOpening.objects.filter(session=session)
        .exclude(objection="")
        .filter(objection_answer="")
        .exists()
    ):
        raise DomainError(ErrorCode.TENDER_STATE, "尚有开标异议未答复")
    with transaction.atomic():
        _lock_tender(tender)
        if (
            OpeningSession.objects.filter(pk=session.pk, state=OpeningState.RECORDED).update(
                state=OpeningState.CLOSED, closed_at=clock.now()
            )
            != 1
        ):
            raise DomainError(ErrorCode.CONFLICT)
        Tender.objects.filter(pk=tender.pk, status=TenderStatus.OPENING).update(
            status=TenderStatus.OPENED
        )
        session.refresh_from_db()
        _event("closed", session, actor, {"record_sha256": session.record_sha256}, tender)
        from ggzy.disclosure import sources as disclosure  # 开标记录 → public notice index

        disclosure.opening_closed(session, actor)
    return session
