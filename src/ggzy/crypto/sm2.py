"""SM2 (GB/T 32918-2016, GM/T 0003-2012) — a thin adapter over ``gmssl-pyx``.

Library choice (DOMAIN §8.3)
----------------------------
``gmssl-pyx`` (Apache-2.0) is a CPython extension that bundles GmSSL 3.2, the reference
open-source implementation of the 国密 algorithms maintained by the Peking University
GmSSL project. It is chosen over the pure-Python ``gmalg`` because:

* the scalar multiplications run in C, not in Python big integers whose running time
  follows the bit length of the secret nonce ``k``; a signing key that signs many
  receipts must not leak nonce lengths through timing (the "Minerva" lattice attacks
  on ECDSA need only that);
* it speaks the interchange encodings of GM/T 0009-2012 (GB/T 35276-2017) natively:
  DER ``SEQUENCE{r, s}`` signatures and DER ``SM2Cipher`` ciphertexts, the forms that
  CA tool kits, UKeys (SKF) and OpenSSL/Tongsuo exchange;
* it is about 100x faster (≈3 ms sign, ≈0.6 ms verify/decrypt here) and has no
  Python dependencies; binary wheels exist for CPython 3.8–3.14 on Linux, macOS and
  Windows.

Its limits, and how this module handles them:

* the random ``k`` cannot be injected, so the GB/T 32918.2 known-answer test checks
  the published ``(r, s)`` against the public key instead of reproducing it (the
  test suite additionally reproduces ``(r, s)`` with ``gmalg`` when that is installed);
* it cannot derive the public key from the private key, so an SM2 private key is
  always handled together with its public key and :func:`check_keypair` proves the
  pair belongs together (sign then verify) before it is trusted;
* it only ships a ``.pyi`` stub (no ``py.typed``); the module is loaded through
  :func:`importlib.import_module` and typed by the :class:`_GmsslApi` protocol below;
* GmSSL prints a diagnostic trace on ``stderr`` when a verification or decryption
  fails; the result is still reported correctly.

Encodings used here (be explicit — the order trap, DOMAIN §8.2)
---------------------------------------------------------------
* Public key: 65 bytes ``04 ‖ x ‖ y`` (uncompressed SEC 1 point, as inside an X.509
  SubjectPublicKeyInfo). 33-byte compressed and bare 64-byte ``x ‖ y`` forms are accepted
  as input.
* Private key: 32 bytes big-endian ``d`` with ``1 ≤ d ≤ n − 2``.
* Signature: DER ``SEQUENCE{r INTEGER, s INTEGER}`` (:func:`sign`, :func:`verify`);
  :func:`signature_to_raw` / :func:`signature_from_raw` convert to/from 64-byte
  ``r ‖ s`` (the SKF ECCSIGNATUREBLOB / WebCrypto style). The signed value is
  ``SM3(Z_A ‖ M)`` with ``Z_A`` computed from the user ID, by default
  ``1234567812345678`` (GM/T 0009 §10).
* Ciphertext: raw **C1 ‖ C3 ‖ C2** as in GB/T 32918.4-2016 (:func:`encrypt`,
  :func:`decrypt`), where ``C1 = 04 ‖ x1 ‖ y1`` (65 bytes), ``C3`` is the 32-byte SM3
  check value and ``C2`` the masked message (same length as the message). The older
  GM/T 0003-2012 order C1 ‖ C2 ‖ C3 is converted with :func:`c1c2c3_to_c1c3c2`;
  DER ``SM2Cipher{x, y, hash, ciphertext}`` (GM/T 0009) with :func:`ciphertext_to_der` /
  :func:`ciphertext_from_der`. The DER codec below is a strict encoder/decoder for that
  one fixed structure — a data encoding, not a cryptographic primitive.

No Django imports.
"""

from __future__ import annotations

import importlib
from typing import Final, Protocol, cast

from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from ggzy.crypto.errors import DecryptionError, KeyFormatError, SignatureError

__all__ = [
    "C1_SIZE",
    "C3_SIZE",
    "CURVE_ORDER",
    "DEFAULT_USER_ID",
    "MAX_PLAINTEXT_SIZE",
    "PRIVATE_KEY_SIZE",
    "PUBLIC_KEY_SIZE",
    "RAW_SIGNATURE_SIZE",
    "c1c2c3_to_c1c3c2",
    "c1c3c2_to_c1c2c3",
    "check_keypair",
    "check_private_key",
    "ciphertext_from_der",
    "ciphertext_to_der",
    "decrypt",
    "encrypt",
    "generate_keypair",
    "normalize_public_key",
    "sign",
    "signature_from_raw",
    "signature_to_raw",
    "verify",
]


