"""C2SP signed notes (签名注记) and tlog cosignatures (见证联署). Pure, no Django.

Formats (https://c2sp.org/signed-note, https://c2sp.org/tlog-cosignature):

* A signed note is a UTF-8 text ending in a newline, a blank line, then one or
  more lines ``— <key name> <base64(key ID ‖ signature)>`` (U+2014 em dash).
  No ASCII control character other than newline may appear.
* Key names are non-empty, without Unicode spaces or ``+``.
* The key ID is ``SHA-256(name ‖ 0x0A ‖ type byte ‖ public key)[:4]``, read big-endian.
* Verifier keys (vkeys): ``<name>+<8 hex key ID>+<base64(type byte ‖ public key)>``;
  signer keys: ``PRIVATE+KEY+<name>+<8 hex key ID>+<base64(type byte ‖ private key)>``
  (the encoding of Go's ``golang.org/x/mod/sumdb/note``).
* Type ``0x01``: Ed25519 over the note text.
* Type ``0x04``: timestamped Ed25519 cosignature: the signature is
  ``uint64 timestamp (big-endian) ‖ Ed25519 signature`` over
  ``"cosignature/v1\\n" "time <timestamp>\\n" ‖ checkpoint text``.

Extension point: any object with ``name``, ``key_id`` and ``sign`` /
``verify`` fits the :class:`Signer` / :class:`Verifier` protocols, and
:func:`parse_verifier_key` / :func:`parse_signer_key` take extra factories per
type byte. An SM2-with-SM3 signature line (国密) would use type ``0xff``
followed by a type identifier hash (the signed-note rule for unassigned
types) inside the key bytes, and register a factory for ``0xff`` that checks
that identifier; nothing here needs to change.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ggzy import clock as ggzy_clock

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "ALG_UNASSIGNED",
    "MAX_SIGNATURES",
    "CosignatureSigner",
    "CosignatureVerifier",
    "DuplicateSignatureError",
    "Ed25519Signer",
    "Ed25519Verifier",
    "InvalidSignatureError",
    "KeyFormatError",
    "MalformedNoteError",
    "Note",
    "NoteError",
    "NoteSignature",
    "Signer",
    "SignerFactory",
    "UnverifiedNoteError",
    "Verifier",
    "VerifierFactory",
    "cosignature_message",
    "cosignature_timestamp",
    "encode_verifier_key",
    "generate_signer_key",
    "is_valid_key_name",
    "key_id",
    "open_note",
    "parse_signature_line",
    "parse_signer_key",
    "parse_verifier_key",
    "sign_note",
    "validate_note_text",
]

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
#: For signature types without an assigned byte; followed by a type identifier.
ALG_UNASSIGNED = 0xFF

#: Default cap on signature lines per note (the spec asks for at least 16).
MAX_SIGNATURES = 100

_EM_DASH_PREFIX = "\u2014 "
_PRIVATE_PREFIX = "PRIVATE+KEY+"
_COSIGNATURE_HEADER = b"cosignature/v1\n"
_ED25519_SIGNATURE_SIZE = 64
_MAX_TIMESTAMP = 2**63 - 1
_HEX_ID = re.compile(r"[0-9a-f]{8}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


# --------------------------------------------------------------------------- errors


class NoteError(ValueError):
    """A signed note could not be opened or produced."""


class MalformedNoteError(NoteError):
    """The note does not follow the signed-note format."""


class UnverifiedNoteError(NoteError):
    """No signature from a known key was found; the text must be ignored."""


class InvalidSignatureError(NoteError):
    """A signature from a known key failed to verify: the whole note is rejected."""


class DuplicateSignatureError(NoteError):
    """A known key signed the note more than once: the whole note is rejected."""


class KeyFormatError(ValueError):
    """A vkey or signer key string is malformed or of an unsupported type."""


# --------------------------------------------------------------------------- protocols


@runtime_checkable
class Signer(Protocol):
    """Signs note texts with one key, identified by ``(name, key_id)``."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def sign(self, message: bytes) -> bytes:
        """Signature bytes for the note text (without the key ID prefix)."""
        ...


