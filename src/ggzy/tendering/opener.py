"""The consistency check (投标文件一致性判断) of one stored envelope, with no Django: run in the
request's thread for one bid, on a thread pool for the custodians' batch.

One pass over the stored file: the ciphertext's SHA-256 must equal the receipt's, every chunk
must authenticate, the plaintext's SHA-256 must equal the bidder's signed commitment; then the
price form (开标一览表) is read from the package. The plaintext goes to memory (or, above
``memory_limit``, to an anonymous temporary file) and is dropped: nothing decrypted is kept.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ggzy.bidkit.errors import BidkitError
from ggzy.bidkit.package import read_package
from ggzy.crypto import envelope as env
from ggzy.crypto.errors import CommitmentMismatchError, CryptoError
from ggzy.crypto.suites import PrivateKey

# the values of tendering.models.Consistency (this module must not import Django)
CONSISTENT = "consistent"
MISMATCH = "commitment_mismatch"
TAMPERED = "tampered"
HASH_MISMATCH = "receipt_mismatch"

# ``Opened.error``: a released content key that does not open this envelope is the bidder's
# mistake, not a property of the bid — the caller refuses it instead of recording anything
WRONG_KEY = "wrong_key"


@dataclass(frozen=True)
class Opened:
    """The outcome of the check for one bid, before it is recorded."""

    consistency: str
    detail: str
    content_key: bytes
    plaintext_sha256: str
    price: dict[str, Any]
    error: str = ""


class _Hashing:
    """A read-through stream that hashes what it reads."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.stream.read(size)
        self.digest.update(data)
        return data

    def finish(self) -> str:
        while self.read(1024 * 1024):
            pass
        return self.digest.hexdigest()


class _Chunks:
    """A write-only sink keeping the decrypted chunks as they come (no growing buffer: a
    BytesIO re-allocates and copies as it grows, which cost as much as a SHA-256 pass)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(data)
        return len(data)

    def readable(self) -> BinaryIO:
        """The whole plaintext as a seekable file (one join; BytesIO shares the bytes)."""
        return io.BytesIO(b"".join(self.parts))

    def close(self) -> None:
        self.parts.clear()


def _sink(length: int, memory_limit: int) -> Any:
    if length <= memory_limit:
        return _Chunks()
    return tempfile.TemporaryFile()


def open_stored(
    stored: BinaryIO,
    *,
    envelope_sha256: str,
    label: str,
    memory_limit: int,
    content_key: bytes | None = None,
    opening_key: PrivateKey | None = None,
) -> Opened:
    """Check one envelope read from ``stored``: give the bidder's released ``content_key``,
    or the custodians' ``opening_key`` to unwrap it from the header."""
    consistency, detail, plain_sha = CONSISTENT, "", ""
    out: Any = None
    try:
        reader = _Hashing(stored)
        try:
            header = env.read_header(reader)
            if content_key is None:
                if opening_key is None:
                    raise ValueError("open_stored needs content_key or opening_key")
                try:
                    content_key = env.unwrap_content_key(header, opening_key)
                except CryptoError:
                    # the quorum key was checked against the tender's announced public key
                    # when it was recovered: a wrapped key it cannot open is a damaged bid,
                    # recorded as such (not a refusal that would stall the whole opening)
                    consistency = TAMPERED
                    detail = "开标私钥无法解开该投标文件的内容密钥（文件头已损坏）"
            if content_key is not None:
                out = _sink(header.plaintext_length, memory_limit)
                result = env.open_envelope(reader, out, content_key, header=header)
                plain_sha = result.digest.hex()
        except CommitmentMismatchError:
            consistency, detail = MISMATCH, "解密结果与投标人签名的承诺摘要不一致"
        except CryptoError as exc:
            code = str(getattr(exc, "code", ""))
            if code == "wrong_key":
                return Opened("", "", b"", "", {}, error=WRONG_KEY)
            consistency, detail = TAMPERED, f"密文校验失败：{code}"
        if reader.finish() != envelope_sha256:
            consistency, detail = HASH_MISMATCH, "存储的投标文件摘要与回执不一致"
        if consistency != CONSISTENT or out is None or content_key is None:
            return Opened(consistency, detail, b"", "", {})
        price: dict[str, Any] = {}
        try:
            # the commitment already covers every byte of the package: no second digest pass
            package = out.readable() if isinstance(out, _Chunks) else out
            info = read_package(Path(label), check_digests=False, sha256=plain_sha, fileobj=package)
            price = info.price_form.to_json()
        except BidkitError as exc:
            detail = f"投标文件包无法读取：{exc.message_zh}"
        return Opened(consistency, detail, bytes(content_key), plain_sha, price)
    finally:
        if out is not None:
            out.close()
