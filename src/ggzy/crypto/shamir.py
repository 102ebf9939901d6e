"""Shamir k-of-n secret sharing (门限秘密分享) with split ids and a hiding commitment.

Used to split a tender's opening private key (开标私钥) among custodians (密钥保管人)
so that nobody alone can decrypt bids before the opening; any ``k`` of the ``n``
custodians together recover it at the opening (开标).

Library
-------
The field arithmetic is pycryptodome's ``Crypto.Protocol.SecretSharing.Shamir``
(BSD-2-Clause, maintained, typed): polynomials over GF(2^128), x-coordinates
``1..n``, 16-byte secrets. Longer secrets are split block by block — every 16-byte block
gets its own random polynomial and all blocks share the same x-coordinates, so one
share holds one y-value per block. Nothing here does field arithmetic itself.

What this module adds
---------------------
* **split id** — 16 random bytes common to all shares of one split, so shares from
  different splits are refused (``shares_mismatch``) instead of combining to garbage.
* **hiding commitment** — before splitting, a random 16-byte blinding block ``r`` is
  appended to the padded secret and shared with it; every share carries
  ``commitment = H("ggzy-shamir-v1" ‖ split_id ‖ k ‖ n ‖ len ‖ secret ‖ r)``. Combining
  recomputes it, so a corrupted or forged share is detected (``shares_inconsistent``).
  Because ``r`` is itself secret-shared, fewer than ``k`` shares learn nothing about
  ``secret`` from the commitment, even when the secret has low entropy.
* **robust combine** — given more than ``k`` shares, a wrong share is skipped by
  trying other ``k``-subsets until one matches the commitment.
* **format** — versioned bytes with a checksum, and a Base32 text form for paper.

Share bytes, version 1 (all integers big-endian)::

    off  size  field
    0    4     magic "GGZS"
    4    1     version = 1
    5    1     hash: 1 = SHA-256, 2 = SM3 (commitment and checksum)
    6    16    split id
    22   1     k (threshold, 1..255)
    23   1     n (shares, k..255)
    24   1     x (this share's index, 1..n)
    25   2     secret length L (1..512)
    27   32    commitment
    59   Y     y values: 16 * (ceil(L / 16) + 1) bytes (secret blocks, then blinding block)
    59+Y 4     checksum = H(bytes 0 .. 59+Y)[:4]   (catches copying errors, not attacks)

Text form: ``"ggzy-share-1:"`` followed by the RFC 4648 Base32 of the bytes, without
padding, in upper case.

No Django imports.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import itertools
import math
import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from Crypto.Protocol.SecretSharing import Shamir
from cryptography.hazmat.primitives import hashes

from ggzy.crypto.errors import ErrorCode, InvalidParameterError, ShareError

__all__ = [
    "MAX_SECRET_SIZE",
    "CommitmentHash",
    "Share",
    "combine",
    "split",
]

MAGIC: Final = b"GGZS"
VERSION: Final = 1
BLOCK: Final = 16
SPLIT_ID_SIZE: Final = 16
COMMITMENT_SIZE: Final = 32
CHECKSUM_SIZE: Final = 4
MAX_SECRET_SIZE: Final = 512
MAX_SHARES: Final = 255
MAX_COMBINATIONS: Final = 256
"""Upper bound on k-subsets tried by :func:`combine` when extra shares are given."""

TEXT_PREFIX: Final = "ggzy-share-1:"
_DOMAIN: Final = b"ggzy-shamir-v1"
_FIXED: Final = struct.Struct(">4sBB16sBBBH32s")  # 59 bytes


class CommitmentHash(IntEnum):
    """Hash used for the commitment and checksum (SHA-256 or SM3)."""

    SHA256 = 1
    SM3 = 2

    def digest(self, *parts: bytes) -> bytes:
        h = hashes.Hash(hashes.SHA256() if self is CommitmentHash.SHA256 else hashes.SM3())
        for part in parts:
            h.update(part)
        return h.finalize()


@dataclass(frozen=True, slots=True)
class Share:
    """One custodian's share (密钥分片). Secret: treat like the key it protects."""

    split_id: bytes
    k: int
    n: int
    x: int
    secret_length: int
    commitment: bytes
    y: bytes
    hash_alg: CommitmentHash = CommitmentHash.SHA256

    def __post_init__(self) -> None:
        if len(self.split_id) != SPLIT_ID_SIZE or len(self.commitment) != COMMITMENT_SIZE:
            raise ShareError("split id must be 16 bytes and commitment 32 bytes")
        if not 1 <= self.k <= self.n <= MAX_SHARES or not 1 <= self.x <= self.n:
            raise ShareError("share parameters out of range (1 <= k <= n <= 255, 1 <= x <= n)")
        if not 1 <= self.secret_length <= MAX_SECRET_SIZE:
            raise ShareError("secret length out of range")
        if len(self.y) != _y_size(self.secret_length):
            raise ShareError("share value has the wrong length for the secret length")

    def __repr__(self) -> str:  # never print the y values
        return (
            f"Share(split_id={self.split_id.hex()}, x={self.x}, k={self.k}, n={self.n}, "
            f"secret_length={self.secret_length})"
        )

    @property
    def group(self) -> tuple[bytes, int, int, int, bytes, CommitmentHash]:
        """What every share of one split has in common."""
        return (self.split_id, self.k, self.n, self.secret_length, self.commitment, self.hash_alg)

    def to_bytes(self) -> bytes:
        body = (
            _FIXED.pack(
                MAGIC,
                VERSION,
                int(self.hash_alg),
                self.split_id,
                self.k,
                self.n,
                self.x,
                self.secret_length,
                self.commitment,
            )
            + self.y
        )
        return body + self.hash_alg.digest(body)[:CHECKSUM_SIZE]

    @classmethod
    def from_bytes(cls, data: bytes) -> Share:
        data = bytes(data)
        if len(data) < _FIXED.size + CHECKSUM_SIZE:
            raise ShareError("share is too short")
        magic, version, hash_id, split_id, k, n, x, length, commitment = _FIXED.unpack_from(data)
        if magic != MAGIC:
            raise ShareError("not a ggzy share (bad magic)")
        if version != VERSION:
            raise ShareError(f"unsupported share version {version}")
        try:
            hash_alg = CommitmentHash(hash_id)
        except ValueError:
            raise ShareError(f"unknown share hash id {hash_id}") from None
        body, checksum = data[:-CHECKSUM_SIZE], data[-CHECKSUM_SIZE:]
        if not hmac.compare_digest(hash_alg.digest(body)[:CHECKSUM_SIZE], checksum):
            raise ShareError("share checksum mismatch (copying error?)")
        return cls(
            split_id=split_id,
            k=k,
            n=n,
            x=x,
            secret_length=length,
            commitment=commitment,
            y=body[_FIXED.size :],
            hash_alg=hash_alg,
        )

    def to_text(self) -> str:
        return TEXT_PREFIX + base64.b32encode(self.to_bytes()).decode("ascii").rstrip("=")

    @classmethod
    def from_text(cls, text: str) -> Share:
        text = "".join(text.split())  # allow line breaks / spaces from paper copies
        if not text.startswith(TEXT_PREFIX):
            raise ShareError(f"share text must start with {TEXT_PREFIX!r}")
        payload = text.removeprefix(TEXT_PREFIX).upper()
        payload += "=" * (-len(payload) % 8)
        try:
            data = base64.b32decode(payload)
        except (binascii.Error, ValueError) as exc:
            raise ShareError("share text is not valid Base32") from exc
        return cls.from_bytes(data)


