"""C2SP tlog-witness ``add-checkpoint`` (见证协议), encoding and decisions. Pure, no Django.

Request body (https://c2sp.org/tlog-witness)::

    old <size>\\n
    <base64 consistency proof hash>\\n      (0 to 63 lines)
    \\n
    <signed checkpoint note>

A successful response is one or more cosignature lines ``— <name> <base64>\\n``;
a 409 response carries the witness's current size and ``text/x.tlog.size``.

Deciding is split in two pure steps so the HTTP layer can hold a row lock in
between: :func:`authenticate_request` (parse, look up the log by origin,
check its signature) and :func:`decide` (compare with the stored state,
check the consistency proof). The caller then persists the returned state
atomically — compare-and-set on the old size — *before* answering with
:func:`cosignature_response`.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ggzy.crypto.note import (
    MalformedNoteError,
    Note,
    NoteError,
    NoteSignature,
    Signer,
    Verifier,
    open_note,
    parse_signature_line,
    sign_note,
)
from ggzy.ledger.checkpoint import Checkpoint, CheckpointError, parse_checkpoint
from ggzy.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MAX_TREE_SIZE,
    ProofError,
    verify_consistency,
)

__all__ = [
    "MAX_PROOF_LINES",
    "MAX_REQUEST_SIZE",
    "TLOG_SIZE_CONTENT_TYPE",
    "Accepted",
    "AddCheckpointRequest",
    "AuthenticatedRequest",
    "ProtocolError",
    "RejectKind",
    "Rejected",
    "WitnessState",
    "authenticate_request",
    "cosignature_response",
    "decide",
    "format_add_checkpoint",
    "format_conflict_body",
    "handle_add_checkpoint",
    "known_logs_from",
    "parse_add_checkpoint",
    "parse_conflict_body",
    "parse_cosignature_response",
]

MAX_PROOF_LINES = 63
#: Sanity cap on a request body (a checkpoint with 100 post-quantum signatures fits).
MAX_REQUEST_SIZE = 1 << 20
TLOG_SIZE_CONTENT_TYPE = "text/x.tlog.size"

_OLD_LINE = re.compile(r"old (0|[1-9][0-9]*)")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class ProtocolError(ValueError):
    """A request or response body does not follow the tlog-witness format."""


# --------------------------------------------------------------------------- encoding


@dataclass(frozen=True)
class AddCheckpointRequest:
    old_size: int
    consistency_proof: tuple[bytes, ...]
    checkpoint_note: bytes


def format_add_checkpoint(request: AddCheckpointRequest) -> bytes:
    """Encode an ``add-checkpoint`` request body."""
    if not 0 <= request.old_size <= MAX_TREE_SIZE:
        raise ValueError("old size is outside [0, 2^63-1]")
    if len(request.consistency_proof) > MAX_PROOF_LINES:
        raise ValueError(f"at most {MAX_PROOF_LINES} proof lines")
    lines = [f"old {request.old_size}"]
    for h in request.consistency_proof:
        if len(h) != HASH_SIZE:
            raise ValueError("proof hashes are 32 bytes")
        lines.append(base64.b64encode(h).decode("ascii"))
    return "".join(line + "\n" for line in lines).encode("ascii") + b"\n" + request.checkpoint_note


def _decode_hash_line(line: str) -> bytes:
    try:
        raw = base64.b64decode(line.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ProtocolError("consistency proof line is not base64") from None
    if len(raw) != HASH_SIZE or base64.b64encode(raw).decode("ascii") != line:
        raise ProtocolError("consistency proof line is not a base64 32-byte hash")
    return raw


def parse_add_checkpoint(body: bytes) -> AddCheckpointRequest:
    """Strictly decode an ``add-checkpoint`` body; the note itself is not checked here."""
    if len(body) > MAX_REQUEST_SIZE:
        raise ProtocolError("request body is too large")
    split = body.find(b"\n\n")
    if split < 0:
        raise ProtocolError("request has no blank line before the checkpoint")
    try:
        head = body[: split + 1].decode("ascii")
    except UnicodeDecodeError:
        raise ProtocolError("request header is not ASCII") from None
    lines = head[:-1].split("\n")
    match = _OLD_LINE.fullmatch(lines[0])
    if match is None:
        raise ProtocolError("first line must be 'old <size>'")
    old_size = int(match.group(1))
    if old_size > MAX_TREE_SIZE:
        raise ProtocolError("old size exceeds 2^63-1")
    proof_lines = lines[1:]
    if len(proof_lines) > MAX_PROOF_LINES:
        raise ProtocolError(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = tuple(_decode_hash_line(line) for line in proof_lines)
    note = body[split + 2 :]
    if not note:
        raise ProtocolError("request has no checkpoint")
    return AddCheckpointRequest(old_size, proof, note)


def cosignature_response(checkpoint_text: str, cosigners: Sequence[Signer]) -> bytes:
    """The 200 response body: one cosignature line per cosigner over the checkpoint."""
    if not cosigners:
        raise ValueError("a witness answers with at least one cosignature")
    signed = sign_note(checkpoint_text, cosigners)
    return signed[len(checkpoint_text.encode("utf-8")) + 1 :]


def parse_cosignature_response(body: bytes) -> list[NoteSignature]:
    """Decode a 200 response body into signature lines.

    Verify them by appending them to the checkpoint note and calling
    :func:`ggzy.ledger.checkpoint.verify_cosigned_checkpoint`.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("response is not UTF-8") from None
    if not text or not text.endswith("\n"):
        raise ProtocolError("response must be signature lines ending in newline")
    try:
        return [parse_signature_line(line) for line in text[:-1].split("\n")]
    except MalformedNoteError as exc:
        raise ProtocolError(str(exc)) from None


