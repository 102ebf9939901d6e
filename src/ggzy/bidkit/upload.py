"""The resumable chunked upload client (断点续传) for the platform's bid API.

Protocol (``docs/bidkit.md`` §"Upload protocol"), Bearer token on every request::

    POST {BASE}/api/v1/tendering/sections/{CODE}/uploads      Idempotency-Key: …
         {"size": int, "sha256": hex, "chunk_size": int}
      → 201 {"upload_id": str, "chunk_size": int, "received": [int, …]}
    PUT  {BASE}/api/v1/tendering/uploads/{ID}/chunks/{INDEX}  X-Chunk-SHA256: hex
         <raw bytes>                                           → 204 (idempotent)
    GET  {BASE}/api/v1/tendering/uploads/{ID}
      → 200 {"size", "chunk_size", "received": [...], "status"}
    POST {BASE}/api/v1/tendering/uploads/{ID}/complete         Idempotency-Key: …
         {"fingerprint": {…}}
      → 201 {"bid_id", "received_at", "envelope_sha256", "ledger_entry_id",
             "receipt": {…}, "signature": {…}}
    errors: {"code", "message"} (Chinese message)

Connection errors, 408, 429 and 5xx are retried with exponential backoff (honouring
``Retry-After``); after a failed chunk the client asks the platform which chunks it has
before sending again. A run that gives up leaves ``BID.ggzyenv.upload.json`` behind so
the next run continues the same upload. ``bid_deadline_passed`` is final: no retry.
Standard library only (``http.client``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ggzy.bidkit.errors import BidkitError, Code, ServerError
from ggzy.bidkit.sealing import (
    EnvelopeFacts,
    receipt_path,
    upload_state_path,
    write_json,
)
from ggzy.bidkit.transport import FINAL_CODES, ApiClient, Connection, Progress, RetryPolicy
from ggzy.crypto.envelope import canonical_json
from ggzy.crypto.errors import KeyFormatError, SignatureError
from ggzy.crypto.suites import INTL, KeyAlgorithm, PublicKey

__all__ = [
    "API_PREFIX",
    "FINAL_CODES",
    "RetryPolicy",
    "UploadResult",
    "parse_platform_key",
    "submit_envelope",
    "verify_receipt_signature",
]

API_PREFIX: Final = "/api/v1/tendering"
IDEMPOTENCY_PREFIX: Final = "ggzy-bidkit"  # shared with seal.js: either client resumes the other's
MAX_CHUNK_SIZE: Final = 64 << 20
_UPLOAD_ID: Final = re.compile(r"[A-Za-z0-9._~-]{1,200}")
_GONE_STATUSES: Final = frozenset({"expired", "aborted", "cancelled", "canceled", "failed"})
_MAX_ROUNDS: Final = 3


@dataclass(frozen=True, slots=True)
class UploadResult:
    """What a finished submission produced."""

    receipt: dict[str, Any]
    receipt_file: Path
    upload_id: str
    chunks_sent: int
    chunk_count: int


def _bad_response(what: str, detail: str) -> BidkitError:
    return BidkitError(
        Code.SERVER_RESPONSE,
        f"平台的响应无法识别（{what}）",
        f"{what}: unexpected response, {detail}",
    )


@dataclass(slots=True)
class _Upload:
    upload_id: str
    chunk_size: int
    received: set[int]
    status: str = ""


def _parse_upload(doc: Any, what: str, *, size: int, need_id: bool) -> _Upload:
    if not isinstance(doc, dict):
        raise _bad_response(what, "not a JSON object")
    upload_id = doc.get("upload_id", "")
    if need_id and (not isinstance(upload_id, str) or not _UPLOAD_ID.fullmatch(upload_id)):
        raise _bad_response(what, f"upload_id {upload_id!r}")
    chunk_size = doc.get("chunk_size")
    if type(chunk_size) is not int or not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise _bad_response(what, f"chunk_size {chunk_size!r}")
    if "size" in doc and doc["size"] != size:
        raise _bad_response(what, f"size {doc['size']!r} instead of {size}")
    count = _chunk_count(size, chunk_size)
    received = doc.get("received", [])
    if not isinstance(received, list) or any(
        type(i) is not int or not 0 <= i < count for i in received
    ):
        raise _bad_response(what, "received must list chunk indexes")
    status = doc.get("status", "")
    return _Upload(
        upload_id if isinstance(upload_id, str) else "",
        chunk_size,
        set(received),
        status if isinstance(status, str) else "",
    )


def _chunk_count(size: int, chunk_size: int) -> int:
    return max(1, -(-size // chunk_size))


def _idempotency_key(section: str, sha256: str, step: str) -> str:
    """The same envelope for the same section always reuses the same upload session."""
    digest = hashlib.sha256(f"{section}\n{sha256}\n{step}".encode()).hexdigest()
    return f"{IDEMPOTENCY_PREFIX}-{step}-{digest[:40]}"


def parse_platform_key(text: str) -> PublicKey:
    """The platform's Ed25519 receipt key: ``ed25519:<base64>`` or bare base64."""
    try:
        if ":" in text:
            key = PublicKey.from_text(text)
        else:
            key = PublicKey(KeyAlgorithm.ED25519, base64.b64decode(text, validate=True))
    except (KeyFormatError, binascii.Error, ValueError) as exc:
        raise BidkitError(
            Code.KEYS_INVALID,
            "平台公钥格式错误",
            "--platform-key must be ed25519:<base64> or the base64 of 32 bytes",
        ) from exc
    if key.algorithm is not KeyAlgorithm.ED25519:
        raise BidkitError(Code.KEYS_INVALID, "平台公钥须为 Ed25519", "need an Ed25519 key")
    return key