@runtime_checkable
class Verifier(Protocol):
    """Verifies note signatures of one key, identified by ``(name, key_id)``."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True when ``signature`` (without the key ID prefix) signs the note text."""
        ...


#: ``factory(name, key)`` with ``key`` = type byte ‖ public key material.
VerifierFactory = Callable[[str, bytes], Verifier]
#: ``factory(name, key)`` with ``key`` = type byte ‖ private key material.
SignerFactory = Callable[[str, bytes], Signer]


# --------------------------------------------------------------------------- keys


def is_valid_key_name(name: str) -> bool:
    """Non-empty, no Unicode space, no ``+``, no control character."""
    return bool(name) and "+" not in name and not any(ch.isspace() or ord(ch) < 0x20 for ch in name)


def _check_name(name: str) -> None:
    if not is_valid_key_name(name):
        raise KeyFormatError(f"invalid key name {name!r}")


def key_id(name: str, key: bytes) -> int:
    """``SHA-256(name ‖ 0x0A ‖ key)[:4]`` as a big-endian integer; ``key`` starts with
    the signature type byte."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(name.encode("utf-8") + b"\n" + key)
    return int.from_bytes(digest.finalize()[:4], "big")


def _b64decode_strict(text: str) -> bytes:
    """Standard base64 with padding, refusing anything that does not re-encode identically."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError(f"bad base64: {exc}") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("non-canonical base64")
    return raw


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def encode_verifier_key(name: str, key: bytes) -> str:
    """``<name>+<hex key ID>+<base64(key)>`` where ``key`` = type byte ‖ public key."""
    _check_name(name)
    if not key:
        raise KeyFormatError("empty key")
    return f"{name}+{key_id(name, key):08x}+{_b64(key)}"


def _encode_signer_key(name: str, public_key: bytes, private_key: bytes) -> str:
    return f"{_PRIVATE_PREFIX}{name}+{key_id(name, public_key):08x}+{_b64(private_key)}"


def _split_key(text: str, *, private: bool) -> tuple[str, int, bytes]:
    if private:
        if not text.startswith(_PRIVATE_PREFIX):
            raise KeyFormatError("signer keys start with PRIVATE+KEY+")
        text = text[len(_PRIVATE_PREFIX) :]
    parts = text.split("+", 2)  # base64 key data may itself contain "+"
    if len(parts) != 3:
        raise KeyFormatError("key must be <name>+<hex id>+<base64 key>")
    name, hex_id, b64 = parts
    _check_name(name)
    if not _HEX_ID.fullmatch(hex_id):
        raise KeyFormatError(f"key ID {hex_id!r} is not 8 lowercase hex digits")
    try:
        key = _b64decode_strict(b64)
    except ValueError as exc:
        raise KeyFormatError(f"key data: {exc}") from None
    if not key:
        raise KeyFormatError("empty key data")
    return name, int(hex_id, 16), key


# --------------------------------------------------------------------------- Ed25519 (0x01)


class Ed25519Verifier:
    """Type 0x01: Ed25519 over the note text."""

    algorithm = ALG_ED25519

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        _check_name(name)
        self._name = name
        self._public_key = public_key
        self._raw = public_key.public_bytes_raw()
        self._key_id = key_id(name, bytes([self.algorithm]) + self._raw)

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return self._key_id

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._public_key

    def verifier_key(self) -> str:
        """The vkey string: ``<name>+<hex id>+<base64(type ‖ public key)>``."""
        return encode_verifier_key(self._name, bytes([self.algorithm]) + self._raw)

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != _ED25519_SIGNATURE_SIZE:
            return False
        try:
            self._public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.verifier_key()!r})"


