"""Sealed bids (密封投标): resumable chunked upload, submission before the deadline with a
signed receipt (回执), modification and withdrawal, deposits, and custodians' share release.

The deadline is a rule, not a person (DOMAIN T14): ``bid_submit`` takes the server clock
inside the transaction that locks the tender row, and refuses when the receipt time is not
strictly before ``bid_deadline``; the rule version is recorded with the bid's ledger entry.
Opening moves the tender out of ANNOUNCED under the same lock, so no bid can slip in after.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import uuid
from decimal import Decimal
from typing import IO, Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from ggzy import clock, ledger
from ggzy.accounts.permissions import Perm, has_perm, require
from ggzy.core import platform_key
from ggzy.core.canonical import canonical_json
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.crypto import envelope as env
from ggzy.crypto.errors import CryptoError
from ggzy.crypto.suites import PublicKey
from ggzy.registry.models import EntityKey, KeyPurpose, Membership, MembershipStatus, Organization
from ggzy.registry.models import Role as RegistryRole
from ggzy.tendering.models import (
    Bid,
    BidStatus,
    BidUpload,
    CustodianShare,
    Deposit,
    Tender,
    TenderStatus,
    UploadChunk,
    UploadStatus,
)

_HEX64 = re.compile(r"[0-9a-f]{64}")

DEADLINE_RULE = "deadline-rule/v1"  # the code path that decides lateness, recorded per bid
MIN_CHUNK = 256 * 1024
MAX_CHUNK = 16 * 1024 * 1024
DEFAULT_CHUNK = 8 * 1024 * 1024


def _check_bidder(actor: Any, bidder: Organization) -> None:
    require(actor, Perm.TENDERING_BID_WRITE)
    if not Membership.objects.filter(
        organization=bidder,
        person__user=actor,
        role=RegistryRole.BIDDER,
        status=MembershipStatus.ACTIVE,
    ).exists():
        raise DomainError(ErrorCode.BID_NOT_MEMBER)


def _open_for_bids(tender: Tender) -> None:
    if tender.status != TenderStatus.ANNOUNCED or tender.bid_deadline is None:
        raise DomainError(ErrorCode.TENDER_STATE, "该招标当前不接收投标文件")
    if clock.now() >= tender.bid_deadline:
        raise DomainError(ErrorCode.BID_DEADLINE_PASSED)


def _chunk_path(upload: BidUpload, index: int) -> str:
    return f"bid-uploads/{upload.pk}/{index:06d}"


def upload_start(
    *,
    actor: Any,
    tender: Tender,
    bidder: Organization,
    size: int,
    sha256: str,
    chunk_size: int = DEFAULT_CHUNK,
) -> BidUpload:
    """Open a resumable upload for one sealed bid."""
    from django.conf import settings

    _check_bidder(actor, bidder)
    _open_for_bids(tender)
    sha256 = (sha256 or "").lower()
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise DomainError(ErrorCode.UPLOAD_INVALID, "sha256 应为 64 位十六进制", field="sha256")
    if not 0 < size <= settings.GGZY_MAX_BID_BYTES:
        raise DomainError(
            ErrorCode.FILE_TOO_LARGE,
            f"投标文件大小应在 1 字节到 {settings.GGZY_MAX_BID_BYTES // 1024**2} MB 之间",
            field="size",
        )
    if not MIN_CHUNK <= chunk_size <= MAX_CHUNK:
        raise DomainError(
            ErrorCode.UPLOAD_INVALID, "分片大小应在 256 KiB 到 16 MiB 之间", field="chunk_size"
        )
    with transaction.atomic():
        upload = BidUpload.objects.create(
            tender=tender,
            bidder=bidder,
            user=actor,
            size=size,
            sha256=sha256,
            chunk_size=chunk_size,
            created_at=clock.now(),
        )
        ledger.record(
            "tendering:upload:started",
            upload,
            actor,
            {"tender": tender.pk, "bidder": bidder.uscc, "size": size, "envelope_sha256": sha256},
        )
    return upload


def upload_chunk(
    *, actor: Any, upload: BidUpload, index: int, data: bytes, sha256: str
) -> UploadChunk:
    """Store chunk ``index``; sending the same chunk again is harmless."""
    if upload.user_id != getattr(actor, "pk", None):
        raise DomainError(ErrorCode.NOT_FOUND)
    if upload.status != UploadStatus.RECEIVING:
        raise DomainError(ErrorCode.TENDER_STATE, "该上传已结束")
    _open_for_bids(upload.tender)
    if not 0 <= index < upload.chunk_count:
        raise DomainError(ErrorCode.UPLOAD_INVALID, "分片序号超出范围", field="index")
    expected = (
        upload.chunk_size
        if index < upload.chunk_count - 1
        else upload.size - upload.chunk_size * (upload.chunk_count - 1)
    )
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != expected or digest != (sha256 or "").lower():
        raise DomainError(
            ErrorCode.CHUNK_MISMATCH,
            detail={"index": index, "expected_size": expected, "got_size": len(data)},
        )
    existing = UploadChunk.objects.filter(upload=upload, index=index).first()
    if existing is not None:
        if existing.sha256 != digest:
            raise DomainError(ErrorCode.CHUNK_MISMATCH, "该分片已以不同内容上传")
        return existing
    path = default_storage.save(_chunk_path(upload, index), ContentFile(data))
    if path != _chunk_path(upload, index):  # a concurrent duplicate; keep the first
        default_storage.delete(path)
    try:
        with transaction.atomic():
            return UploadChunk.objects.create(
                upload=upload, index=index, sha256=digest, size=len(data)
            )
    except IntegrityError:
        return UploadChunk.objects.get(upload=upload, index=index)


def upload_received(upload: BidUpload) -> list[int]:
    return list(upload.chunks.order_by("index").values_list("index", flat=True))


def _assemble(upload: BidUpload, out: IO[bytes]) -> tuple[str, str]:
    """Join the chunks into ``out``: (SHA-256, MD5) of the whole envelope. The MD5 is the
    data spec's BID_DOCUMENT_MD5 (投标文件 MD5), kept for the exports, never for security."""
    digest = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False)
    for index in range(upload.chunk_count):
        with default_storage.open(_chunk_path(upload, index), "rb") as part:
            while block := part.read(1024 * 1024):
                digest.update(block)
                md5.update(block)
                out.write(block)
    out.flush()
    out.seek(0)
    return digest.hexdigest(), md5.hexdigest()


