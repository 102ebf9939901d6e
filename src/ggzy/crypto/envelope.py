"""Sealed bid envelope, format version 1 (密封投标文件 / 加密投标文件).

The bidder's tool (CLI or browser) seals the bid package (投标文件) so that

* only the tender's opening key (开标密钥, itself split among custodians with
  :mod:`ggzy.crypto.shamir`) or the bidder's own key can decrypt it;
* the bidder's signature covers a commitment — the SHA-256 / SM3 of the plaintext
  package — so at the opening the platform can prove the decrypted file is the one
  the bidder signed (投标文件一致性判断);
* a file of hundreds of MB is sealed and opened streaming, in constant memory,
  in chunks whose index and last-chunk flag are authenticated, so reordering,
  truncation and extension are detected.

The byte layout, the key schedule and a WebCrypto recipe are in ``docs/envelope.md``;
the summary::

    "GGZY-ENV" | 0x01 | uint32 header length | canonical JSON header | chunk 0 | … | chunk N-1

    content key CK    32 random bytes, wrapped to the opening and the bidder key
    payload key       HKDF(CK, salt, "ggzy-envelope-v1 payload-key")  32 B AES / 16 B SM4
    nonce base        HKDF(CK, salt, "ggzy-envelope-v1 nonce-base")   12 B
    key check         HKDF(CK, salt, "ggzy-envelope-v1 key-check")    16 B, in the header
    core              header JSON without "signature"
    signature         Sign(bidder signing key, "ggzy-envelope-v1\\n" ‖ core)
    chunk i           AEAD(payload key, nonce base XOR (0^4 ‖ u64 i),
                           aad = H(core) ‖ u64 i ‖ u8 last) = ciphertext ‖ tag

Workflow: the bidder calls :func:`seal`; the platform, at receipt, calls
:func:`read_header` and :func:`verify_header_signature` and logs the envelope
digest; at the opening, :func:`unwrap_content_key` with the reconstructed opening key
(or the bidder's own key) and :func:`open_envelope`.

Errors are :class:`~ggzy.crypto.errors.EnvelopeError` with a stable ``code``:
``envelope_malformed``, ``envelope_unsupported``, ``envelope_truncated``,
``envelope_tampered``, ``commitment_mismatch``, ``wrong_key``, ``signature_invalid``,
``input_not_seekable``, ``input_changed``.

No Django imports.
"""

from __future__ import annotations

import hmac
import json
import os
import re
import struct
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Final, Protocol

from ggzy.crypto.errors import (
    CommitmentMismatchError,
    DecryptionError,
    EnvelopeError,
    EnvelopeSignatureError,
    ErrorCode,
    InvalidParameterError,
    KeyFormatError,
    SignatureError,
)
from ggzy.crypto.suites import SUITES, PrivateKey, PublicKey, Suite, WrappedKey

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "FORMAT_VERSION",
    "INFO_KEY_CHECK",
    "MAGIC",
    "MAX_CHUNK_SIZE",
    "MIN_CHUNK_SIZE",
    "EnvelopeHeader",
    "OpenResult",
    "Recipient",
    "SealResult",
    "canonical_json",
    "open_envelope",
    "read_header",
    "seal",
    "unwrap_content_key",
    "verify_header_signature",
]

MAGIC: Final = b"GGZY-ENV"
FORMAT_VERSION: Final = 1
FORMAT_NAME: Final = "ggzy-envelope"
PREFIX: Final = struct.Struct(">8sBI")  # magic, version, header length: 13 bytes
MAX_HEADER_SIZE: Final = 65536
DEFAULT_CHUNK_SIZE: Final = 1 << 20
MIN_CHUNK_SIZE: Final = 16
MAX_CHUNK_SIZE: Final = 16 << 20
MAX_PLAINTEXT_LENGTH: Final = 1 << 40
CONTENT_KEY_SIZE: Final = 32
SALT_SIZE: Final = 32
KEY_CHECK_SIZE: Final = 16
MAX_REF_LENGTH: Final = 256