class Ed25519Signer:
    """Type 0x01 signer; keep it secret, hand out :meth:`verifier_key`."""

    algorithm = ALG_ED25519

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_name(name)
        self._name = name
        self._private_key = private_key
        self._verifier = self._make_verifier()

    def _make_verifier(self) -> Ed25519Verifier:
        return Ed25519Verifier(self._name, self._private_key.public_key())

    @classmethod
    def generate(cls, name: str) -> Ed25519Signer:
        return cls(name, Ed25519PrivateKey.generate())

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return self._verifier.key_id

    def verifier(self) -> Ed25519Verifier:
        return self._verifier

    def verifier_key(self) -> str:
        return self._verifier.verifier_key()

    def signer_key(self) -> str:
        """``PRIVATE+KEY+<name>+<hex id>+<base64(type ‖ 32-byte seed)>``."""
        public = bytes([self.algorithm]) + self._private_key.public_key().public_bytes_raw()
        private = bytes([self.algorithm]) + self._private_key.private_bytes_raw()
        return _encode_signer_key(self._name, public, private)

    def sign(self, message: bytes) -> bytes:
        return self._private_key.sign(message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.verifier_key()!r})"


# --------------------------------------------------------------------------- cosignatures (0x04)


def cosignature_message(timestamp: int, checkpoint_text: bytes) -> bytes:
    """The message a v1 Ed25519 cosignature signs (c2sp.org/tlog-cosignature)."""
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise ValueError("cosignature timestamp is outside [0, 2^63-1]")
    return _COSIGNATURE_HEADER + b"time %d\n" % timestamp + checkpoint_text


def cosignature_timestamp(signature: bytes) -> int:
    """The POSIX timestamp of a type 0x04 signature (without the key ID prefix)."""
    if len(signature) != 8 + _ED25519_SIGNATURE_SIZE:
        raise ValueError("a v1 cosignature is 72 bytes")
    return int.from_bytes(signature[:8], "big")


class CosignatureVerifier(Ed25519Verifier):
    """Type 0x04: timestamped Ed25519 witness cosignature over a checkpoint."""

    algorithm = ALG_COSIGNATURE_V1

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != 8 + _ED25519_SIGNATURE_SIZE:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp > _MAX_TIMESTAMP:
            return False
        return super().verify(cosignature_message(timestamp, message), signature[8:])