def _signing_key(bidder: Organization, kid: str) -> PublicKey:
    for key in EntityKey.objects.filter(
        organization=bidder, purpose=KeyPurpose.SIGN, revoked_at__isnull=True, key_id=kid
    ):
        return PublicKey.from_text(key.public_key)
    raise DomainError(
        ErrorCode.ENVELOPE_INVALID, "投标文件签名密钥未在平台登记或已撤销", field="signer"
    )


def _check_envelope(tender: Tender, bidder: Organization, stream: IO[bytes], size: int) -> Any:
    try:
        header = env.read_header(stream)
    except CryptoError as exc:
        raise DomainError(ErrorCode.ENVELOPE_INVALID, detail={"reason": str(exc)}) from exc
    if header.tender_ref != tender.section.code:
        raise DomainError(ErrorCode.ENVELOPE_INVALID, "投标文件所投标段与本标段不符")
    if header.bidder_ref != bidder.uscc:
        raise DomainError(ErrorCode.ENVELOPE_INVALID, "投标文件中的投标人与上传单位不符")
    if header.envelope_length != size:
        raise DomainError(ErrorCode.ENVELOPE_INVALID, "投标文件长度与文件头不符（可能被截断）")
    if not any(r.kid == tender.opening_key_id for r in header.recipients):
        raise DomainError(ErrorCode.ENVELOPE_INVALID, "投标文件未对本标段的开标公钥加密")
    try:
        env.verify_header_signature(header, _signing_key(bidder, header.signer_kid))
    except CryptoError as exc:
        raise DomainError(ErrorCode.ENVELOPE_INVALID, "投标文件签名验证失败") from exc
    return header


def upload_complete(
    *, actor: Any, upload: BidUpload, fingerprint: dict[str, Any] | None = None
) -> Bid:
    """Assemble the chunks, check the envelope, and submit it (see ``bid_submit``)."""
    if upload.user_id != getattr(actor, "pk", None):
        raise DomainError(ErrorCode.NOT_FOUND)
    if upload.status != UploadStatus.RECEIVING:
        raise DomainError(ErrorCode.TENDER_STATE, "该上传已结束")
    missing = sorted(set(range(upload.chunk_count)) - set(upload_received(upload)))
    if missing:
        raise DomainError(ErrorCode.UPLOAD_INCOMPLETE, detail={"missing": missing[:100]})
    with tempfile.TemporaryFile() as tmp:
        digest, md5 = _assemble(upload, tmp)
        if digest != upload.sha256:
            raise DomainError(ErrorCode.CHUNK_MISMATCH, "合并后的文件摘要与声明不符")
        header = _check_envelope(upload.tender, upload.bidder, tmp, upload.size)
        tmp.seek(0)
        bid = bid_submit(
            actor=actor,
            upload=upload,
            header=header,
            stream=tmp,
            fingerprint=fingerprint or {},
            envelope_md5=md5,
        )
    for index in range(upload.chunk_count):
        default_storage.delete(_chunk_path(upload, index))
    return bid


