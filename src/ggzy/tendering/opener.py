"""The consistency check (投标文件一致性判断) of one stored envelope, with no Django: run in the
request's thread for one bid, on a thread pool for the custodians' batch.

The ciphertext's SHA-256 must equal the receipt's, every chunk must authenticate, the
plaintext's SHA-256 must equal the bidder's signed commitment; then the price form (开标一览表)
is read from the package. The plaintext goes to memory (or, above ``memory_limit``, to an
anonymous temporary file) and is dropped: nothing decrypted is kept.

A stored file with a descriptor is memory-mapped and read without copies: the receipt hash
runs over the mapping, each chunk is decrypted from a slice of it, and the price form is read
from the list of decrypted chunks (no joined copy of the package). Only the two hash passes and
the decryption touch every byte — ``bench/bench_tendering.py`` measures that against raw
AES-GCM + SHA-256. Other streams (tests, remote storage) take the streaming path.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import mmap
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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
        """The whole plaintext as a seekable file, reading from the chunks (no joined copy)."""
        return io.BufferedReader(_PartsFile(self.parts), buffer_size=64 * 1024)

    def close(self) -> None:
        self.parts.clear()


class _PartsFile(io.RawIOBase):
    """A read-only, seekable file over a list of byte strings (the price form and manifest
    are a few KiB near the end of a package whose documents can be hundreds of MiB)."""

    def __init__(self, parts: list[bytes]) -> None:
        self._parts = parts
        self._starts: list[int] = []
        total = 0
        for part in parts:
            self._starts.append(total)
            total += len(part)
        self._size = total
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise OSError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._pos < self._size:
            index = bisect.bisect_right(self._starts, self._pos) - 1
            part = self._parts[index]
            start = self._pos - self._starts[index]
            n = min(len(view) - done, len(part) - start)
            view[done : done + n] = part[start : start + n]
            done += n
            self._pos += n
        return done


class _View:
    """A stream over a mapped file whose reads are zero-copy slices (``memoryview``)."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._pos = 0

    def read(self, size: int = -1) -> memoryview:
        end = len(self._view) if size < 0 else min(len(self._view), self._pos + size)
        data = self._view[self._pos : end]
        self._pos = end
        return data


@contextmanager
def _mapped(stored: Any) -> Iterator[memoryview | None]:
    """The stored file mapped read-only, or None where it has no descriptor (or is empty)."""
    try:
        fileno = stored.fileno()
        size = os.fstat(fileno).st_size
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        yield None
        return
    if size == 0:
        yield None
        return
    with mmap.mmap(fileno, size, access=mmap.ACCESS_READ) as mapping:
        view = memoryview(mapping)
        try:
            yield view
        finally:
            view.release()


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
    with _mapped(stored) as view:
        if view is None:
            return _open(
                _Hashing(stored), envelope_sha256, label, memory_limit, content_key, opening_key
            )
        return _open(
            _View(view),
            envelope_sha256,
            label,
            memory_limit,
            content_key,
            opening_key,
            stored_sha256=hashlib.sha256(view).hexdigest(),  # one pass, GIL released
        )


def _open(
    reader: Any,
    envelope_sha256: str,
    label: str,
    memory_limit: int,
    content_key: bytes | None,
    opening_key: PrivateKey | None,
    *,
    stored_sha256: str | None = None,
) -> Opened:
    """The check over ``reader``: a ``_Hashing`` stream (the receipt hash is computed as it is
    read) or a ``_View`` whose hash the caller computed (``stored_sha256``)."""
    consistency, detail, plain_sha = CONSISTENT, "", ""
    out: Any = None
    try:
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
        if stored_sha256 is None:
            stored_sha256 = reader.finish()
        if stored_sha256 != envelope_sha256:
            consistency, detail = HASH_MISMATCH, "存储的投标文件摘要与回执不一致"
        if consistency != CONSISTENT or out is None or content_key is None:
            return Opened(consistency, detail, b"", "", {})
        price, detail = _price_form(out, label, plain_sha)
        return Opened(consistency, detail, bytes(content_key), plain_sha, price)
    finally:
        if out is not None:
            out.close()


def _price_form(out: Any, label: str, plain_sha: str) -> tuple[dict[str, Any], str]:
    """The price form (开标一览表) of the decrypted package, or why it cannot be read."""
    try:
        # the commitment already covers every byte of the package: no second digest pass
        package = out.readable() if isinstance(out, _Chunks) else out
        info = read_package(Path(label), check_digests=False, sha256=plain_sha, fileobj=package)
    except BidkitError as exc:
        return {}, f"投标文件包无法读取：{exc.message_zh}"
    return info.price_form.to_json(), ""
