"""The key release statement (解密密钥释放声明) a bidder hands over at the opening.

In the decryption window (解密时段) the bidder unwraps its own copy of the content key
(``role = "bidder"`` recipient of the envelope) and gives it to the platform in a
statement signed with the same signing key that signed the envelope::

    {
      "statement": {
        "format": "ggzy-key-release", "v": 1, "suite": "intl" | "gm",
        "section": "<tender/section ref of the envelope>",
        "bidder": "<bidder ref of the envelope>",
        "envelope_sha256": "<hex SHA-256 of the whole envelope file>",
        "content_key": "<base64 of the 32-byte content key>",
        "released_at": "2026-05-01T02:03:04Z"
      },
      "signature": {"algorithm": "ed25519" | "sm2", "key_id": "<kid, docs/envelope.md §6.3>",
                    "value": "<base64 signature>"}
    }

    signature = Sign(bidder signing key, "ggzy-key-release-v1\\n" ‖ canonical JSON(statement))

The prefix keeps statement signatures and envelope-header signatures
(``"ggzy-envelope-v1\\n" ‖ core``) from ever being mistaken for each other. The
platform calls :func:`verify_release` with the bidder's *registered* signing key and
the envelope header, then opens the envelope with :attr:`KeyRelease.content_key`.
Pure: no Django.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import re
from dataclasses import dataclass
from typing import Any, Final

from ggzy.bidkit.errors import BidkitError, Code
from ggzy.crypto.envelope import INFO_KEY_CHECK, EnvelopeHeader, canonical_json
from ggzy.crypto.errors import SignatureError
from ggzy.crypto.suites import SUITES, PrivateKey, PublicKey, Suite

__all__ = [
    "RELEASE_FORMAT",
    "SIGNATURE_PREFIX",
    "KeyRelease",
    "build_release",
    "verify_release",
]

RELEASE_FORMAT: Final = "ggzy-key-release"
SIGNATURE_PREFIX: Final = b"ggzy-key-release-v1\n"
_STATEMENT_KEYS: Final = frozenset(
    {"format", "v", "suite", "section", "bidder", "envelope_sha256", "content_key", "released_at"}
)
_SIGNATURE_KEYS: Final = frozenset({"algorithm", "key_id", "value"})
_SHA256_HEX: Final = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class KeyRelease:
    """A verified statement."""

    suite: Suite
    section: str
    bidder: str
    envelope_sha256: str
    content_key: bytes
    released_at: dt.datetime
    signer_kid: str


def _timestamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def build_release(
    *,
    header: EnvelopeHeader,
    envelope_sha256: str,
    content_key: bytes,
    signing_key: PrivateKey,
    released_at: dt.datetime,
) -> dict[str, Any]:
    """The signed statement releasing ``content_key`` of the envelope with ``header``."""
    suite = header.suite
    statement = {
        "format": RELEASE_FORMAT,
        "v": 1,
        "suite": suite.name,
        "section": header.tender_ref,
        "bidder": header.bidder_ref,
        "envelope_sha256": envelope_sha256,
        "content_key": base64.b64encode(content_key).decode("ascii"),
        "released_at": _timestamp(released_at),
    }
    signature = suite.sign(signing_key, SIGNATURE_PREFIX + canonical_json(statement))
    return {
        "statement": statement,
        "signature": {
            "algorithm": str(suite.signing_algorithm),
            "key_id": suite.key_id(signing_key.public_key),
            "value": base64.b64encode(signature).decode("ascii"),
        },
    }


def _invalid(zh: str, en: str, code: str = Code.RELEASE_INVALID) -> BidkitError:
    return BidkitError(code, f"密钥释放声明无效：{zh}", en)


def _b64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise _invalid(f"{what} 不是 base64 文本", f"{what} must be base64 text")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise _invalid(f"{what} 不是 base64 文本", f"{what} must be base64 text") from exc


def _released_at(value: object) -> dt.datetime:
    if not isinstance(value, str) or not value.endswith("Z"):
        raise _invalid("released_at 时间格式错误", "released_at must be UTC ISO 8601 ending in Z")
    try:
        parsed = dt.datetime.fromisoformat(value[:-1] + "+00:00")
    except ValueError as exc:
        raise _invalid("released_at 时间格式错误", "released_at is not ISO 8601") from exc
    return parsed


def _check_against_header(release: KeyRelease, header: EnvelopeHeader) -> None:
    checks = (
        (release.suite is header.suite, "密码套件", "suite"),
        (release.section == header.tender_ref, "标段编号", "section"),
        (release.bidder == header.bidder_ref, "投标人", "bidder"),
        (release.signer_kid == header.signer_kid, "签名密钥", "signing key"),
    )
    for ok, zh, en in checks:
        if not ok:
            raise _invalid(
                f"{zh}与加密投标文件不一致",
                f"the statement's {en} differs from the envelope's",
                Code.SECTION_MISMATCH if en == "section" else Code.RELEASE_INVALID,
            )
    check = header.suite.kdf(
        release.content_key, salt=header.salt, info=INFO_KEY_CHECK, length=len(header.key_check)
    )
    if not hmac.compare_digest(check, header.key_check):
        raise _invalid(
            "释放的密钥不能解密该投标文件",
            "the released content key does not fit this envelope",
            "wrong_key",
        )


def _parse_document(document: object) -> tuple[dict[str, Any], dict[str, Any]]:
    """The statement and signature objects, with every member's type checked."""
    if not isinstance(document, dict) or set(document) != {"statement", "signature"}:
        raise _invalid("应为 {statement, signature}", "expected {statement, signature}")
    statement, signature = document["statement"], document["signature"]
    if not isinstance(statement, dict) or set(statement) != _STATEMENT_KEYS:
        raise _invalid("statement 字段不全或有多余字段", "statement members missing or unknown")
    if not isinstance(signature, dict) or set(signature) != _SIGNATURE_KEYS:
        raise _invalid("signature 字段不全或有多余字段", "signature members missing or unknown")
    if statement["format"] != RELEASE_FORMAT or type(statement["v"]) is not int:
        raise _invalid("格式未知", "unknown format")
    if statement["v"] != 1 or statement["suite"] not in SUITES:
        raise _invalid("版本或密码套件未知", "unknown version or suite")
    for name in ("section", "bidder"):
        if not isinstance(statement[name], str) or not statement[name]:
            raise _invalid(f"{name} 为空", f"{name} must be a non-empty string")
    sha = statement["envelope_sha256"]
    if not isinstance(sha, str) or not _SHA256_HEX.fullmatch(sha):
        raise _invalid("envelope_sha256 格式错误", "envelope_sha256 must be 64 lowercase hex")
    return statement, signature