SIGNATURE_PREFIX: Final = b"ggzy-envelope-v1\n"
INFO_PAYLOAD_KEY: Final = b"ggzy-envelope-v1 payload-key"
INFO_NONCE_BASE: Final = b"ggzy-envelope-v1 nonce-base"
INFO_KEY_CHECK: Final = b"ggzy-envelope-v1 key-check"

ROLE_OPENING: Final = "opening"
ROLE_BIDDER: Final = "bidder"
ROLES: Final = (ROLE_OPENING, ROLE_BIDDER)

_HEX = re.compile(r"(?:[0-9a-f]{2})*")
_HEADER_KEYS: Final = frozenset(
    {"format", "v", "suite", "tender", "bidder", "chunk_size", "length", "commitment"}
    | {"salt", "key_check", "recipients", "signer", "signature"}
)
_RECIPIENT_KEYS: Final = frozenset({"role", "kid", "epk", "wk"})
# Fixed sizes of the wrapped key parts per suite: (epk, wk) — see suites.WrappedKey.
_WRAP_SIZES: Final = {"intl": (32, CONTENT_KEY_SIZE + 16), "gm": (65, 32 + CONTENT_KEY_SIZE)}
_SIGNATURE_SIZES: Final = {"intl": (64, 64), "gm": (8, 72)}