def verify_receipt_signature(receipt: Mapping[str, Any], platform_key: PublicKey) -> None:
    """Check ``signature`` over the canonical JSON of ``receipt["receipt"]``.

    Assumes the platform's signed-document convention (``ggzy.core.platform_key``):
    ``{"algorithm": "Ed25519", "key_id", "value": base64}`` over canonical JSON, no prefix.
    """
    body, signature = receipt.get("receipt"), receipt.get("signature")
    failure = BidkitError(
        Code.RECEIPT_SIGNATURE,
        "回执的平台签名验证失败",
        "the receipt's platform signature does not verify with --platform-key",
    )
    if not isinstance(body, dict) or not isinstance(signature, dict):
        raise failure
    value = signature.get("value")
    if not isinstance(value, str) or str(signature.get("algorithm", "")).lower() != "ed25519":
        raise failure
    try:
        INTL.verify(platform_key, canonical_json(body), base64.b64decode(value, validate=True))
    except (SignatureError, binascii.Error, ValueError) as exc:
        raise failure from exc


class _Session:
    """One submission of one envelope."""

    def __init__(
        self,
        client: ApiClient,
        facts: EnvelopeFacts,
        *,
        section: str,
        base_url: str,
        chunk_size: int,
        fingerprint: dict[str, Any],
    ) -> None:
        self.client = client
        self.fingerprint = fingerprint
        self.facts = facts
        self.section = section
        self.base_url = base_url
        self.requested_chunk_size = chunk_size
        self.state_file = upload_state_path(facts.path)
        self.chunks_sent = 0

    # -------------------------------------------------------------- upload session

    def _state_matches(self, state: Any) -> bool:
        return (
            isinstance(state, dict)
            and state.get("base_url") == self.base_url
            and state.get("section") == self.section
            and state.get("sha256") == self.facts.sha256
            and state.get("size") == self.facts.size
            and isinstance(state.get("upload_id"), str)
            and bool(_UPLOAD_ID.fullmatch(state["upload_id"]))
        )

    def status(self, upload_id: str) -> _Upload:
        response = self.client.call(
            "查询上传进度 upload status",
            "GET",
            f"{API_PREFIX}/uploads/{upload_id}",
            expect=(200,),
        )
        upload = _parse_upload(
            response.json(), "upload status", size=self.facts.size, need_id=False
        )
        upload.upload_id = upload_id
        return upload

    def _resume(self) -> _Upload | None:
        try:
            state = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not self._state_matches(state):
            return None
        try:
            upload = self.status(state["upload_id"])
        except ServerError as exc:
            if exc.status in (404, 410):
                return None
            raise
        if upload.status.lower() in _GONE_STATUSES:
            return None
        self.client.progress(
            f"继续上次的上传 resuming upload {upload.upload_id}: "
            f"{len(upload.received)} chunk(s) already on the platform"
        )
        return upload

    def _create(self) -> _Upload:
        body = json.dumps(
            {
                "size": self.facts.size,
                "sha256": self.facts.sha256,
                "chunk_size": self.requested_chunk_size,
            }
        ).encode()
        section = urllib.parse.quote(self.section, safe="")
        response = self.client.call(
            "创建上传 create upload",
            "POST",
            f"{API_PREFIX}/sections/{section}/uploads",
            expect=(200, 201),
            body=body,
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": _idempotency_key(self.section, self.facts.sha256, "upload"),
            },
        )
        upload = _parse_upload(response.json(), "create upload", size=self.facts.size, need_id=True)
        write_json(
            self.state_file,
            {
                "base_url": self.base_url,
                "section": self.section,
                "sha256": self.facts.sha256,
                "size": self.facts.size,
                "upload_id": upload.upload_id,
                "chunk_size": upload.chunk_size,
            },
        )
        return upload

    # -------------------------------------------------------------- chunks

    def _put_chunk(self, upload: _Upload, index: int, data: bytes) -> None:
        path = f"{API_PREFIX}/uploads/{upload.upload_id}/chunks/{index}"
        headers = {
            "Content-Type": "application/octet-stream",
            "X-Chunk-SHA256": hashlib.sha256(data).hexdigest(),
        }

        def attempt() -> bool:
            self.client.once("PUT", path, expect=(200, 201, 204), body=data, headers=headers)
            return True

        def already_there() -> bool:
            # After a failure, ask which chunks arrived: the platform may have stored it.
            fresh = self.status(upload.upload_id)
            upload.received |= fresh.received
            return index in upload.received

        self.client.retrying(f"上传分块 chunk {index}", attempt, recovered=already_there)
        upload.received.add(index)
        self.chunks_sent += 1

    def _send_missing(self, upload: _Upload, count: int) -> None:
        missing = [i for i in range(count) if i not in upload.received]
        with self.facts.path.open("rb") as f:
            for index in missing:
                if index in upload.received:  # learned meanwhile from a status query
                    continue
                f.seek(index * upload.chunk_size)
                data = f.read(upload.chunk_size)
                self._put_chunk(upload, index, data)
                self.client.progress(
                    f"已上传 uploaded chunk {index + 1}/{count} "
                    f"({len(upload.received)}/{count} on the platform)"
                )

    # -------------------------------------------------------------- run

    def run(self) -> tuple[_Upload, dict[str, Any]]:
        upload = self._resume() or self._create()
        count = _chunk_count(self.facts.size, upload.chunk_size)
        for _round in range(_MAX_ROUNDS):
            self._send_missing(upload, count)
            upload = self.status(upload.upload_id)
            if upload.received >= set(range(count)):
                break
        else:
            raise BidkitError(
                Code.SERVER_RESPONSE,
                "平台始终未确认收到全部分块",
                f"the platform still lacks chunks {sorted(set(range(count)) - upload.received)}",
            )
        return upload, self._complete(upload)

    def _complete(self, upload: _Upload) -> dict[str, Any]:
        response = self.client.call(
            "确认递交 complete",
            "POST",
            f"{API_PREFIX}/uploads/{upload.upload_id}/complete",
            expect=(200, 201),
            body=json.dumps({"fingerprint": self.fingerprint}, ensure_ascii=False).encode(),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": _idempotency_key(self.section, self.facts.sha256, "complete"),
            },
        )
        receipt = response.json()
        if not isinstance(receipt, dict) or not isinstance(receipt.get("envelope_sha256"), str):
            raise _bad_response("complete", "no envelope_sha256 in the receipt")
        return receipt