def format_conflict_body(size: int) -> bytes:
    """409 body: the witness's latest cosigned size, decimal, newline."""
    return b"%d\n" % size


def parse_conflict_body(body: bytes) -> int:
    text = body.decode("ascii", errors="replace")
    if not text.endswith("\n") or not _DECIMAL.fullmatch(text[:-1]):
        raise ProtocolError("409 body must be a decimal size and a newline")
    size = int(text[:-1])
    if size > MAX_TREE_SIZE:
        raise ProtocolError("size exceeds 2^63-1")
    return size


# --------------------------------------------------------------------------- decisions


class RejectKind(enum.Enum):
    """The refusals tlog-witness names, with their HTTP status."""

    MALFORMED = 400  # unparseable request, or old size above the checkpoint size
    FORBIDDEN = 403  # no valid signature from a trusted key of that log
    UNKNOWN_LOG = 404  # checkpoint origin not configured
    CONFLICT = 409  # old size is not ours, or same size with another root
    BAD_PROOF = 422  # consistency proof does not verify

    @property
    def status(self) -> int:
        return self.value


@dataclass(frozen=True)
class WitnessState:
    """What a witness remembers per log: the latest checkpoint it cosigned."""

    origin: str
    size: int
    root_hash: bytes


@dataclass(frozen=True)
class Rejected:
    kind: RejectKind
    reason: str
    body: bytes = b""
    content_type: str | None = None

    @property
    def status(self) -> int:
        return self.kind.status


@dataclass(frozen=True)
class AuthenticatedRequest:
    """A well-formed request whose checkpoint carries a valid signature of its log."""

    request: AddCheckpointRequest
    checkpoint: Checkpoint
    note: Note


@dataclass(frozen=True)
class Accepted:
    """Cosign ``checkpoint`` after storing ``new_state`` (compare-and-set on ``old_size``)."""

    checkpoint: Checkpoint
    note: Note
    old_size: int
    new_state: WitnessState

    @property
    def checkpoint_text(self) -> str:
        return self.note.text


class _Refusal(Exception):
    def __init__(self, kind: RejectKind, reason: str) -> None:
        super().__init__(reason)
        self.rejected = Rejected(kind, reason)


def authenticate_request(
    body: bytes, known_logs: Mapping[str, Sequence[Verifier]]
) -> AuthenticatedRequest | Rejected:
    """Parse the body, find the log by origin and verify the log's signature.

    ``known_logs`` maps each log origin to the keys the witness trusts for it;
    other signatures on the checkpoint are ignored.
    """
    try:
        return _authenticate(body, known_logs)
    except _Refusal as refusal:
        return refusal.rejected