@dataclass(frozen=True, slots=True)
class _Group:
    hash_alg: CommitmentHash
    split_id: bytes
    k: int
    n: int


def _y_size(secret_length: int) -> int:
    return BLOCK * (math.ceil(secret_length / BLOCK) + 1)


def _commitment(group: _Group, secret: bytes, blind: bytes) -> bytes:
    header = struct.pack(">BBH", group.k, group.n, len(secret))
    return group.hash_alg.digest(_DOMAIN, group.split_id, header, secret, blind)


def split(
    secret: bytes, k: int, n: int, *, hash_alg: CommitmentHash = CommitmentHash.SHA256
) -> list[Share]:
    """Split ``secret`` (1–512 bytes) into ``n`` shares, any ``k`` of which recover it."""
    if not isinstance(k, int) or not isinstance(n, int):
        raise InvalidParameterError("k and n must be integers")
    if not 1 <= k <= n:
        raise InvalidParameterError(f"need 1 <= k <= n, got k={k}, n={n}")
    if n > MAX_SHARES:
        raise InvalidParameterError(f"at most {MAX_SHARES} shares")
    if not 1 <= len(secret) <= MAX_SECRET_SIZE:
        raise InvalidParameterError(f"secret must be 1 to {MAX_SECRET_SIZE} bytes")
    secret = bytes(secret)
    split_id = os.urandom(SPLIT_ID_SIZE)
    blind = os.urandom(BLOCK)
    padded = secret + bytes(-len(secret) % BLOCK) + blind
    commitment = _commitment(_Group(hash_alg, split_id, k, n), secret, blind)
    ys: list[bytearray] = [bytearray() for _ in range(n)]
    for offset in range(0, len(padded), BLOCK):
        for index, value in Shamir.split(k, n, padded[offset : offset + BLOCK]):
            ys[index - 1] += value
    return [
        Share(
            split_id=split_id,
            k=k,
            n=n,
            x=i + 1,
            secret_length=len(secret),
            commitment=commitment,
            y=bytes(ys[i]),
            hash_alg=hash_alg,
        )
        for i in range(n)
    ]


