"""Cipher suites (密码套件): one interface, two algorithm families.

=========  ===============================  ======================================
           ``INTL`` (international)          ``GM`` (国密, national / GM/T)
=========  ===============================  ======================================
hash       SHA-256                           SM3 (GB/T 32905-2016)
signature  Ed25519 (RFC 8032)                SM2 with SM3, ID ``1234567812345678``
                                             (GB/T 32918.2, DER ``SEQUENCE{r,s}``)
key wrap   ephemeral X25519 → HKDF-SHA256    SM2 public-key encryption
           → AES-256-GCM (WebCrypto-able)    (GB/T 32918.4, raw C1‖C3‖C2)
KDF        HKDF-SHA256 (RFC 5869)            HKDF-SM3 (RFC 5869 with HMAC-SM3)
AEAD       AES-256-GCM                       SM4-GCM (GB/T 32907 + GCM, RFC 8998)
=========  ===============================  ======================================

Every primitive comes from ``cryptography`` (OpenSSL) except SM2, which comes from
GmSSL through :mod:`ggzy.crypto.sm2`. Nothing here is a home-made primitive.

Keys are :class:`PublicKey` / :class:`PrivateKey` values tagged with their
:class:`KeyAlgorithm`. Serialised forms (stable, part of the envelope format):

* bytes: one tag byte then the raw key —
  public ``01`` Ed25519 (32 B), ``02`` X25519 (32 B), ``03`` SM2 (65 B ``04‖x‖y``);
  private ``81`` Ed25519 seed (32 B), ``82`` X25519 scalar (32 B),
  ``83`` SM2 ``d`` (32 B) followed by its public key (65 B) — GmSSL cannot derive it.
* text: ``"<algorithm>:<base64>"`` for public keys (``x25519:…``) and
  ``"<algorithm>-private:<base64>"`` for private keys, base64 per RFC 4648 §4 with
  padding, of the raw key (without the tag byte).

A key id (``kid``, 密钥标识) is the lowercase hex of the first 16 bytes of the suite
hash of the public key's tagged bytes: ``hex(H(tag ‖ raw)[:16])``.

No Django imports.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Final, Protocol

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ggzy.crypto import sm2
from ggzy.crypto.errors import (
    DecryptionError,
    ErrorCode,
    InvalidParameterError,
    KeyFormatError,
    SignatureError,
)

__all__ = [
    "GM",
    "INTL",
    "SUITES",
    "Aead",
    "GmSuite",
    "IntlSuite",
    "KeyAlgorithm",
    "PrivateKey",
    "PublicKey",
    "Suite",
    "WrappedKey",
    "get_suite",
]

NONCE_SIZE: Final = 12
TAG_SIZE: Final = 16
DIGEST_SIZE: Final = 32
KEY_ID_BYTES: Final = 16

INTL_WRAP_INFO: Final = b"ggzy-key-wrap-v1"
"""HKDF ``info`` prefix for the INTL key wrap; followed by ``epk ‖ recipient public key``."""

ZERO_NONCE: Final = bytes(NONCE_SIZE)


class KeyAlgorithm(StrEnum):
    """Asymmetric key algorithms (非对称密钥算法)."""

    ED25519 = "ed25519"
    X25519 = "x25519"
    SM2 = "sm2"


_PUBLIC_TAG: Final = {KeyAlgorithm.ED25519: 0x01, KeyAlgorithm.X25519: 0x02, KeyAlgorithm.SM2: 0x03}
_PRIVATE_TAG: Final = {k: v | 0x80 for k, v in _PUBLIC_TAG.items()}
_PUBLIC_BY_TAG: Final = {v: k for k, v in _PUBLIC_TAG.items()}
_PRIVATE_BY_TAG: Final = {v: k for k, v in _PRIVATE_TAG.items()}
_PUBLIC_SIZE: Final = {
    KeyAlgorithm.ED25519: 32,
    KeyAlgorithm.X25519: 32,
    KeyAlgorithm.SM2: sm2.PUBLIC_KEY_SIZE,
}
_PRIVATE_SUFFIX: Final = "-private"


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise KeyFormatError("key text is not valid base64") from exc
    if _b64encode(data) != text:
        raise KeyFormatError("key text is not canonical base64")
    return data


def _split_text(text: str) -> tuple[str, str]:
    name, sep, payload = text.strip().partition(":")
    if not sep:
        raise KeyFormatError("key text must look like '<algorithm>:<base64>'")
    return name, payload


def _algorithm(name: str) -> KeyAlgorithm:
    try:
        return KeyAlgorithm(name)
    except ValueError:
        raise KeyFormatError(f"unknown key algorithm {name!r}") from None


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A validated public key (公钥) with its algorithm.

    ``raw`` is 32 bytes for Ed25519/X25519 and 65 bytes ``04‖x‖y`` for SM2 (other SM2
    encodings are normalised on construction).
    """

    algorithm: KeyAlgorithm
    raw: bytes

    def __post_init__(self) -> None:
        algorithm = KeyAlgorithm(self.algorithm)
        object.__setattr__(self, "algorithm", algorithm)
        raw = bytes(self.raw)
        if algorithm is KeyAlgorithm.SM2:
            raw = sm2.normalize_public_key(raw)
        elif len(raw) != _PUBLIC_SIZE[algorithm]:
            raise KeyFormatError(f"{algorithm} public key must be 32 bytes, got {len(raw)}")
        elif algorithm is KeyAlgorithm.ED25519:
            try:
                ed25519.Ed25519PublicKey.from_public_bytes(raw)
            except ValueError as exc:  # pragma: no cover - every 32-byte string loads
                raise KeyFormatError("invalid Ed25519 public key") from exc
        object.__setattr__(self, "raw", raw)

    def to_bytes(self) -> bytes:
        """Tag byte ‖ raw key."""
        return bytes([_PUBLIC_TAG[self.algorithm]]) + self.raw

    @classmethod
    def from_bytes(cls, data: bytes) -> PublicKey:
        if not data or data[0] not in _PUBLIC_BY_TAG:
            raise KeyFormatError("unknown public key tag")
        algorithm = _PUBLIC_BY_TAG[data[0]]
        if len(data) - 1 != _PUBLIC_SIZE[algorithm]:
            raise KeyFormatError(f"{algorithm} public key has the wrong length")
        return cls(algorithm, bytes(data[1:]))

    def to_text(self) -> str:
        """``"<algorithm>:<base64 of raw>"``, e.g. ``"x25519:mA3…="``."""
        return f"{self.algorithm}:{_b64encode(self.raw)}"

    @classmethod
    def from_text(cls, text: str) -> PublicKey:
        name, payload = _split_text(text)
        return cls(_algorithm(name), _b64decode(payload))