def verify_release(
    document: object,
    *,
    verify_key: PublicKey,
    header: EnvelopeHeader | None = None,
    envelope_sha256: str | None = None,
) -> KeyRelease:
    """Check a statement's shape and signature (and, if given, that it fits the envelope).

    ``verify_key`` must be the bidder's signing key as registered on the platform.
    Raises :class:`BidkitError` (``release_invalid``, ``signature_invalid``,
    ``wrong_key``, ``section_mismatch``).
    """
    statement, signature = _parse_document(document)
    suite = SUITES[statement["suite"]]
    content_key = _b64(statement["content_key"], "content_key")
    if len(content_key) != 32:
        raise _invalid("content_key 长度错误", "content_key must be 32 bytes")
    released_at = _released_at(statement["released_at"])

    kid = suite.key_id(verify_key) if verify_key.algorithm is suite.signing_algorithm else None
    if signature["algorithm"] != str(suite.signing_algorithm) or kid is None:
        raise _invalid("签名算法与密码套件不符", "signature algorithm does not match the suite")
    if signature["key_id"] != kid:
        raise _invalid(
            "声明不是用该投标人登记的签名密钥签署的",
            "signed by a different key than the bidder's registered one",
            "signature_invalid",
        )
    try:
        suite.verify(
            verify_key,
            SIGNATURE_PREFIX + canonical_json(statement),
            _b64(signature["value"], "signature"),
        )
    except SignatureError as exc:
        raise _invalid(
            "签名验证失败", "the statement's signature does not verify", "signature_invalid"
        ) from exc
    release = KeyRelease(
        suite=suite,
        section=statement["section"],
        bidder=statement["bidder"],
        envelope_sha256=statement["envelope_sha256"],
        content_key=content_key,
        released_at=released_at,
        signer_kid=kid,
    )
    if envelope_sha256 is not None and envelope_sha256 != release.envelope_sha256:
        raise _invalid(
            "envelope_sha256 与收到的加密投标文件不符",
            "the statement names a different envelope (envelope_sha256 differs)",
        )
    if header is not None:
        _check_against_header(release, header)
    return release