def clean_fingerprint(fingerprint: dict[str, Any] | None) -> dict[str, Any]:
    """The bid-file feature record (投标文件特征码) as stored: short text values, and the
    bidkit record's ``fields`` — ``{name: [sha256 hex, …]}`` of hashed CPU/disk/MAC/IP
    identifiers that collusion checks compare — kept as a structure, hex digests only."""
    given = fingerprint or {}
    clean: dict[str, Any] = {
        str(k)[:60]: [str(x)[:60] for x in v[:16]] if isinstance(v, list) else str(v)[:200]
        for k, v in list(given.items())[:40]
        if k != "fields"
    }
    fields = given.get("fields")
    if isinstance(fields, dict):
        clean["fields"] = {
            str(name)[:40]: [h for h in values if isinstance(h, str) and _HEX64.fullmatch(h)][:16]
            for name, values in list(fields.items())[:16]
            if isinstance(values, list)
        }
    return clean


def bid_submit(
    *,
    actor: Any,
    upload: BidUpload,
    header: Any,
    stream: IO[bytes],
    fingerprint: dict[str, Any],
    envelope_md5: str = "",
) -> Bid:
    """Receive a checked envelope: the deadline rule, the receipt, the ledger entry."""
    tender = upload.tender
    bid_id = uuid.uuid4()
    stored = default_storage.save(f"bids/{tender.pk}/{bid_id}.ggzyenv", File(stream))
    fingerprint_clean = clean_fingerprint(fingerprint)
    try:
        with transaction.atomic():
            locked = Tender.objects.select_for_update().get(pk=tender.pk)
            received_at = clock.now()
            if locked.status != TenderStatus.ANNOUNCED or locked.bid_deadline is None:
                raise DomainError(ErrorCode.TENDER_STATE, "该招标当前不接收投标文件")
            if received_at >= locked.bid_deadline:
                raise DomainError(
                    ErrorCode.BID_DEADLINE_PASSED,
                    detail={
                        "received_at": received_at.isoformat(),
                        "bid_deadline": locked.bid_deadline.isoformat(),
                        "rule": DEADLINE_RULE,
                    },
                )
            previous = list(
                Bid.objects.filter(tender=tender, bidder=upload.bidder, status=BidStatus.SUBMITTED)
            )
            Bid.objects.filter(pk__in=[b.pk for b in previous]).update(status=BidStatus.SUPERSEDED)
            payload = {
                "bid": str(bid_id),
                "section": tender.section.code,
                "bidder": upload.bidder.uscc,
                "envelope_sha256": upload.sha256,
                "size": upload.size,
                "commitment": header.commitment.hex(),
                "suite": header.suite.name,
                "received_at": received_at,
                "bid_deadline": locked.bid_deadline,
                "supersedes": [str(b.pk) for b in previous],
                "fingerprint_sha256": hashlib.sha256(canonical_json(fingerprint_clean)).hexdigest(),
            }
            entry = ledger.record(
                "tendering:bid:received",
                ("tendering.bid", str(bid_id)),
                actor,
                payload,
                rule_version=f"{locked.ruleset_label};{DEADLINE_RULE}",
            )
            receipt = platform_key.sign_document(
                {"type": "ggzy.bid-receipt/v1", **_jsonable(payload), "ledger_entry": entry.pk}
            )
            bid = Bid.objects.create(
                id=bid_id,
                tender=tender,
                bidder=upload.bidder,
                submitted_by=actor,
                envelope=stored,
                envelope_sha256=upload.sha256,
                envelope_md5=envelope_md5,
                size=upload.size,
                commitment=header.commitment.hex(),
                suite=header.suite.name,
                signer_key_id=header.signer_kid,
                fingerprint=fingerprint_clean,
                received_at=received_at,
                receipt=receipt,
                ledger_entry_id=entry.pk,
            )
            BidUpload.objects.filter(pk=upload.pk).update(status=UploadStatus.COMPLETE)
    except BaseException:
        default_storage.delete(stored)  # nothing kept for a refused bid
        raise
    return bid


def _jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    import json

    return dict(json.loads(canonical_json(payload)))


def bid_withdraw(*, actor: Any, bid: Bid) -> Bid:
    """撤回 before the deadline (T13): the deposit is refunded."""
    _check_bidder(actor, bid.bidder)
    with transaction.atomic():
        locked = Tender.objects.select_for_update().get(pk=bid.tender_id)
        now = clock.now()
        if locked.status != TenderStatus.ANNOUNCED or now >= (locked.bid_deadline or now):
            raise DomainError(ErrorCode.BID_DEADLINE_PASSED, "投标截止后不能撤回投标文件")
        if (
            Bid.objects.filter(pk=bid.pk, status=BidStatus.SUBMITTED).update(
                status=BidStatus.WITHDRAWN
            )
            != 1
        ):
            raise DomainError(ErrorCode.CONFLICT, "该投标文件已撤回或已被替换")
        bid.refresh_from_db()
        ledger.record(
            "tendering:bid:withdrawn", bid, actor, {"envelope_sha256": bid.envelope_sha256}
        )
    return bid