class ReadableStream(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class SeekableStream(ReadableStream, Protocol):
    def seek(self, offset: int, whence: int = ..., /) -> int: ...
    def tell(self) -> int: ...
    def seekable(self) -> bool: ...


class WritableStream(Protocol):
    def write(self, data: bytes, /) -> object: ...


def canonical_json(value: object) -> bytes:
    """RFC 8785 (JCS) output for the values used here: sorted keys, no spaces, UTF-8.

    The header holds only ASCII keys, non-negative integers below 2^53 and strings
    without control characters, for which ``json.dumps`` and ``JSON.stringify`` (with
    keys sorted) produce exactly the JCS bytes.
    """
    return json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def _check_ref(value: object, what: str, error: Callable[[str], Exception]) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_REF_LENGTH:
        raise error(f"{what} must be a string of 1 to {MAX_REF_LENGTH} characters")
    if unicodedata.normalize("NFC", value) != value:
        raise error(f"{what} must be in Unicode NFC form")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
        raise error(f"{what} must not contain control characters")
    return value


@dataclass(frozen=True, slots=True)
class Recipient:
    """A wrapped copy of the content key (数字信封) for one key holder."""

    role: str
    kid: str
    epk: bytes
    wk: bytes

    @classmethod
    def wrap(
        cls, suite: Suite, role: str, recipient: PublicKey, content_key: bytes, *, salt: bytes
    ) -> Recipient:
        """Wrap ``content_key`` to ``recipient`` (``salt`` is the envelope salt)."""
        wrapped = suite.wrap_key(recipient, content_key, context=salt)
        return cls(role=role, kid=suite.key_id(recipient), epk=wrapped.epk, wk=wrapped.wk)

    def to_json(self) -> dict[str, str]:
        return {"role": self.role, "kid": self.kid, "epk": self.epk.hex(), "wk": self.wk.hex()}

    @property
    def wrapped(self) -> WrappedKey:
        return WrappedKey(epk=self.epk, wk=self.wk)


@dataclass(frozen=True)
class EnvelopeHeader:
    """The parsed, validated header. ``commitment`` is the signed plaintext digest."""

    suite: Suite
    tender_ref: str
    bidder_ref: str
    chunk_size: int
    plaintext_length: int
    commitment: bytes
    salt: bytes
    key_check: bytes
    recipients: tuple[Recipient, ...]
    signer_kid: str
    signature: bytes
    version: int = FORMAT_VERSION

    def _json(self, *, with_signature: bool) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "format": FORMAT_NAME,
            "v": self.version,
            "suite": self.suite.name,
            "tender": self.tender_ref,
            "bidder": self.bidder_ref,
            "chunk_size": self.chunk_size,
            "length": self.plaintext_length,
            "commitment": self.commitment.hex(),
            "salt": self.salt.hex(),
            "key_check": self.key_check.hex(),
            "recipients": [r.to_json() for r in self.recipients],
            "signer": self.signer_kid,
        }
        if with_signature:
            obj["signature"] = self.signature.hex()
        return obj

    @cached_property
    def core_bytes(self) -> bytes:
        """Canonical JSON of the header without ``signature`` (what is signed)."""
        return canonical_json(self._json(with_signature=False))

    @cached_property
    def core_digest(self) -> bytes:
        """``H(core)``, bound into every chunk's associated data."""
        return self.suite.hash(self.core_bytes)

    @property
    def signed_message(self) -> bytes:
        return SIGNATURE_PREFIX + self.core_bytes

    @cached_property
    def header_bytes(self) -> bytes:
        """The full canonical JSON header, as stored."""
        return canonical_json(self._json(with_signature=True))

    def prefix_bytes(self) -> bytes:
        """Magic, version, length and header: everything before chunk 0."""
        return PREFIX.pack(MAGIC, self.version, len(self.header_bytes)) + self.header_bytes

    @property
    def chunk_count(self) -> int:
        return max(1, -(-self.plaintext_length // self.chunk_size))

    def chunk_plaintext_size(self, index: int) -> int:
        if index < self.chunk_count - 1:
            return self.chunk_size
        return self.plaintext_length - self.chunk_size * (self.chunk_count - 1)

    @property
    def envelope_length(self) -> int:
        """Total size in bytes of the envelope this header describes."""
        tags = self.chunk_count * self.suite.tag_size
        return PREFIX.size + len(self.header_bytes) + self.plaintext_length + tags

    def recipient(self, role: str) -> Recipient:
        for r in self.recipients:
            if r.role == role:
                return r
        raise KeyError(role)


@dataclass(frozen=True, slots=True)
class SealResult:
    """What :func:`seal` produced. ``envelope_digest`` = suite hash of all bytes written,
    the value the platform's receipt (回执) and the ledger entry must repeat."""

    header: EnvelopeHeader
    envelope_length: int
    envelope_digest: bytes
    content_key: bytes = field(repr=False)  # secret: keep only if the caller needs it


@dataclass(frozen=True, slots=True)
class OpenResult:
    """Outcome of :func:`open_envelope` — the consistency check (一致性判断)."""

    header: EnvelopeHeader
    plaintext_length: int
    digest: bytes

    @property
    def commitment(self) -> bytes:
        return self.header.commitment

    @property
    def consistent(self) -> bool:
        """True when the decrypted file's hash equals the bidder's signed commitment."""
        return hmac.compare_digest(self.digest, self.header.commitment)


# --------------------------------------------------------------------------- key schedule


@dataclass(frozen=True, slots=True)
class _Keys:
    payload_key: bytes
    nonce_base: bytes
    key_check: bytes


def _derive(suite: Suite, content_key: bytes, salt: bytes) -> _Keys:
    return _Keys(
        payload_key=suite.kdf(
            content_key, salt=salt, info=INFO_PAYLOAD_KEY, length=suite.aead_key_size
        ),
        nonce_base=suite.kdf(content_key, salt=salt, info=INFO_NONCE_BASE, length=12),
        key_check=suite.kdf(content_key, salt=salt, info=INFO_KEY_CHECK, length=KEY_CHECK_SIZE),
    )


def _nonce(nonce_base: bytes, index: int) -> bytes:
    return nonce_base[:4] + (int.from_bytes(nonce_base[4:], "big") ^ index).to_bytes(8, "big")


def _aad(core_digest: bytes, index: int, last: bool) -> bytes:
    return core_digest + struct.pack(">QB", index, 1 if last else 0)


def _read_exact(stream: ReadableStream, size: int) -> bytes:
    """Read exactly ``size`` bytes unless the stream ends first."""
    data = stream.read(size)
    if len(data) == size or not data:
        return data
    parts = [data]
    got = len(data)
    while got < size:
        more = stream.read(size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


# --------------------------------------------------------------------------- seal


def _check_seal_keys(
    suite: Suite, opening: PublicKey, bidder: PublicKey, signing: PrivateKey
) -> None:
    for what, key in (("opening", opening), ("bidder", bidder)):
        if key.algorithm is not suite.wrapping_algorithm:
            raise KeyFormatError(
                f"the {what} key must be {suite.wrapping_algorithm} for suite {suite.name}",
                code=ErrorCode.KEY_UNSUPPORTED,
            )
    if signing.algorithm is not suite.signing_algorithm:
        raise KeyFormatError(
            f"the signing key must be {suite.signing_algorithm} for suite {suite.name}",
            code=ErrorCode.KEY_UNSUPPORTED,
        )
    if suite.key_id(opening) == suite.key_id(bidder):
        raise InvalidParameterError("the opening key and the bidder key must differ")


def seal(
    stream_in: SeekableStream,
    stream_out: WritableStream,
    *,
    suite: Suite,
    opening_public_key: PublicKey,
    bidder_public_key: PublicKey,
    bidder_signing_key: PrivateKey,
    tender_ref: str,
    bidder_ref: str,
    content_key: bytes | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> SealResult:
    """Seal the plaintext bid package read from ``stream_in`` into ``stream_out``.

    ``stream_in`` must be seekable: it is read twice, once to compute the commitment
    (which goes into the signed header before any ciphertext) and once to encrypt
    (re-hashing, so a file that changes meanwhile is refused with ``input_changed``;
    then the output must be discarded). Memory use is O(``chunk_size``).

    ``content_key`` (32 bytes) defaults to a fresh random key. Passing the same key
    for two envelopes is safe (the random ``salt`` gives each its own payload key and
    nonces) but lets one unwrapped key open both.
    """
    _check_seal_keys(suite, opening_public_key, bidder_public_key, bidder_signing_key)
    _check_ref(tender_ref, "tender_ref", InvalidParameterError)
    _check_ref(bidder_ref, "bidder_ref", InvalidParameterError)
    if not isinstance(chunk_size, int) or not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise InvalidParameterError(
            f"chunk_size must be between {MIN_CHUNK_SIZE} and {MAX_CHUNK_SIZE}"
        )
    if content_key is None:
        content_key = os.urandom(CONTENT_KEY_SIZE)
    elif len(content_key) != CONTENT_KEY_SIZE:
        raise InvalidParameterError("content_key must be 32 bytes")
    content_key = bytes(content_key)

    if not stream_in.seekable():
        raise EnvelopeError("input stream is not seekable", code=ErrorCode.INPUT_NOT_SEEKABLE)
    start = stream_in.tell()

    # Pass 1: the commitment (承诺值) = H(plaintext).
    first = suite.new_hash()
    length = 0
    while block := stream_in.read(chunk_size):
        first.update(block)
        length += len(block)
        if length > MAX_PLAINTEXT_LENGTH:
            raise InvalidParameterError("plaintext is too large")
    commitment = first.finalize()
    stream_in.seek(start)

    salt = os.urandom(SALT_SIZE)
    keys = _derive(suite, content_key, salt)
    recipients = (
        Recipient.wrap(suite, ROLE_OPENING, opening_public_key, content_key, salt=salt),
        Recipient.wrap(suite, ROLE_BIDDER, bidder_public_key, content_key, salt=salt),
    )
    unsigned = EnvelopeHeader(
        suite=suite,
        tender_ref=tender_ref,
        bidder_ref=bidder_ref,
        chunk_size=chunk_size,
        plaintext_length=length,
        commitment=commitment,
        salt=salt,
        key_check=keys.key_check,
        recipients=recipients,
        signer_kid=suite.key_id(bidder_signing_key.public_key),
        signature=b"",
    )
    header = replace(unsigned, signature=suite.sign(bidder_signing_key, unsigned.signed_message))

    # Pass 2: encrypt chunk by chunk.
    out_hash = suite.new_hash()
    written = 0

    def emit(data: bytes) -> None:
        nonlocal written
        stream_out.write(data)
        out_hash.update(data)
        written += len(data)

    emit(header.prefix_bytes())
    aead = suite.aead(keys.payload_key)
    second = suite.new_hash()
    core_digest = header.core_digest
    count = header.chunk_count
    for index in range(count):
        size = header.chunk_plaintext_size(index)
        data = _read_exact(stream_in, size)
        if len(data) != size:
            raise EnvelopeError("input shrank while sealing", code=ErrorCode.INPUT_CHANGED)
        second.update(data)
        last = index == count - 1
        emit(aead.encrypt(_nonce(keys.nonce_base, index), data, _aad(core_digest, index, last)))
    if stream_in.read(1) or not hmac.compare_digest(second.finalize(), commitment):
        raise EnvelopeError("input changed while sealing", code=ErrorCode.INPUT_CHANGED)
    return SealResult(
        header=header,
        envelope_length=written,
        envelope_digest=out_hash.finalize(),
        content_key=content_key,
    )


# --------------------------------------------------------------------------- read


def _malformed(message: str) -> EnvelopeError:
    return EnvelopeError(message, code=ErrorCode.ENVELOPE_MALFORMED)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _malformed(f"duplicate key {key!r} in header")
        obj[key] = value
    return obj


def _reject_constant(name: str) -> Any:
    raise _malformed(f"non-finite number {name} in header")


def _reject_float(text: str) -> Any:
    raise _malformed("non-integer number in header")


def _hex(obj: dict[str, Any], key: str, size: int | tuple[int, int]) -> bytes:
    value = obj[key]
    low, high = (size, size) if isinstance(size, int) else size
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise _malformed(f"{key} must be lowercase hex")
    if not low <= len(value) // 2 <= high:
        raise _malformed(f"{key} has the wrong length")
    return bytes.fromhex(value)


def _int(obj: dict[str, Any], key: str, low: int, high: int) -> int:
    value = obj[key]
    if type(value) is not int or not low <= value <= high:
        raise _malformed(f"{key} must be an integer in [{low}, {high}]")
    return value


def _kid(value: object) -> str:
    if not isinstance(value, str) or len(value) != 32 or not _HEX.fullmatch(value):
        raise _malformed("key id must be 32 lowercase hex characters")
    return value


def _parse_header(raw: bytes) -> EnvelopeHeader:
    try:
        text = raw.decode("utf-8")
        obj = json.loads(
            text,
            object_pairs_hook=_reject_duplicates,
            parse_constant=_reject_constant,
            parse_float=_reject_float,
        )
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise _malformed("header is not UTF-8 JSON") from exc
    if not isinstance(obj, dict) or set(obj) != _HEADER_KEYS:
        raise _malformed("header fields are missing or unknown")
    if obj["format"] != FORMAT_NAME:
        raise _malformed("header format name is wrong")
    if obj["v"] != FORMAT_VERSION or type(obj["v"]) is not int:
        raise EnvelopeError("unsupported envelope version", code=ErrorCode.ENVELOPE_UNSUPPORTED)
    suite = SUITES.get(obj["suite"]) if isinstance(obj["suite"], str) else None
    if suite is None:
        raise EnvelopeError("unsupported cipher suite", code=ErrorCode.ENVELOPE_UNSUPPORTED)
    epk_size, wk_size = _WRAP_SIZES[suite.name]
    entries = obj["recipients"]
    if not isinstance(entries, list) or len(entries) != len(ROLES):
        raise _malformed("header must list exactly two recipients")
    recipients: list[Recipient] = []
    for role, entry in zip(ROLES, entries, strict=True):
        if not isinstance(entry, dict) or set(entry) != _RECIPIENT_KEYS or entry["role"] != role:
            raise _malformed("recipient entries must be 'opening' then 'bidder'")
        recipients.append(
            Recipient(
                role=role,
                kid=_kid(entry["kid"]),
                epk=_hex(entry, "epk", epk_size),
                wk=_hex(entry, "wk", wk_size),
            )
        )
    if recipients[0].kid == recipients[1].kid:
        raise _malformed("opening and bidder recipients share a key id")
    header = EnvelopeHeader(
        suite=suite,
        tender_ref=_check_ref(obj["tender"], "tender", _malformed),
        bidder_ref=_check_ref(obj["bidder"], "bidder", _malformed),
        chunk_size=_int(obj, "chunk_size", MIN_CHUNK_SIZE, MAX_CHUNK_SIZE),
        plaintext_length=_int(obj, "length", 0, MAX_PLAINTEXT_LENGTH),
        commitment=_hex(obj, "commitment", suite.digest_size),
        salt=_hex(obj, "salt", SALT_SIZE),
        key_check=_hex(obj, "key_check", KEY_CHECK_SIZE),
        recipients=tuple(recipients),
        signer_kid=_kid(obj["signer"]),
        signature=_hex(obj, "signature", _SIGNATURE_SIZES[suite.name]),
    )
    if header.header_bytes != raw:
        raise _malformed("header is not in canonical form")
    return header


def read_header(stream: ReadableStream) -> EnvelopeHeader:
    """Read and validate the prefix and header; leaves ``stream`` at chunk 0.

    Checks structure only. Call :func:`verify_header_signature` with the bidder's
    registered signing key before trusting any field.
    """
    prefix = _read_exact(stream, PREFIX.size)
    if len(prefix) < PREFIX.size:
        raise EnvelopeError("envelope ends inside its prefix", code=ErrorCode.ENVELOPE_TRUNCATED)
    magic, version, size = PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise _malformed("not a ggzy envelope (bad magic)")
    if version != FORMAT_VERSION:
        raise EnvelopeError(
            f"unsupported envelope version {version}", code=ErrorCode.ENVELOPE_UNSUPPORTED
        )
    if not 2 <= size <= MAX_HEADER_SIZE:
        raise _malformed("header length out of range")
    raw = _read_exact(stream, size)
    if len(raw) < size:
        raise EnvelopeError("envelope ends inside its header", code=ErrorCode.ENVELOPE_TRUNCATED)
    return _parse_header(bytes(raw))  # a stream may hand out memoryview slices


def verify_header_signature(header: EnvelopeHeader, bidder_verify_key: PublicKey) -> None:
    """Check the bidder's signature over the header core; raise ``signature_invalid``.

    ``bidder_verify_key`` must come from the platform's registry / the bidder's
    certificate, never from the envelope itself.
    """
    suite = header.suite
    if bidder_verify_key.algorithm is not suite.signing_algorithm:
        raise EnvelopeSignatureError(f"suite {suite.name} needs a {suite.signing_algorithm} key")
    if suite.key_id(bidder_verify_key) != header.signer_kid:
        raise EnvelopeSignatureError("the envelope was signed by a different key")
    try:
        suite.verify(bidder_verify_key, header.signed_message, header.signature)
    except SignatureError as exc:
        raise EnvelopeSignatureError("the bidder's signature does not verify") from exc


# --------------------------------------------------------------------------- open


def unwrap_content_key(header: EnvelopeHeader, recipient_private_key: PrivateKey) -> bytes:
    """Recover the 32-byte content key with the opening key or the bidder's own key.

    ``wrong_key`` if the key is not one of the envelope's recipients;
    ``envelope_tampered`` if the wrapped key or the header was altered.
    """
    suite = header.suite
    if recipient_private_key.algorithm is not suite.wrapping_algorithm:
        raise EnvelopeError(
            f"suite {suite.name} needs a {suite.wrapping_algorithm} key",
            code=ErrorCode.WRONG_KEY,
        )
    kid = suite.key_id(recipient_private_key.public_key)
    entry = next((r for r in header.recipients if r.kid == kid), None)
    if entry is None:
        raise EnvelopeError("this key is not a recipient of the envelope", code=ErrorCode.WRONG_KEY)
    try:
        content_key = suite.unwrap_key(recipient_private_key, entry.wrapped, context=header.salt)
    except DecryptionError as exc:
        raise EnvelopeError(
            "the wrapped content key does not decrypt", code=ErrorCode.ENVELOPE_TAMPERED
        ) from exc
    check = _derive(suite, content_key, header.salt).key_check
    if len(content_key) != CONTENT_KEY_SIZE or not hmac.compare_digest(check, header.key_check):
        raise EnvelopeError(
            "the wrapped content key does not belong to this envelope",
            code=ErrorCode.ENVELOPE_TAMPERED,
        )
    return content_key


def open_envelope(
    stream_in: ReadableStream,
    stream_out: WritableStream,
    content_key: bytes,
    *,
    strict: bool = True,
    header: EnvelopeHeader | None = None,
) -> OpenResult:
    """Decrypt the envelope in ``stream_in`` to ``stream_out``, streaming.

    Every chunk's tag is checked before its plaintext is written; then the hash of the
    whole plaintext is compared with the signed commitment. With ``strict`` (default)
    a mismatch raises :class:`CommitmentMismatchError`; otherwise the returned
    :class:`OpenResult` has ``consistent == False``. On any error the bytes already
    written to ``stream_out`` must be discarded (write to a temporary file, then rename).
    Pass ``header`` when it was already read from ``stream_in`` (the stream then stands
    just after it), so the envelope is read once.
    """
    if header is None:
        header = read_header(stream_in)
    suite = header.suite
    if len(content_key) != CONTENT_KEY_SIZE:
        raise EnvelopeError("content key must be 32 bytes", code=ErrorCode.WRONG_KEY)
    keys = _derive(suite, bytes(content_key), header.salt)
    if not hmac.compare_digest(keys.key_check, header.key_check):
        raise EnvelopeError("content key does not fit this envelope", code=ErrorCode.WRONG_KEY)
    aead = suite.aead(keys.payload_key)
    core_digest = header.core_digest
    digest = suite.new_hash()
    count = header.chunk_count
    for index in range(count):
        size = header.chunk_plaintext_size(index) + suite.tag_size
        data = _read_exact(stream_in, size)
        if len(data) < size:
            raise EnvelopeError(
                f"envelope ends inside chunk {index} of {count}",
                code=ErrorCode.ENVELOPE_TRUNCATED,
            )
        last = index == count - 1
        try:
            plaintext = aead.decrypt(
                _nonce(keys.nonce_base, index), data, _aad(core_digest, index, last)
            )
        except DecryptionError as exc:
            raise EnvelopeError(
                f"chunk {index} failed authentication", code=ErrorCode.ENVELOPE_TAMPERED
            ) from exc
        digest.update(plaintext)
        stream_out.write(plaintext)
    if stream_in.read(1):
        raise _malformed("unexpected bytes after the final chunk")
    result = OpenResult(
        header=header, plaintext_length=header.plaintext_length, digest=digest.finalize()
    )
    if strict and not result.consistent:
        raise CommitmentMismatchError(
            "decrypted bid file does not match the signed commitment", result=result
        )
    return result