def _unix_seconds(moment: dt.datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("cosignature clock must be timezone-aware")
    return int(moment.timestamp())


class CosignatureSigner(Ed25519Signer):
    """Type 0x04 cosigner; the timestamp comes from ``clock`` (default: ``ggzy.clock.now``)."""

    algorithm = ALG_COSIGNATURE_V1

    def __init__(
        self,
        name: str,
        private_key: Ed25519PrivateKey,
        *,
        clock: Callable[[], dt.datetime] = ggzy_clock.now,
    ) -> None:
        self._clock = clock
        super().__init__(name, private_key)

    def _make_verifier(self) -> Ed25519Verifier:
        return CosignatureVerifier(self._name, self._private_key.public_key())

    @classmethod
    def generate(
        cls, name: str, *, clock: Callable[[], dt.datetime] = ggzy_clock.now
    ) -> CosignatureSigner:
        return cls(name, Ed25519PrivateKey.generate(), clock=clock)

    def verifier(self) -> CosignatureVerifier:
        verifier = self._verifier
        assert isinstance(verifier, CosignatureVerifier)
        return verifier

    def sign(self, message: bytes) -> bytes:
        return self.sign_at(message, _unix_seconds(self._clock()))

    def sign_at(self, message: bytes, timestamp: int) -> bytes:
        """Cosign ``message`` (a checkpoint text) as of ``timestamp`` (POSIX seconds)."""
        signed = cosignature_message(timestamp, message)
        return timestamp.to_bytes(8, "big") + self._private_key.sign(signed)


# --------------------------------------------------------------------------- key strings


def _ed25519_public(key: bytes) -> Ed25519PublicKey:
    if len(key) != 33:
        raise KeyFormatError("Ed25519 public keys are 32 bytes")
    return Ed25519PublicKey.from_public_bytes(key[1:])


def _ed25519_private(key: bytes) -> Ed25519PrivateKey:
    if len(key) != 33:
        raise KeyFormatError("Ed25519 private keys are 32-byte seeds")
    return Ed25519PrivateKey.from_private_bytes(key[1:])


def parse_verifier_key(
    vkey: str, *, extra_algorithms: Mapping[int, VerifierFactory] | None = None
) -> Verifier:
    """Parse a vkey (types 0x01 and 0x04 built in; others via ``extra_algorithms``).

    The key ID in the string must match the one the verifier computes.
    """
    name, hex_id, key = _split_key(vkey, private=False)
    algorithm = key[0]
    verifier: Verifier
    if extra_algorithms is not None and algorithm in extra_algorithms:
        verifier = extra_algorithms[algorithm](name, key)
    elif algorithm == ALG_ED25519:
        verifier = Ed25519Verifier(name, _ed25519_public(key))
    elif algorithm == ALG_COSIGNATURE_V1:
        verifier = CosignatureVerifier(name, _ed25519_public(key))
    else:
        raise KeyFormatError(f"unsupported signature type 0x{algorithm:02x}")
    if verifier.key_id != hex_id:
        raise KeyFormatError(f"key ID {hex_id:08x} does not match the key")
    return verifier


def parse_signer_key(
    skey: str,
    *,
    clock: Callable[[], dt.datetime] = ggzy_clock.now,
    extra_algorithms: Mapping[int, SignerFactory] | None = None,
) -> Signer:
    """Parse ``PRIVATE+KEY+<name>+<hex id>+<base64(type ‖ private key)>``.

    Type 0x01 gives an :class:`Ed25519Signer`; type 0x04 (a cosigner key, same
    layout) a :class:`CosignatureSigner` reading ``clock``.
    """
    name, hex_id, key = _split_key(skey, private=True)
    algorithm = key[0]
    signer: Signer
    if extra_algorithms is not None and algorithm in extra_algorithms:
        signer = extra_algorithms[algorithm](name, key)
    elif algorithm == ALG_ED25519:
        signer = Ed25519Signer(name, _ed25519_private(key))
    elif algorithm == ALG_COSIGNATURE_V1:
        signer = CosignatureSigner(name, _ed25519_private(key), clock=clock)
    else:
        raise KeyFormatError(f"unsupported signature type 0x{algorithm:02x}")
    if signer.key_id != hex_id:
        raise KeyFormatError(f"key ID {hex_id:08x} does not match the key")
    return signer


def generate_signer_key(name: str, *, algorithm: int = ALG_ED25519) -> tuple[str, str]:
    """A fresh ``(signer key, verifier key)`` pair of type 0x01 or 0x04."""
    signer: Ed25519Signer
    if algorithm == ALG_ED25519:
        signer = Ed25519Signer.generate(name)
    elif algorithm == ALG_COSIGNATURE_V1:
        signer = CosignatureSigner.generate(name)
    else:
        raise KeyFormatError(f"cannot generate signature type 0x{algorithm:02x}")
    return signer.signer_key(), signer.verifier_key()


# --------------------------------------------------------------------------- notes


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, key ID and the signature bytes after the ID."""

    name: str
    key_id: int
    signature: bytes

    @property
    def base64(self) -> str:
        return _b64(self.key_id.to_bytes(4, "big") + self.signature)

    def line(self) -> str:
        """``— <name> <base64(key ID ‖ signature)>\\n``."""
        return f"{_EM_DASH_PREFIX}{self.name} {self.base64}\n"


@dataclass(frozen=True)
class Note:
    """An opened note: its text and the signatures that verified or were skipped."""

    text: str
    signatures: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...] = field(default=())

    def signed_by(self, name: str, key_id: int) -> bool:
        return any(s.name == name and s.key_id == key_id for s in self.signatures)

    def to_bytes(self) -> bytes:
        """Re-encode: text, blank line, verified then unverified signature lines."""
        lines = "".join(s.line() for s in (*self.signatures, *self.unverified))
        return (self.text + "\n" + lines).encode("utf-8")


def validate_note_text(text: str) -> None:
    """A note text ends in a newline and has no control character but newline."""
    if not text.endswith("\n"):
        raise MalformedNoteError("note text must end in a newline")
    if _CONTROL.search(text):
        raise MalformedNoteError("note text contains a control character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedNoteError("note text is not valid Unicode") from None


def parse_signature_line(line: str) -> NoteSignature:
    """Parse ``— <name> <base64>`` (without the trailing newline)."""
    if not line.startswith(_EM_DASH_PREFIX):
        raise MalformedNoteError("signature lines start with an em dash and a space")
    name, sep, b64 = line[len(_EM_DASH_PREFIX) :].partition(" ")
    if not sep or not is_valid_key_name(name):
        raise MalformedNoteError(f"bad key name in signature line {line!r}")
    try:
        raw = _b64decode_strict(b64)
    except ValueError as exc:
        raise MalformedNoteError(f"signature is not base64: {exc}") from None
    if len(raw) < 5:
        raise MalformedNoteError("signature is shorter than a key ID and one byte")
    return NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def sign_note(text: str, signers: Iterable[Signer], *, keep: Sequence[NoteSignature] = ()) -> bytes:
    """Sign ``text`` with each signer; ``keep`` lists earlier signatures to carry over.

    A kept signature by the same ``(name, key_id)`` as a new signer is replaced.
    """
    validate_note_text(text)
    message = text.encode("utf-8")
    new: list[NoteSignature] = []
    seen: set[tuple[str, int]] = set()
    for signer in signers:
        ident = (signer.name, signer.key_id)
        if not is_valid_key_name(signer.name):
            raise NoteError(f"invalid signer name {signer.name!r}")
        if ident in seen:
            raise NoteError(f"two signers share the key {signer.name}+{signer.key_id:08x}")
        seen.add(ident)
        new.append(NoteSignature(signer.name, signer.key_id, signer.sign(message)))
    if not new and not keep:
        raise NoteError("a signed note needs at least one signature")
    carried: list[NoteSignature] = []
    for sig in keep:
        if (sig.name, sig.key_id) not in seen and sig not in carried:
            carried.append(sig)
    return (text + "\n" + "".join(s.line() for s in (*carried, *new))).encode("utf-8")


def open_note(
    message: bytes, verifiers: Iterable[Verifier], *, max_signatures: int = MAX_SIGNATURES
) -> Note:
    """Parse a signed note and verify it against the known ``verifiers``.

    Signatures by unknown ``(name, key_id)`` pairs are skipped and kept in
    :attr:`Note.unverified` (identical repeated lines once, as Go's
    ``note.Open`` does). A known key's signature must verify, and a known
    key may sign only once: a bad or repeated one rejects the whole note. At
    least one known key must have signed.
    """
    known: dict[tuple[str, int], Verifier] = {}
    for v in verifiers:
        ident = (v.name, v.key_id)
        if ident in known:
            raise NoteError(f"two known verifiers share {v.name}+{v.key_id:08x}")
        known[ident] = v
    text, lines = _split_note(message, max_signatures)
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    seen: set[tuple[str, int]] = set()
    body = text.encode("utf-8")
    for line in lines:
        sig = parse_signature_line(line)
        ident = (sig.name, sig.key_id)
        verifier = known.get(ident)
        if verifier is None:
            if sig not in unverified:
                unverified.append(sig)
            continue
        if not verifier.verify(body, sig.signature):
            raise InvalidSignatureError(f"bad signature from {sig.name}+{sig.key_id:08x}")
        if ident in seen:
            raise DuplicateSignatureError(f"{sig.name}+{sig.key_id:08x} signed more than once")
        seen.add(ident)
        verified.append(sig)
    if not verified:
        raise UnverifiedNoteError("no signature from a known key")
    return Note(text, tuple(verified), tuple(unverified))


def _split_note(message: bytes, max_signatures: int) -> tuple[str, list[str]]:
    """The note text and its signature lines (without newlines), format checked."""
    try:
        decoded = message.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedNoteError("note is not valid UTF-8") from None
    if _CONTROL.search(decoded):
        raise MalformedNoteError("note contains a control character")
    split = decoded.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("note has no blank line before its signatures")
    text, block = decoded[: split + 1], decoded[split + 2 :]
    if not block or not block.endswith("\n"):
        raise MalformedNoteError("signature block must be non-empty lines ending in newline")
    lines = block[:-1].split("\n")
    if len(lines) > max_signatures:
        raise MalformedNoteError(f"note has more than {max_signatures} signatures")
    return text, lines