def _interpolate(shares: Sequence[Share]) -> bytes:
    """Lagrange interpolation at 0 of each 16-byte block (no checks)."""
    out = bytearray()
    for offset in range(0, len(shares[0].y), BLOCK):
        out += Shamir.combine([(s.x, s.y[offset : offset + BLOCK]) for s in shares])
    return bytes(out)


def _try(shares: Sequence[Share]) -> bytes | None:
    first = shares[0]
    padded = _interpolate(shares)
    secret, blind = padded[: first.secret_length], padded[-BLOCK:]
    padding = padded[first.secret_length : -BLOCK]
    expected = _commitment(_Group(first.hash_alg, first.split_id, first.k, first.n), secret, blind)
    if hmac.compare_digest(expected, first.commitment) and not any(padding):
        return secret
    return None


def combine(shares: Iterable[Share]) -> bytes:
    """Recover the secret from at least ``k`` shares of one split.

    Raises :class:`ShareError` with code ``shares_insufficient`` (fewer than ``k``),
    ``shares_duplicate`` (one index given twice), ``shares_mismatch`` (shares of
    different splits) or ``shares_inconsistent`` (no ``k``-subset matches the
    commitment: a share is corrupted or forged).
    """
    given = list(shares)
    if not given:
        raise ShareError("no shares given", code=ErrorCode.SHARES_INSUFFICIENT)
    group = given[0].group
    if any(s.group != group for s in given[1:]):
        raise ShareError("shares come from different splits", code=ErrorCode.SHARES_MISMATCH)
    seen: set[int] = set()
    for s in given:
        if s.x in seen:
            raise ShareError(f"share #{s.x} was given twice", code=ErrorCode.SHARES_DUPLICATE)
        seen.add(s.x)
    k = given[0].k
    if len(given) < k:
        raise ShareError(
            f"{len(given)} shares given, {k} needed", code=ErrorCode.SHARES_INSUFFICIENT
        )
    for subset in itertools.islice(itertools.combinations(given, k), MAX_COMBINATIONS):
        secret = _try(subset)
        if secret is not None:
            return secret
    raise ShareError("shares do not match their commitment", code=ErrorCode.SHARES_INCONSISTENT)
