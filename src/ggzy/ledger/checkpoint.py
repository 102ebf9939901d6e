"""C2SP tlog checkpoints (检查点), witness policies and offline proofs. Pure, no Django.

A checkpoint (https://c2sp.org/tlog-checkpoint) is a signed note whose text is

    <origin>\\n<tree size, decimal, no leading zeros>\\n<base64 root hash>\\n[<extension>\\n ...]

signed by the log key and cosigned by witnesses (https://c2sp.org/tlog-cosignature).
:func:`verify_cosigned_checkpoint` checks the log signature and a k-of-n
witness policy. :class:`TlogProof` is the offline receipt (存证回执) of
https://c2sp.org/tlog-proof: an entry index, its inclusion proof and the
cosigned checkpoint, verifiable without contacting the platform.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ggzy.crypto.note import (
    CosignatureVerifier,
    Note,
    NoteError,
    NoteSignature,
    Signer,
    Verifier,
    cosignature_timestamp,
    open_note,
    sign_note,
)
from ggzy.ledger.merkle import HASH_SIZE, MAX_TREE_SIZE, ProofError, verify_inclusion

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "PolicyError",
    "TlogProof",
    "VerifiedCheckpoint",
    "WitnessPolicy",
    "format_checkpoint",
    "open_checkpoint",
    "parse_checkpoint",
    "sign_checkpoint",
    "verify_cosigned_checkpoint",
]

_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_CONTROL = re.compile(r"[\x00-\x1f]")
_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
_MAX_PROOF_HASHES = 63


class CheckpointError(ValueError):
    """A checkpoint body, its signatures or a tlog-proof is malformed or wrong."""


class PolicyError(CheckpointError):
    """Too few trusted witnesses cosigned the checkpoint."""


def _parse_decimal(text: str, what: str, limit: int = MAX_TREE_SIZE) -> int:
    if not _DECIMAL.fullmatch(text):
        raise CheckpointError(f"{what} {text!r} is not a decimal without leading zeros")
    value = int(text)
    if value > limit:
        raise CheckpointError(f"{what} {value} exceeds {limit}")
    return value


def _decode_b64(text: str, what: str) -> bytes:
    """Canonical standard base64 (RFC 4648 §4), or CheckpointError."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise CheckpointError(f"{what} is not base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise CheckpointError(f"{what} is not canonical base64")
    return raw


def _decode_hash(text: str, what: str) -> bytes:
    raw = _decode_b64(text, what)
    if len(raw) != HASH_SIZE:
        raise CheckpointError(f"{what} is not the base64 of a 32-byte hash")
    return raw


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: origin, size, root hash and optional opaque extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or _CONTROL.search(self.origin):
            raise CheckpointError("origin must be one non-empty line")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise CheckpointError("tree size is outside [0, 2^63-1]")
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointError("root hash must be 32 bytes")
        for line in self.extensions:
            if not line or _CONTROL.search(line):
                raise CheckpointError("extension lines must be non-empty single lines")

    def text(self) -> str:
        """The note text (body) of this checkpoint."""
        return format_checkpoint(self)


def format_checkpoint(checkpoint: Checkpoint) -> str:
    """``<origin>\\n<size>\\n<base64 root>\\n`` followed by extension lines."""
    lines = [
        checkpoint.origin,
        str(checkpoint.size),
        base64.b64encode(checkpoint.root_hash).decode("ascii"),
        *checkpoint.extensions,
    ]
    return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """Strictly parse a checkpoint body (the note text, final newline included)."""
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint text must end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError("checkpoint needs origin, size and root hash lines")
    if _CONTROL.search(text.replace("\n", "")):
        raise CheckpointError("checkpoint contains a control character")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise CheckpointError("checkpoint origin is empty")
    size = _parse_decimal(size_text, "tree size")
    root = _decode_hash(root_text, "root hash")
    if any(not line for line in extensions):
        raise CheckpointError("checkpoint extension lines must be non-empty")
    return Checkpoint(origin, size, root, tuple(extensions))


def sign_checkpoint(
    checkpoint: Checkpoint, signer: Signer, *, keep: Sequence[NoteSignature] = ()
) -> bytes:
    """The signed note of ``checkpoint`` by the log key (its name SHOULD be the origin)."""
    return sign_note(format_checkpoint(checkpoint), [signer], keep=keep)


def _open(message: bytes, verifiers: Iterable[Verifier]) -> Note:
    try:
        return open_note(message, verifiers)
    except NoteError as exc:
        raise CheckpointError(f"checkpoint note: {exc}") from exc