def can_record_deposit(tender: Tender, actor: Any) -> bool:
    """The guard the deposits page uses to offer the form (the service checks the same)."""
    return (
        has_perm(actor, Perm.TENDERING_DEPOSIT_WRITE)
        and bool(tender.deposit_amount)
        and tender.status != TenderStatus.TERMINATED
    )


def _not_terminated(status: str) -> None:
    if status == TenderStatus.TERMINATED:
        raise DomainError(
            ErrorCode.TENDER_STATE,
            "该招标已终止，不再登记投标保证金（已收取的保证金应予退还）",
            field="status",
            detail={"status": status},
        )


def deposit_record(
    *,
    actor: Any,
    tender: Tender,
    bidder: Organization,
    amount: Decimal,
    payer_account_name: str,
    payer_account_no: str,
    payer_bank: str,
    is_basic_account: bool = True,
) -> Deposit:
    """投标保证金到账 (T11): recorded by the centre (or its bank integration). Refused for a
    terminated tender (终止招标: its deposits are being refunded, 实施条例第三十一条) — checked
    again under the tender's row lock, the lock :func:`termination.tender_terminate` takes,
    so a deposit is either refused or recorded before the termination marks it refund-due."""
    require(actor, Perm.TENDERING_DEPOSIT_WRITE)
    _not_terminated(tender.status)
    if tender.deposit_amount is None:
        raise DomainError(ErrorCode.VALIDATION, "本标段不收取投标保证金")
    if amount != tender.deposit_amount:
        raise DomainError(
            ErrorCode.VALIDATION, f"保证金金额应为 {tender.deposit_amount:.2f} 元", field="amount"
        )
    if not is_basic_account:
        raise DomainError(
            ErrorCode.VALIDATION, "投标保证金应从投标人的基本账户转出", field="is_basic_account"
        )
    name = (payer_account_name or "").strip()
    if name != bidder.name:
        raise DomainError(
            ErrorCode.VALIDATION, "付款账户名称应与投标人名称一致", field="payer_account_name"
        )
    try:
        with transaction.atomic():
            _not_terminated(
                Tender.objects.select_for_update()
                .filter(pk=tender.pk)
                .values_list("status", flat=True)
                .get()
            )
            deposit = Deposit.objects.create(
                tender=tender,
                bidder=bidder,
                amount=amount,
                payer_account_name=name,
                payer_account_no=payer_account_no.strip(),
                payer_bank=payer_bank.strip(),
                is_basic_account=True,
                paid_at=clock.now(),
            )
            ledger.record(
                "tendering:deposit:received",
                deposit,
                actor,
                {
                    "tender": tender.pk,
                    "bidder": bidder.uscc,
                    "amount": amount,
                    "payer_bank": deposit.payer_bank,
                    "payer_account_tail": deposit.payer_account_no[-4:],
                },
            )
    except IntegrityError as exc:
        raise DomainError(ErrorCode.CONFLICT, "该投标人的保证金已登记") from exc
    return deposit


def share_release(*, actor: Any, share: CustodianShare, plaintext_share: bytes) -> CustodianShare:
    """A custodian hands its unsealed share to the opening — only after the deadline."""
    from ggzy.crypto import shamir

    if share.custodian_id != getattr(actor, "pk", None):
        raise DomainError(ErrorCode.PERMISSION_DENIED, "只有该分片的保管人可以释放")
    tender = share.tender
    now = clock.now()
    if tender.status == TenderStatus.TERMINATED:  # nothing left to open (终止招标)
        raise DomainError(ErrorCode.TENDER_STATE, "招标已终止，不再释放开标密钥分片")
    if tender.bid_deadline is None or now < tender.bid_deadline:
        raise DomainError(ErrorCode.SHARE_TOO_EARLY)
    try:
        shamir.Share.from_bytes(plaintext_share)
    except (CryptoError, ValueError) as exc:
        raise DomainError(ErrorCode.KEY_INVALID, "密钥分片格式无效") from exc
    with transaction.atomic():
        if (
            CustodianShare.objects.filter(pk=share.pk, released_at__isnull=True).update(
                released_share=plaintext_share, released_at=now
            )
            != 1
        ):
            raise DomainError(ErrorCode.CONFLICT, "该分片已释放")
        share.refresh_from_db()
        ledger.record(
            "tendering:share:released",
            share,
            actor,
            {
                "tender": tender.pk,
                "role": share.role,
                "share_sha256": hashlib.sha256(plaintext_share).hexdigest(),
            },
        )
    return share