class PrivateKey:
    """A private key (私钥) and its public key. Never printed, never compared by value.

    ``secret`` is the 32-byte Ed25519 seed, X25519 scalar or SM2 ``d``. For Ed25519 and
    X25519 the public key is derived; for SM2 it must be supplied and is checked.
    """

    __slots__ = ("algorithm", "public_key", "secret")

    algorithm: KeyAlgorithm
    secret: bytes
    public_key: PublicKey

    def __init__(
        self, algorithm: KeyAlgorithm, secret: bytes, public_key: PublicKey | None = None
    ) -> None:
        algorithm = KeyAlgorithm(algorithm)
        secret = bytes(secret)
        derived: PublicKey | None
        if algorithm is KeyAlgorithm.SM2:
            if public_key is None:
                raise KeyFormatError("an SM2 private key needs its public key")
            if public_key.algorithm is not KeyAlgorithm.SM2:
                raise KeyFormatError("public key algorithm differs from the private key's")
            sm2.check_keypair(secret, public_key.raw)
            derived = public_key
        elif len(secret) != 32:
            raise KeyFormatError(f"{algorithm} private key must be 32 bytes")
        elif algorithm is KeyAlgorithm.ED25519:
            raw_pub = ed25519.Ed25519PrivateKey.from_private_bytes(secret).public_key()
            derived = PublicKey(algorithm, raw_pub.public_bytes_raw())
        else:
            raw_xpub = x25519.X25519PrivateKey.from_private_bytes(secret).public_key()
            derived = PublicKey(algorithm, raw_xpub.public_bytes_raw())
        if public_key is not None and public_key != derived:
            raise KeyFormatError("public key does not belong to the private key")
        self.algorithm = algorithm
        self.secret = secret
        self.public_key = derived

    @classmethod
    def generate(cls, algorithm: KeyAlgorithm) -> PrivateKey:
        """A fresh random key pair of ``algorithm``."""
        algorithm = KeyAlgorithm(algorithm)
        if algorithm is KeyAlgorithm.ED25519:
            return cls(algorithm, ed25519.Ed25519PrivateKey.generate().private_bytes_raw())
        if algorithm is KeyAlgorithm.X25519:
            return cls(algorithm, x25519.X25519PrivateKey.generate().private_bytes_raw())
        d, public = sm2.generate_keypair()
        return cls(algorithm, d, PublicKey(algorithm, public))

    def _raw(self) -> bytes:
        if self.algorithm is KeyAlgorithm.SM2:
            return self.secret + self.public_key.raw
        return self.secret

    def to_bytes(self) -> bytes:
        """Tag byte ‖ secret (‖ 65-byte public key for SM2). Handle as a secret."""
        return bytes([_PRIVATE_TAG[self.algorithm]]) + self._raw()

    @classmethod
    def from_bytes(cls, data: bytes) -> PrivateKey:
        if not data or data[0] not in _PRIVATE_BY_TAG:
            raise KeyFormatError("unknown private key tag")
        return cls._from_raw(_PRIVATE_BY_TAG[data[0]], bytes(data[1:]))

    def to_text(self) -> str:
        """``"<algorithm>-private:<base64>"``. Handle as a secret."""
        return f"{self.algorithm}{_PRIVATE_SUFFIX}:{_b64encode(self._raw())}"

    @classmethod
    def from_text(cls, text: str) -> PrivateKey:
        name, payload = _split_text(text)
        if not name.endswith(_PRIVATE_SUFFIX):
            raise KeyFormatError("private key text must look like '<algorithm>-private:…'")
        return cls._from_raw(_algorithm(name.removesuffix(_PRIVATE_SUFFIX)), _b64decode(payload))

    @classmethod
    def _from_raw(cls, algorithm: KeyAlgorithm, raw: bytes) -> PrivateKey:
        if algorithm is KeyAlgorithm.SM2:
            if len(raw) != sm2.PRIVATE_KEY_SIZE + sm2.PUBLIC_KEY_SIZE:
                raise KeyFormatError("SM2 private key must be 32 + 65 bytes")
            public = PublicKey(algorithm, raw[sm2.PRIVATE_KEY_SIZE :])
            return cls(algorithm, raw[: sm2.PRIVATE_KEY_SIZE], public)
        return cls(algorithm, raw)

    def __repr__(self) -> str:
        return f"PrivateKey({self.algorithm}, public={self.public_key.to_text()})"


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A key wrapped (封装) to one recipient: ephemeral public key + wrapped bytes.

    INTL: ``epk`` = ephemeral X25519 public key (32 B), ``wk`` = AES-256-GCM(key) ‖ tag.
    GM: ``epk`` = SM2 ``C1`` (65 B), ``wk`` = ``C3 ‖ C2``; ``epk ‖ wk`` is the raw
    GB/T 32918.4-2016 ciphertext.
    """

    epk: bytes
    wk: bytes


class Aead(Protocol):
    """An AEAD bound to one key; ``encrypt`` returns ``ciphertext ‖ 16-byte tag``."""

    def encrypt(self, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes: ...

    def decrypt(self, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes: ...


class _AesGcm:
    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def encrypt(self, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        return self._aead.encrypt(nonce, plaintext, aad)

    def decrypt(self, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
        try:
            return self._aead.decrypt(nonce, ciphertext, aad)
        except InvalidTag as exc:
            raise DecryptionError("AES-GCM authentication failed") from exc


class _Sm4Gcm:
    """SM4-GCM via ``cryptography``'s Cipher API (GCM as in RFC 8998 §3.1)."""

    __slots__ = ("_algorithm",)

    def __init__(self, key: bytes) -> None:
        self._algorithm = algorithms.SM4(key)

    def encrypt(self, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        enc = Cipher(self._algorithm, modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(aad)
        body = enc.update(plaintext)
        return b"".join((body, enc.finalize(), enc.tag))  # one copy, not two

    def decrypt(self, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
        if len(ciphertext) < TAG_SIZE:
            raise DecryptionError("SM4-GCM ciphertext shorter than its tag")
        view = memoryview(ciphertext)  # slice without copying a 1 MiB chunk
        dec = Cipher(self._algorithm, modes.GCM(nonce, bytes(view[-TAG_SIZE:]))).decryptor()
        dec.authenticate_additional_data(aad)
        plaintext = dec.update(view[:-TAG_SIZE])  # released only after finalize() checks the tag
        try:
            tail = dec.finalize()
        except InvalidTag as exc:
            raise DecryptionError("SM4-GCM authentication failed") from exc
        return plaintext + tail if tail else plaintext


class StreamHash(Protocol):
    """An incremental hash: ``update`` any number of times, then ``finalize`` once."""

    def update(self, data: bytes, /) -> None: ...

    def finalize(self) -> bytes: ...


class _HashlibSha256:
    __slots__ = ("_h",)

    def __init__(self) -> None:
        self._h = hashlib.sha256()

    def update(self, data: bytes, /) -> None:
        self._h.update(data)

    def finalize(self) -> bytes:
        return self._h.digest()


class Suite(ABC):
    """A complete set of algorithms; see the module docstring for the two instances."""

    name: ClassVar[str]
    hash_name: ClassVar[str]
    aead_name: ClassVar[str]
    aead_key_size: ClassVar[int]
    signing_algorithm: ClassVar[KeyAlgorithm]
    wrapping_algorithm: ClassVar[KeyAlgorithm]
    nonce_size: ClassVar[int] = NONCE_SIZE
    tag_size: ClassVar[int] = TAG_SIZE
    digest_size: ClassVar[int] = DIGEST_SIZE

    @abstractmethod
    def _hash_algorithm(self) -> hashes.HashAlgorithm: ...

    @abstractmethod
    def _sign(self, private_key: PrivateKey, message: bytes) -> bytes: ...

    @abstractmethod
    def _verify(self, public_key: PublicKey, message: bytes, signature: bytes) -> None: ...

    @abstractmethod
    def _wrap(self, recipient: PublicKey, key: bytes, context: bytes) -> WrappedKey: ...

    @abstractmethod
    def _unwrap(self, private_key: PrivateKey, wrapped: WrappedKey, context: bytes) -> bytes: ...

    @abstractmethod
    def _aead(self, key: bytes) -> Aead: ...

    # ----------------------------------------------------------------- hashing, KDF

    def hash(self, data: bytes) -> bytes:
        """32-byte digest (SHA-256 or SM3)."""
        h = hashes.Hash(self._hash_algorithm())
        h.update(data)
        return h.finalize()

    def new_hash(self) -> StreamHash:
        """An incremental hash context, for streaming (``update`` / ``finalize``)."""
        return hashes.Hash(self._hash_algorithm())

    def kdf(self, ikm: bytes, *, salt: bytes, info: bytes, length: int) -> bytes:
        """HKDF (RFC 5869) with the suite hash."""
        return HKDF(self._hash_algorithm(), length, salt, info).derive(ikm)

    def key_id(self, public_key: PublicKey) -> str:
        """``hex(H(tag ‖ raw)[:16])`` — 32 lowercase hex characters."""
        return self.hash(public_key.to_bytes())[:KEY_ID_BYTES].hex()

    # ----------------------------------------------------------------- keys

    def generate_signing_key(self) -> PrivateKey:
        """A fresh signing key pair (Ed25519 / SM2)."""
        return PrivateKey.generate(self.signing_algorithm)

    def generate_wrapping_key(self) -> PrivateKey:
        """A fresh key-wrapping (encryption) key pair (X25519 / SM2)."""
        return PrivateKey.generate(self.wrapping_algorithm)

    def _expect(self, algorithm: KeyAlgorithm, expected: KeyAlgorithm, what: str) -> None:
        if algorithm is not expected:
            raise KeyFormatError(
                f"suite {self.name} needs a {expected} key for {what}, got {algorithm}",
                code=ErrorCode.KEY_UNSUPPORTED,
            )

    # ----------------------------------------------------------------- signatures

    def sign(self, private_key: PrivateKey, message: bytes) -> bytes:
        """Sign ``message`` (Ed25519: 64 bytes; SM2: DER ``SEQUENCE{r, s}``)."""
        self._expect(private_key.algorithm, self.signing_algorithm, "signing")
        return self._sign(private_key, message)

    def verify(self, public_key: PublicKey, message: bytes, signature: bytes) -> None:
        """Return if ``signature`` is valid, else raise :class:`SignatureError`."""
        self._expect(public_key.algorithm, self.signing_algorithm, "verification")
        self._verify(public_key, message, signature)

    # ----------------------------------------------------------------- key wrapping

    def wrap_key(self, recipient: PublicKey, key: bytes, *, context: bytes = b"") -> WrappedKey:
        """Wrap ``key`` (1–64 bytes) so only ``recipient``'s private key can unwrap it.

        ``context`` is bound into the INTL wrap (HKDF salt); SM2 encryption has no
        associated data, so the GM suite ignores it and callers must bind the wrapped key
        some other way (the envelope does, with its key-check value and signature).
        """
        self._expect(recipient.algorithm, self.wrapping_algorithm, "key wrapping")
        if not 1 <= len(key) <= 64:
            raise InvalidParameterError("a wrapped key must be 1 to 64 bytes")
        return self._wrap(recipient, key, context)

    def unwrap_key(
        self, private_key: PrivateKey, wrapped: WrappedKey, *, context: bytes = b""
    ) -> bytes:
        """Recover a wrapped key; raise :class:`DecryptionError` if it is not ours/altered."""
        self._expect(private_key.algorithm, self.wrapping_algorithm, "key unwrapping")
        return self._unwrap(private_key, wrapped, context)

    # ----------------------------------------------------------------- AEAD

    def aead(self, key: bytes) -> Aead:
        """An AEAD object for ``key`` (32 bytes AES-256-GCM / 16 bytes SM4-GCM)."""
        if len(key) != self.aead_key_size:
            raise InvalidParameterError(f"{self.aead_name} needs a {self.aead_key_size}-byte key")
        return self._aead(key)

    def aead_encrypt(self, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
        """Encrypt; returns ``ciphertext ‖ 16-byte tag``. ``nonce`` is 12 bytes, never reused."""
        self._check_nonce(nonce)
        return self.aead(key).encrypt(nonce, plaintext, aad)

    def aead_decrypt(self, key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes = b"") -> bytes:
        """Decrypt and authenticate; raise :class:`DecryptionError` on any mismatch."""
        self._check_nonce(nonce)
        return self.aead(key).decrypt(nonce, ciphertext, aad)

    def _check_nonce(self, nonce: bytes) -> None:
        if len(nonce) != NONCE_SIZE:
            raise InvalidParameterError("AEAD nonce must be 12 bytes")

    def __repr__(self) -> str:
        return f"<Suite {self.name}>"


class IntlSuite(Suite):
    """SHA-256, Ed25519, X25519 + HKDF-SHA256 + AES-256-GCM wrap, AES-256-GCM.

    Key wrap (reproducible with WebCrypto alone, see ``docs/envelope.md``)::

        eph         = fresh X25519 key pair
        shared      = X25519(eph.private, recipient)            # 32 bytes, non-zero
        kek         = HKDF-SHA256(ikm=shared, salt=context,
                                  info="ggzy-key-wrap-v1" ‖ eph.public ‖ recipient, L=32)
        wk          = AES-256-GCM(kek, nonce=0^12, aad="", key)  # key ‖ 16-byte tag
        WrappedKey(epk=eph.public, wk=wk)

    The all-zero nonce is safe because ``kek`` is used exactly once (a fresh ephemeral
    key per wrap), as in age and HPKE's single-shot mode.
    """

    name = "intl"
    hash_name = "sha256"
    aead_name = "AES-256-GCM"
    aead_key_size = 32
    signing_algorithm = KeyAlgorithm.ED25519
    wrapping_algorithm = KeyAlgorithm.X25519

    def _hash_algorithm(self) -> hashes.HashAlgorithm:
        return hashes.SHA256()

    def new_hash(self) -> StreamHash:
        # hashlib's SHA-256 (the same OpenSSL code) releases the GIL on large updates, so
        # bids decrypted on several threads at the opening hash in parallel
        return _HashlibSha256()

    def _sign(self, private_key: PrivateKey, message: bytes) -> bytes:
        return ed25519.Ed25519PrivateKey.from_private_bytes(private_key.secret).sign(message)

    def _verify(self, public_key: PublicKey, message: bytes, signature: bytes) -> None:
        key = ed25519.Ed25519PublicKey.from_public_bytes(public_key.raw)
        try:
            key.verify(bytes(signature), message)
        except InvalidSignature as exc:
            raise SignatureError("Ed25519 signature does not verify") from exc

    def _kek(self, shared: bytes, epk: bytes, recipient: bytes, context: bytes) -> Aead:
        kek = self.kdf(shared, salt=context, info=INTL_WRAP_INFO + epk + recipient, length=32)
        return _AesGcm(kek)

    def _wrap(self, recipient: PublicKey, key: bytes, context: bytes) -> WrappedKey:
        eph = x25519.X25519PrivateKey.generate()
        epk = eph.public_key().public_bytes_raw()
        try:
            shared = eph.exchange(x25519.X25519PublicKey.from_public_bytes(recipient.raw))
        except ValueError as exc:  # low-order point: all-zero shared secret
            raise KeyFormatError("X25519 recipient key is a low-order point") from exc
        wk = self._kek(shared, epk, recipient.raw, context).encrypt(ZERO_NONCE, key, b"")
        return WrappedKey(epk=epk, wk=wk)

    def _unwrap(self, private_key: PrivateKey, wrapped: WrappedKey, context: bytes) -> bytes:
        if len(wrapped.epk) != 32 or len(wrapped.wk) <= TAG_SIZE:
            raise DecryptionError("malformed X25519 wrapped key")
        own = x25519.X25519PrivateKey.from_private_bytes(private_key.secret)
        try:
            shared = own.exchange(x25519.X25519PublicKey.from_public_bytes(wrapped.epk))
        except ValueError as exc:
            raise DecryptionError("ephemeral X25519 key is a low-order point") from exc
        kek = self._kek(shared, wrapped.epk, private_key.public_key.raw, context)
        return kek.decrypt(ZERO_NONCE, wrapped.wk, b"")

    def _aead(self, key: bytes) -> Aead:
        return _AesGcm(key)


class GmSuite(Suite):
    """SM3, SM2 signatures (ID ``1234567812345678``), SM2 encryption wrap, SM4-GCM.

    Key wrap is plain SM2 public-key encryption of the key (GB/T 32918.4-2016,
    C1 ‖ C3 ‖ C2), the digital-envelope form a UKey (SKF ``ECCDecrypt``) or any CA
    tool kit can open. ``epk`` holds C1 and ``wk`` holds C3 ‖ C2.
    """

    name = "gm"
    hash_name = "sm3"
    aead_name = "SM4-GCM"
    aead_key_size = 16
    signing_algorithm = KeyAlgorithm.SM2
    wrapping_algorithm = KeyAlgorithm.SM2
    user_id: ClassVar[bytes] = sm2.DEFAULT_USER_ID

    def _hash_algorithm(self) -> hashes.HashAlgorithm:
        return hashes.SM3()

    def _sign(self, private_key: PrivateKey, message: bytes) -> bytes:
        return sm2.sign(
            private_key.secret, private_key.public_key.raw, message, user_id=self.user_id
        )

    def _verify(self, public_key: PublicKey, message: bytes, signature: bytes) -> None:
        sm2.verify(public_key.raw, message, bytes(signature), user_id=self.user_id)

    def _wrap(self, recipient: PublicKey, key: bytes, context: bytes) -> WrappedKey:
        ciphertext = sm2.encrypt(recipient.raw, key)
        return WrappedKey(epk=ciphertext[: sm2.C1_SIZE], wk=ciphertext[sm2.C1_SIZE :])

    def _unwrap(self, private_key: PrivateKey, wrapped: WrappedKey, context: bytes) -> bytes:
        if len(wrapped.epk) != sm2.C1_SIZE:
            raise DecryptionError("SM2 C1 must be 65 bytes")
        return sm2.decrypt(private_key.secret, wrapped.epk + wrapped.wk)

    def _aead(self, key: bytes) -> Aead:
        return _Sm4Gcm(key)


INTL: Final[Suite] = IntlSuite()
GM: Final[Suite] = GmSuite()
SUITES: Final[dict[str, Suite]] = {INTL.name: INTL, GM.name: GM}


def get_suite(name: str) -> Suite:
    """The suite called ``name`` (``"intl"`` or ``"gm"``)."""
    try:
        return SUITES[name]
    except KeyError:
        raise InvalidParameterError(f"unknown cipher suite {name!r}") from None
