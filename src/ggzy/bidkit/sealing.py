"""Sealing a bid package and checking a sealed envelope (密封与一致性校验).

:func:`seal_package` wraps :func:`ggzy.crypto.envelope.seal` for the bidder and writes,
beside ``BID.ggzyenv``, the seal record ``BID.ggzyenv.json``::

    {"format": "ggzy-bid-seal-record", "v": 1,
     "tool": {"name": "ggzy-bidkit", "version": "0.1.0"}, "sealed_at": "…Z",
     "suite": "intl", "section": "…", "bidder": "…",
     "envelope": {"file": "BID.ggzyenv", "size": …, "sha256": "…",   ← the receipt repeats this
                  "digest": "…", "digest_algorithm": "sha256" | "sm3"},
     "commitment": "…", "commitment_algorithm": "sha256" | "sm3",
     "package": {"file": "bid.zip", "size": …, "sha256": "…"},
     "chunk_size": 1048576,
     "keys": {"signer": kid, "bidder": kid, "opening": kid},
     "fingerprint": {…see fingerprint.py…}}

The record holds no price and no key; it may be shown to the platform's support staff.
:func:`inspect_envelope` and :func:`decrypt_check` are the checks ``verify`` runs —
the same the platform runs at receipt and at the opening (docs/envelope.md §9).
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ggzy import clock
from ggzy.bidkit import TOOL_NAME, TOOL_VERSION
from ggzy.bidkit.errors import BidkitError, Code, from_crypto
from ggzy.bidkit.fingerprint import Fingerprint
from ggzy.bidkit.keys import BidderKeys
from ggzy.bidkit.package import PackageInfo, atomic_output, read_package
from ggzy.crypto.envelope import (
    EnvelopeHeader,
    OpenResult,
    open_envelope,
    read_header,
    seal,
)
from ggzy.crypto.errors import CryptoError
from ggzy.crypto.suites import PublicKey, Suite
from ggzy.registry.identifiers import is_valid_uscc, normalise_uscc

__all__ = [
    "RECORD_FORMAT",
    "EnvelopeFacts",
    "check_bidder",
    "check_section",
    "decrypt_check",
    "inspect_envelope",
    "load_record",
    "receipt_path",
    "record_path",
    "seal_package",
    "upload_state_path",
    "write_json",
]

RECORD_FORMAT: Final = "ggzy-bid-seal-record"
_BLOCK: Final = 1 << 20


def record_path(envelope: Path) -> Path:
    """``BID.ggzyenv`` → ``BID.ggzyenv.json`` (the seal record)."""
    return envelope.with_name(envelope.name + ".json")


def receipt_path(envelope: Path) -> Path:
    """``BID.ggzyenv`` → ``BID.ggzyenv.receipt.json`` (the platform's receipt 回执)."""
    return envelope.with_name(envelope.name + ".receipt.json")


def upload_state_path(envelope: Path) -> Path:
    """``BID.ggzyenv`` → ``BID.ggzyenv.upload.json`` (where a broken upload resumes)."""
    return envelope.with_name(envelope.name + ".upload.json")


def check_bidder(value: str) -> str:
    """A USCC (统一社会信用代码) with a valid check character, upper-cased."""
    code = normalise_uscc(value)
    if not is_valid_uscc(code):
        raise BidkitError(
            Code.BIDDER_INVALID,
            f"统一社会信用代码无效（GB 32100 校验失败）：{value}",
            f"not a valid unified social credit code (USCC): {value!r}",
        )
    return code


def check_section(value: str) -> str:
    """A tender/section reference (标段编号) the envelope header accepts."""
    if (
        not 1 <= len(value) <= 256
        or unicodedata.normalize("NFC", value) != value
        or any(unicodedata.category(c) in ("Cc", "Cs") for c in value)
        or value != value.strip()
    ):
        raise BidkitError(
            Code.SECTION_INVALID,
            f"标段编号无效：{value!r}",
            "the section code must be 1–256 characters, NFC, without control characters "
            "or surrounding spaces",
        )
    return value


class _HashingWriter:
    """Writes through to ``target`` while computing the SHA-256 of everything written."""

    def __init__(self, target: Any) -> None:
        self._target = target
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes, /) -> int:
        self._target.write(data)
        self.sha256.update(data)
        self.size += len(data)
        return len(data)