class _GmsslApi(Protocol):
    """The part of ``gmssl_pyx`` used here (from its ``gmsslext.pyi``)."""

    GmsslInnerError: type[Exception]

    def sm2_key_generate(self) -> tuple[bytes, bytes]: ...
    def sm2_sign(
        self, private_key: bytes, public_key: bytes, message: bytes, signer_id: bytes | None
    ) -> bytes: ...
    def sm2_verify(
        self, public_key: bytes, message: bytes, signature: bytes, signer_id: bytes | None
    ) -> bool: ...
    def sm2_encrypt(self, public_key: bytes, plaintext: bytes) -> bytes: ...
    def sm2_decrypt(self, private_key: bytes, ciphertext: bytes) -> bytes: ...
    def normalize_sm2_public_key(self, public_key: bytes) -> bytes: ...


_gm: Final = cast(_GmsslApi, importlib.import_module("gmssl_pyx"))

DEFAULT_USER_ID: Final = b"1234567812345678"
"""Default distinguishing identifier (默认用户身份标识), GM/T 0009-2012 §10."""

CURVE_ORDER: Final = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_7203DF6B_21C6052B_53BBF409_39D54123
"""Order ``n`` of the base point of sm2p256v1 (GB/T 32918.5-2016)."""

PRIVATE_KEY_SIZE: Final = 32
PUBLIC_KEY_SIZE: Final = 65
RAW_SIGNATURE_SIZE: Final = 64
C1_SIZE: Final = 65
C3_SIZE: Final = 32
MAX_PLAINTEXT_SIZE: Final = 255
"""Largest message :func:`encrypt` accepts (a GmSSL limit; SM2 wraps keys, not files)."""

_PROBE_MESSAGE: Final = b"ggzy sm2 keypair check"


# --------------------------------------------------------------------------- keys


def generate_keypair() -> tuple[bytes, bytes]:
    """Return a fresh ``(private_key, public_key)``: 32-byte ``d`` and 65-byte ``04‖x‖y``."""
    public64, private = _gm.sm2_key_generate()
    return bytes(private), b"\x04" + bytes(public64)


def normalize_public_key(public_key: bytes) -> bytes:
    """Validate an SM2 public key and return it as 65 bytes ``04 ‖ x ‖ y``.

    Accepts the uncompressed (65), compressed (33) and bare ``x‖y`` (64) forms. The point
    must lie on sm2p256v1 (the cofactor is 1, so that is the whole check).
    """
    if len(public_key) not in (33, 64, 65):
        raise KeyFormatError(f"SM2 public key must be 33, 64 or 65 bytes, got {len(public_key)}")
    try:
        xy = bytes(_gm.normalize_sm2_public_key(bytes(public_key)))
    except _gm.GmsslInnerError as exc:
        raise KeyFormatError("SM2 public key is not a point on sm2p256v1") from exc
    return b"\x04" + xy


def check_private_key(private_key: bytes) -> None:
    """Raise :class:`KeyFormatError` unless ``private_key`` is 32 bytes with ``1 ≤ d ≤ n−2``."""
    if len(private_key) != PRIVATE_KEY_SIZE:
        raise KeyFormatError(f"SM2 private key must be 32 bytes, got {len(private_key)}")
    d = int.from_bytes(private_key, "big")
    if not 1 <= d <= CURVE_ORDER - 2:
        raise KeyFormatError("SM2 private key is out of range [1, n-2]")


def check_keypair(private_key: bytes, public_key: bytes) -> None:
    """Prove that ``public_key`` belongs to ``private_key`` (sign, then verify).

    GmSSL happily signs with a mismatched public key (the result simply never
    verifies), so every SM2 private key is checked once when it is loaded.
    """
    check_private_key(private_key)
    public_key = normalize_public_key(public_key)
    signature = sign(private_key, public_key, _PROBE_MESSAGE)
    try:
        verify(public_key, _PROBE_MESSAGE, signature)
    except SignatureError as exc:
        raise KeyFormatError("SM2 public key does not belong to the private key") from exc


# --------------------------------------------------------------------------- signatures