def submit_envelope(
    facts: EnvelopeFacts,
    *,
    base_url: str,
    token: str,
    section: str,
    fingerprint: dict[str, Any],
    chunk_size: int = 1 << 20,
    policy: RetryPolicy | None = None,
    timeout: float = 60.0,
    platform_key: PublicKey | None = None,
    progress: Progress | None = None,
) -> UploadResult:
    """Upload the envelope described by ``facts`` and check the receipt (回执).

    The receipt is saved as ``BID.ggzyenv.receipt.json`` — also when its
    ``envelope_sha256`` differs from ours, as evidence, before ``receipt_mismatch`` is
    raised.
    """
    if facts.header.tender_ref != section:
        raise BidkitError(
            Code.SECTION_MISMATCH,
            f"该加密投标文件属于标段 {facts.header.tender_ref}，不是 {section}",
            f"the envelope was sealed for section {facts.header.tender_ref!r}, not {section!r}",
        )
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise BidkitError(
            Code.USAGE,
            f"分块大小应在 1 到 {MAX_CHUNK_SIZE} 字节之间",
            f"--chunk-size must be 1..{MAX_CHUNK_SIZE}",
        )
    http = Connection(base_url, token, timeout=timeout)
    client = ApiClient(http, policy or RetryPolicy(), progress or (lambda _message: None))
    session = _Session(
        client,
        facts,
        section=section,
        base_url=base_url,
        chunk_size=chunk_size,
        fingerprint=fingerprint,
    )
    try:
        upload, receipt = session.run()
    finally:
        http.close()
    out = receipt_path(facts.path)
    write_json(out, receipt)
    session.state_file.unlink(missing_ok=True)
    if receipt["envelope_sha256"].lower() != facts.sha256:
        raise BidkitError(
            Code.RECEIPT_MISMATCH,
            f"回执中的文件摘要与本地加密投标文件不一致！请立即联系平台。回执已保存：{out}",
            f"the receipt names envelope {receipt['envelope_sha256']}, ours is {facts.sha256}; "
            f"receipt kept in {out}",
        )
    if platform_key is not None:
        verify_receipt_signature(receipt, platform_key)
    return UploadResult(
        receipt=receipt,
        receipt_file=out,
        upload_id=upload.upload_id,
        chunks_sent=session.chunks_sent,
        chunk_count=_chunk_count(facts.size, upload.chunk_size),
    )