def _authenticate(
    body: bytes, known_logs: Mapping[str, Sequence[Verifier]]
) -> AuthenticatedRequest:
    try:
        request = parse_add_checkpoint(body)
    except ProtocolError as exc:
        raise _Refusal(RejectKind.MALFORMED, str(exc)) from None
    note_bytes = request.checkpoint_note
    origin_end = note_bytes.find(b"\n")
    if origin_end <= 0:
        raise _Refusal(RejectKind.MALFORMED, "checkpoint has no origin line")
    try:
        origin = note_bytes[:origin_end].decode("utf-8")
    except UnicodeDecodeError:
        raise _Refusal(RejectKind.MALFORMED, "checkpoint origin is not UTF-8") from None
    log_keys = known_logs.get(origin)
    if log_keys is None:
        raise _Refusal(RejectKind.UNKNOWN_LOG, f"unknown log {origin!r}")
    try:
        note = open_note(note_bytes, log_keys)
    except MalformedNoteError as exc:
        raise _Refusal(RejectKind.MALFORMED, str(exc)) from None
    except NoteError as exc:  # no trusted signature, or a trusted key's is bad or repeated
        raise _Refusal(RejectKind.FORBIDDEN, str(exc)) from None
    try:
        checkpoint = parse_checkpoint(note.text)
    except CheckpointError as exc:
        raise _Refusal(RejectKind.MALFORMED, str(exc)) from None
    if request.old_size > checkpoint.size:
        raise _Refusal(RejectKind.MALFORMED, "old size is larger than the checkpoint size")
    return AuthenticatedRequest(request, checkpoint, note)


def _conflict(reason: str, current_size: int) -> Rejected:
    return Rejected(
        RejectKind.CONFLICT, reason, format_conflict_body(current_size), TLOG_SIZE_CONTENT_TYPE
    )


def decide(authenticated: AuthenticatedRequest, state: WitnessState | None) -> Accepted | Rejected:
    """Compare an authenticated request with the witness's state for that log.

    ``state`` is None when the witness never cosigned for this origin (size 0).
    """
    request, checkpoint = authenticated.request, authenticated.checkpoint
    if state is not None and state.origin != checkpoint.origin:
        raise ValueError("state belongs to another log")
    current_size = 0 if state is None else state.size
    current_root = EMPTY_ROOT if state is None else state.root_hash
    proof = request.consistency_proof
    if request.old_size != current_size:
        return _conflict(f"old size {request.old_size} is not {current_size}", current_size)
    if current_size == checkpoint.size:
        if checkpoint.root_hash != current_root:
            return _conflict("same size as the cosigned checkpoint but another root", current_size)
        if proof:
            return Rejected(RejectKind.BAD_PROOF, "sizes are equal but the proof is not empty")
    elif current_size == 0:
        if proof:
            return Rejected(RejectKind.BAD_PROOF, "proof from size 0 must be empty")
    else:
        try:
            verify_consistency(
                current_size, checkpoint.size, proof, current_root, checkpoint.root_hash
            )
        except ProofError as exc:
            return Rejected(RejectKind.BAD_PROOF, exc.reason)
    new_state = WitnessState(checkpoint.origin, checkpoint.size, checkpoint.root_hash)
    return Accepted(checkpoint, authenticated.note, current_size, new_state)


def handle_add_checkpoint(
    body: bytes,
    known_logs: Mapping[str, Sequence[Verifier]],
    state_for: Callable[[str], WitnessState | None],
) -> Accepted | Rejected:
    """:func:`authenticate_request` then :func:`decide` with ``state_for(origin)``."""
    authenticated = authenticate_request(body, known_logs)
    if isinstance(authenticated, Rejected):
        return authenticated
    return decide(authenticated, state_for(authenticated.checkpoint.origin))


def known_logs_from(verifiers: Iterable[tuple[str, Verifier]]) -> dict[str, list[Verifier]]:
    """Group ``(origin, log key)`` pairs into the ``known_logs`` mapping."""
    out: dict[str, list[Verifier]] = {}
    for origin, verifier in verifiers:
        out.setdefault(origin, []).append(verifier)
    return out