def _stamp() -> str:
    return clock.now().isoformat(timespec="seconds").replace("+00:00", "Z")


def _check_suite(keys: BidderKeys, suite: Suite | None, opening_key: PublicKey) -> Suite:
    if suite is not None and suite is not keys.suite:
        raise BidkitError(
            Code.KEYS_MISMATCH,
            f"密钥属于 {keys.suite.name} 套件，与 --suite {suite.name} 不符",
            f"the keys are for suite {keys.suite.name}, not {suite.name}",
        )
    wanted = keys.suite.wrapping_algorithm
    if opening_key.algorithm is not wanted:
        raise BidkitError(
            Code.KEYS_MISMATCH,
            f"开标公钥应为 {wanted} 密钥（{keys.suite.name} 套件），得到 {opening_key.algorithm}",
            f"suite {keys.suite.name} needs a {wanted} opening key, got {opening_key.algorithm}",
        )
    if opening_key == keys.encryption_public:
        raise BidkitError(
            Code.KEYS_MISMATCH,
            "开标公钥不能是投标人自己的加密公钥",
            "the opening key is the bidder's own encryption key",
        )
    return keys.suite


def _refuse_existing(paths: list[Path]) -> None:
    for path in paths:
        if path.exists():
            raise BidkitError(
                Code.FILE_EXISTS,
                f"文件已存在：{path}（如确需重新加密，请加 --force）",
                f"{path} exists; pass --force to replace it",
            )


def seal_package(
    *,
    package: Path,
    keys: BidderKeys,
    opening_key: PublicKey,
    section: str,
    bidder: str,
    out: Path,
    fingerprint: Callable[[], Fingerprint],
    suite: Suite | None = None,
    chunk_size: int = 1 << 20,
    force: bool = False,
) -> dict[str, Any]:
    """Seal ``package`` into ``out``, write the seal record, return the record.

    ``fingerprint`` is called (once the inputs are known to be good) to gather the
    machine fingerprint: normally :func:`ggzy.bidkit.fingerprint.collect`.
    """
    suite = _check_suite(keys, suite, opening_key)
    section = check_section(section)
    bidder = check_bidder(bidder)
    info: PackageInfo = read_package(package)
    if info.bidder is not None and normalise_uscc(info.bidder) != bidder:
        raise BidkitError(
            Code.BIDDER_MISMATCH,
            f"投标文件包中的投标人 {info.bidder} 与 --bidder {bidder} 不一致",
            f"the package was made for bidder {info.bidder}, not {bidder}",
        )
    record_file = record_path(out)
    if not force:
        _refuse_existing([out, record_file])
    if not out.parent.is_dir():
        raise BidkitError(
            Code.FILE_NOT_FOUND, f"输出目录不存在：{out.parent}", f"no such directory: {out.parent}"
        )
    try:
        with package.open("rb") as fin, atomic_output(out) as fout:
            writer = _HashingWriter(fout)
            result = seal(
                fin,
                writer,
                suite=suite,
                opening_public_key=opening_key,
                bidder_public_key=keys.encryption_public,
                bidder_signing_key=keys.signing,
                tender_ref=section,
                bidder_ref=bidder,
                chunk_size=chunk_size,
            )
            if result.header.plaintext_length != info.size or (
                suite.hash_name == "sha256" and result.header.commitment.hex() != info.sha256
            ):
                raise BidkitError(
                    "input_changed",
                    "加密过程中投标文件包发生了变化，请重新加密",
                    "the package changed while it was being sealed; seal again",
                )
    except CryptoError as exc:
        raise from_crypto(exc, "sealing") from exc
    header = result.header
    record = {
        "format": RECORD_FORMAT,
        "v": 1,
        "tool": {"name": TOOL_NAME, "version": TOOL_VERSION},
        "sealed_at": _stamp(),
        "suite": suite.name,
        "section": section,
        "bidder": bidder,
        "envelope": {
            "file": out.name,
            "size": writer.size,
            "sha256": writer.sha256.hexdigest(),
            "digest": result.envelope_digest.hex(),
            "digest_algorithm": suite.hash_name,
        },
        "commitment": header.commitment.hex(),
        "commitment_algorithm": suite.hash_name,
        "package": {"file": package.name, "size": info.size, "sha256": info.sha256},
        "chunk_size": header.chunk_size,
        "keys": {
            "signer": header.signer_kid,
            "bidder": header.recipient("bidder").kid,
            "opening": header.recipient("opening").kid,
        },
        "fingerprint": fingerprint().to_json(),
    }
    write_json(record_file, record)
    return record