def sign(
    private_key: bytes, public_key: bytes, message: bytes, *, user_id: bytes = DEFAULT_USER_ID
) -> bytes:
    """SM2-with-SM3 signature (GB/T 32918.2) over ``message``; returns DER ``SEQUENCE{r, s}``.

    ``Z_A`` is computed from ``user_id`` and ``public_key`` (GB/T 32918.2 §5.5), so the
    verifier must use the same ID. ``public_key`` must be the key pair's own public key.
    """
    check_private_key(private_key)
    xy = normalize_public_key(public_key)[1:]
    try:
        return bytes(_gm.sm2_sign(bytes(private_key), xy, bytes(message), bytes(user_id)))
    except _gm.GmsslInnerError as exc:  # pragma: no cover - GmSSL internal failure
        raise KeyFormatError("SM2 signing failed") from exc


def verify(
    public_key: bytes,
    message: bytes,
    signature: bytes,
    *,
    user_id: bytes = DEFAULT_USER_ID,
) -> None:
    """Verify a DER ``SEQUENCE{r, s}`` SM2 signature; raise :class:`SignatureError` if bad.

    Only the canonical DER encoding with ``1 ≤ r, s ≤ n−1`` is accepted, so a signature
    has exactly one byte representation.
    """
    try:
        xy = normalize_public_key(public_key)[1:]
    except KeyFormatError as exc:
        raise SignatureError("SM2 public key is invalid") from exc
    _ = signature_to_raw(signature)  # strict DER + range check, raises SignatureError
    try:
        ok = bool(_gm.sm2_verify(xy, bytes(message), bytes(signature), bytes(user_id)))
    except _gm.GmsslInnerError as exc:
        raise SignatureError("SM2 signature is malformed") from exc
    if not ok:
        raise SignatureError("SM2 signature does not verify")


def signature_to_raw(signature: bytes) -> bytes:
    """DER ``SEQUENCE{r, s}`` → 64 bytes ``r ‖ s`` (each big-endian, left-padded to 32)."""
    try:
        r, s = decode_dss_signature(bytes(signature))
    except ValueError as exc:
        raise SignatureError("SM2 signature is not DER SEQUENCE{r, s}") from exc
    if not (1 <= r < CURVE_ORDER and 1 <= s < CURVE_ORDER):
        raise SignatureError("SM2 signature component out of range")
    if encode_dss_signature(r, s) != signature:
        raise SignatureError("SM2 signature is not canonical DER")
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def signature_from_raw(raw: bytes) -> bytes:
    """64 bytes ``r ‖ s`` → DER ``SEQUENCE{r, s}``."""
    if len(raw) != RAW_SIGNATURE_SIZE:
        raise SignatureError(f"raw SM2 signature must be 64 bytes, got {len(raw)}")
    r = int.from_bytes(raw[:32], "big")
    s = int.from_bytes(raw[32:], "big")
    if not (1 <= r < CURVE_ORDER and 1 <= s < CURVE_ORDER):
        raise SignatureError("SM2 signature component out of range")
    return encode_dss_signature(r, s)


# --------------------------------------------------------------------------- encryption


def encrypt(public_key: bytes, plaintext: bytes) -> bytes:
    """SM2 public-key encryption (GB/T 32918.4-2016); returns raw ``C1 ‖ C3 ‖ C2``.

    ``len(result) == 65 + 32 + len(plaintext)``. ``plaintext`` is 1–255 bytes.
    """
    if not 1 <= len(plaintext) <= MAX_PLAINTEXT_SIZE:
        raise KeyFormatError("SM2 encryption takes 1 to 255 bytes")
    xy = normalize_public_key(public_key)[1:]
    der = bytes(_gm.sm2_encrypt(xy, bytes(plaintext)))
    return ciphertext_from_der(der)


def decrypt(private_key: bytes, ciphertext: bytes) -> bytes:
    """Decrypt raw ``C1 ‖ C3 ‖ C2``; raise :class:`DecryptionError` on any failure."""
    check_private_key(private_key)
    try:
        der = ciphertext_to_der(ciphertext)
    except ValueError as exc:
        raise DecryptionError("SM2 ciphertext is malformed") from exc
    try:
        return bytes(_gm.sm2_decrypt(bytes(private_key), der))
    except _gm.GmsslInnerError as exc:
        raise DecryptionError("SM2 decryption failed") from exc