def open_checkpoint(
    message: bytes, log_verifier: Verifier, *, origin: str | None = None
) -> tuple[Checkpoint, Note]:
    """Verify the log's signature on a checkpoint note and parse its body.

    Other signatures (witnesses, other keys) are kept unverified in the note.
    With ``origin``, the checkpoint must be for that log.
    """
    note = _open(message, [log_verifier])
    checkpoint = parse_checkpoint(note.text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint is for {checkpoint.origin!r}, not {origin!r}")
    return checkpoint, note


@dataclass(frozen=True)
class WitnessPolicy:
    """Trust ``threshold`` of these witness keys (k of n); keys are usually type 0x04."""

    witnesses: tuple[Verifier, ...]
    threshold: int

    def __post_init__(self) -> None:
        idents = {(w.name, w.key_id) for w in self.witnesses}
        if len(idents) != len(self.witnesses):
            raise ValueError("witness keys must be distinct")
        if not 0 <= self.threshold <= len(self.witnesses):
            raise ValueError("threshold must be between 0 and the number of witnesses")


@dataclass(frozen=True)
class VerifiedCheckpoint:
    """A checkpoint whose log signature and witness quorum were verified."""

    checkpoint: Checkpoint
    note: Note
    #: Verified witness cosignatures, in note order.
    cosignatures: tuple[NoteSignature, ...]

    def cosigned_at(self, witness: NoteSignature) -> int | None:
        """POSIX time of a type-0x04 cosignature, None for other types."""
        try:
            return cosignature_timestamp(witness.signature)
        except ValueError:
            return None


def verify_cosigned_checkpoint(
    message: bytes,
    *,
    log_verifier: Verifier,
    policy: WitnessPolicy,
    origin: str | None = None,
    now: dt.datetime | None = None,
    max_clock_skew: dt.timedelta = dt.timedelta(minutes=10),
) -> VerifiedCheckpoint:
    """Verify a checkpoint signed by the log and cosigned by a witness quorum.

    Every signature by a known key (the log's or a policy witness's) must be
    valid and appear once. With ``now``, v1 cosignatures dated more than
    ``max_clock_skew`` in the future are refused.
    """
    witness_ids = {(w.name, w.key_id) for w in policy.witnesses}
    if (log_verifier.name, log_verifier.key_id) in witness_ids:
        raise ValueError("the log key cannot also be a witness key")
    note = _open(message, [log_verifier, *policy.witnesses])
    if not note.signed_by(log_verifier.name, log_verifier.key_id):
        raise CheckpointError("checkpoint is not signed by the log key")
    checkpoint = parse_checkpoint(note.text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint is for {checkpoint.origin!r}, not {origin!r}")
    cosignatures = tuple(s for s in note.signatures if (s.name, s.key_id) in witness_ids)
    if now is not None:
        latest = int((now + max_clock_skew).timestamp())
        by_id = {(w.name, w.key_id): w for w in policy.witnesses}
        for sig in cosignatures:
            if not isinstance(by_id[(sig.name, sig.key_id)], CosignatureVerifier):
                continue
            if cosignature_timestamp(sig.signature) > latest:
                raise CheckpointError(f"cosignature by {sig.name} is dated in the future")
    if len(cosignatures) < policy.threshold:
        raise PolicyError(
            f"{len(cosignatures)} of the required {policy.threshold} witnesses cosigned"
        )
    return VerifiedCheckpoint(checkpoint, note, cosignatures)


# --------------------------------------------------------------------------- tlog-proof


@dataclass(frozen=True)
class TlogProof:
    """An offline-verifiable receipt (c2sp.org/tlog-proof@v1)."""

    index: int
    inclusion_proof: tuple[bytes, ...]
    checkpoint_note: bytes
    extra: bytes | None = None

    def to_bytes(self) -> bytes:
        lines = [_PROOF_HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode("ascii"))
        lines.append(f"index {self.index}")
        lines.extend(base64.b64encode(h).decode("ascii") for h in self.inclusion_proof)
        head = "".join(line + "\n" for line in lines) + "\n"
        return head.encode("ascii") + self.checkpoint_note

    @classmethod
    def from_bytes(cls, data: bytes) -> TlogProof:
        """Strictly parse a ``.tlog-proof`` file; the checkpoint stays unverified."""
        split = data.find(b"\n\n")
        if split < 0:
            raise CheckpointError("tlog-proof has no blank line before the checkpoint")
        try:
            head = data[: split + 1].decode("ascii")
        except UnicodeDecodeError:
            raise CheckpointError("tlog-proof header is not ASCII") from None
        lines = head[:-1].split("\n")
        if lines[0] != _PROOF_HEADER:
            raise CheckpointError("tlog-proof must start with c2sp.org/tlog-proof@v1")
        pos = 1
        extra = None
        if pos < len(lines) and lines[pos].startswith("extra "):
            extra = _decode_b64(lines[pos][6:], "tlog-proof extra data")
            pos += 1
        if pos >= len(lines) or not lines[pos].startswith("index "):
            raise CheckpointError("tlog-proof needs an index line")
        index = _parse_decimal(lines[pos][6:], "index")
        hashes_ = tuple(_decode_hash(line, "proof hash") for line in lines[pos + 1 :])
        if len(hashes_) > _MAX_PROOF_HASHES:
            raise CheckpointError("tlog-proof has too many proof hashes")
        return cls(index, hashes_, data[split + 2 :], extra)

    def verify(
        self,
        leaf_hash: bytes,
        *,
        log_verifier: Verifier,
        policy: WitnessPolicy,
        origin: str | None = None,
        now: dt.datetime | None = None,
    ) -> VerifiedCheckpoint:
        """Verify the checkpoint (log key + witness quorum) and the entry's inclusion."""
        verified = verify_cosigned_checkpoint(
            self.checkpoint_note, log_verifier=log_verifier, policy=policy, origin=origin, now=now
        )
        cp = verified.checkpoint
        try:
            verify_inclusion(leaf_hash, self.index, cp.size, self.inclusion_proof, cp.root_hash)
        except ProofError as exc:
            raise CheckpointError(f"inclusion proof: {exc.reason}") from exc
        return verified