def write_json(path: Path, doc: object) -> None:
    """Pretty UTF-8 JSON, written atomically; like every output, created with mode 0600."""
    data = (json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    with atomic_output(path) as f:
        f.write(data)


def load_record(envelope: Path) -> dict[str, Any]:
    """The seal record beside ``envelope``; refused if missing or for another file."""
    path = record_path(envelope)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BidkitError(
            Code.RECORD_INVALID,
            f"找不到加密记录 {path}（由 seal 命令生成，须与加密投标文件放在一起）",
            f"the seal record {path} is missing; it is written by `seal` next to the envelope",
        ) from None
    except (OSError, ValueError) as exc:
        raise BidkitError(
            Code.RECORD_INVALID, f"加密记录无法读取：{path}", f"cannot read {path}: {exc}"
        ) from exc
    if (
        not isinstance(doc, dict)
        or doc.get("format") != RECORD_FORMAT
        or not isinstance(doc.get("envelope"), dict)
        or not isinstance(doc.get("fingerprint"), dict)
    ):
        raise BidkitError(
            Code.RECORD_INVALID, f"加密记录格式错误：{path}", f"{path} is not a seal record"
        )
    return doc


# ----------------------------------------------------------------------------- checks


@dataclass(frozen=True, slots=True)
class EnvelopeFacts:
    """What can be checked without any key: header structure, size and digests."""

    path: Path
    header: EnvelopeHeader
    size: int
    sha256: str
    digest: str  # suite hash of the file (SHA-256 or SM3): ``envelope_digest``


def inspect_envelope(path: Path) -> EnvelopeFacts:
    """Read the header, check the file size against it, hash the whole file."""
    if not path.is_file():
        raise BidkitError(
            Code.FILE_NOT_FOUND, f"找不到加密投标文件：{path}", f"envelope not found: {path}"
        )
    try:
        with path.open("rb") as f:
            header = read_header(f)
            f.seek(0)
            sha256 = hashlib.sha256()
            digest = header.suite.new_hash()
            size = 0
            while block := f.read(_BLOCK):
                sha256.update(block)
                digest.update(block)
                size += len(block)
    except CryptoError as exc:
        raise from_crypto(exc, str(path)) from exc
    if size != header.envelope_length:
        code = "envelope_truncated" if size < header.envelope_length else "envelope_malformed"
        raise BidkitError(
            code,
            f"加密投标文件大小不符：应为 {header.envelope_length} 字节，实际 {size} 字节",
            f"{path} is {size} bytes; its header says {header.envelope_length}",
        )
    return EnvelopeFacts(path, header, size, sha256.hexdigest(), digest.finalize().hex())


class _NullSink:
    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes, /) -> int:
        self.size += len(data)
        return len(data)


def decrypt_check(path: Path, content_key: bytes, *, extract: Path | None = None) -> OpenResult:
    """Decrypt ``path`` with ``content_key`` and compare with the commitment (一致性判断).

    The plaintext is discarded unless ``extract`` names where to keep it (written
    through a temporary file, kept only if every check passed).
    """
    try:
        with path.open("rb") as fin:
            if extract is None:
                return open_envelope(fin, _NullSink(), content_key)
            with atomic_output(extract) as fout:
                return open_envelope(fin, fout, content_key)
    except CryptoError as exc:
        raise from_crypto(exc, str(path)) from exc