def c1c2c3_to_c1c3c2(ciphertext: bytes) -> bytes:
    """Reorder a GM/T 0003-2012 ``C1 ‖ C2 ‖ C3`` ciphertext to GB/T 32918.4-2016 order."""
    _check_raw_length(ciphertext)
    c1 = ciphertext[:C1_SIZE]
    c2 = ciphertext[C1_SIZE:-C3_SIZE]
    c3 = ciphertext[-C3_SIZE:]
    return c1 + c3 + c2


def c1c3c2_to_c1c2c3(ciphertext: bytes) -> bytes:
    """Reorder a GB/T 32918.4-2016 ``C1 ‖ C3 ‖ C2`` ciphertext to GM/T 0003-2012 order."""
    _check_raw_length(ciphertext)
    c1 = ciphertext[:C1_SIZE]
    c3 = ciphertext[C1_SIZE : C1_SIZE + C3_SIZE]
    c2 = ciphertext[C1_SIZE + C3_SIZE :]
    return c1 + c2 + c3


def ciphertext_to_der(ciphertext: bytes) -> bytes:
    """Raw ``C1 ‖ C3 ‖ C2`` → DER ``SM2Cipher{x, y, hash, ciphertext}`` (GM/T 0009)."""
    _check_raw_length(ciphertext)
    if ciphertext[0] != 0x04:
        raise ValueError("C1 must be an uncompressed point (04 ‖ x ‖ y)")
    x = int.from_bytes(ciphertext[1:33], "big")
    y = int.from_bytes(ciphertext[33:65], "big")
    c3 = ciphertext[C1_SIZE : C1_SIZE + C3_SIZE]
    c2 = ciphertext[C1_SIZE + C3_SIZE :]
    body = _der_integer(x) + _der_integer(y) + _der_tlv(0x04, c3) + _der_tlv(0x04, c2)
    return _der_tlv(0x30, body)


def ciphertext_from_der(der: bytes) -> bytes:
    """DER ``SM2Cipher{x, y, hash, ciphertext}`` → raw ``C1 ‖ C3 ‖ C2`` (strict DER)."""
    body, rest = _der_read(der, 0x30)
    if rest:
        raise ValueError("trailing bytes after SM2Cipher")
    x_bytes, body = _der_read(body, 0x02)
    y_bytes, body = _der_read(body, 0x02)
    c3, body = _der_read(body, 0x04)
    c2, body = _der_read(body, 0x04)
    if body:
        raise ValueError("unexpected fields in SM2Cipher")
    if len(c3) != C3_SIZE or not c2:
        raise ValueError("SM2Cipher hash must be 32 bytes and ciphertext non-empty")
    x = _der_uint(x_bytes)
    y = _der_uint(y_bytes)
    if x.bit_length() > 256 or y.bit_length() > 256:
        raise ValueError("SM2Cipher coordinate too large")
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big") + c3 + c2


def _check_raw_length(ciphertext: bytes) -> None:
    if len(ciphertext) <= C1_SIZE + C3_SIZE:
        raise ValueError("SM2 ciphertext too short")


# Minimal strict DER for the fixed SM2Cipher structure (X.690 §10: definite, minimal lengths).


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    octets = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets


def _der_tlv(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + _der_len(len(value)) + value


def _der_integer(value: int) -> bytes:
    octets = value.to_bytes(value.bit_length() // 8 + 1, "big")  # leading 00 if high bit set
    return _der_tlv(0x02, octets)


def _der_read(data: bytes, tag: int) -> tuple[bytes, bytes]:
    if len(data) < 2 or data[0] != tag:
        raise ValueError(f"expected DER tag {tag:#04x}")
    first = data[1]
    pos = 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 2 or len(data) < pos + count:
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
        if length < 0x80 or _der_len(length) != data[1:pos]:
            raise ValueError("non-minimal DER length")
    if len(data) < pos + length:
        raise ValueError("DER value truncated")
    return data[pos : pos + length], data[pos + length :]


def _der_uint(octets: bytes) -> int:
    if not octets:
        raise ValueError("empty DER INTEGER")
    if octets[0] & 0x80:
        raise ValueError("negative DER INTEGER")
    if len(octets) > 1 and octets[0] == 0 and not octets[1] & 0x80:
        raise ValueError("non-minimal DER INTEGER")
    return int.from_bytes(octets, "big")
