"""Asking witnesses (见证人) to cosign a checkpoint, per C2SP tlog-witness. Stdlib only, no Django.

The log posts ``add-checkpoint`` to every witness of its policy at once and
keeps each returned cosignature only after verifying it against that
witness's vkey. A witness that answers 409 with its own size gets one retry
from that size (the consistency proof comes from ``fetch_consistency``,
called in the caller's thread, so it may read the database). The result
says, witness by witness, what happened and whether the k-of-n policy is met;
:func:`merge_cosignatures` builds the published note: the log's signature
first, then the witnesses' cosignatures.

Policy file (见证策略文件), one statement per line, ``#`` starts a comment::

    witness <name> <vkey> <url>     # vkey of type 0x04; url = the submission prefix
    quorum <k>                      # or: quorum all

``<name>`` is a local label (reports, database rows); the name inside the
vkey is the one that appears in cosignature lines.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cached_property, partial
from pathlib import Path

from ggzy import clock
from ggzy.crypto.note import (
    MAX_SIGNATURES,
    CosignatureVerifier,
    KeyFormatError,
    MalformedNoteError,
    NoteSignature,
    Verifier,
    cosignature_timestamp,
    is_valid_key_name,
    parse_signature_line,
    parse_verifier_key,
)
from ggzy.ledger.checkpoint import Checkpoint, WitnessPolicy, parse_checkpoint
from ggzy.ledger.witness_protocol import (
    AddCheckpointRequest,
    ProtocolError,
    format_add_checkpoint,
    parse_conflict_body,
    parse_cosignature_response,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "CosignResult",
    "OutcomeKind",
    "PolicyFileError",
    "WitnessEndpoint",
    "WitnessOutcome",
    "gather_cosignatures",
    "load_policy",
    "merge_cosignatures",
    "parse_policy",
    "witness_policy",
]

DEFAULT_TIMEOUT = 5.0
#: Largest witness response read; a few cosignature lines are ~150 bytes each.
MAX_RESPONSE_BYTES = 64 * 1024
#: Cosignatures dated further ahead than this are refused (verifiers would refuse them too).
MAX_CLOCK_SKEW = dt.timedelta(minutes=10)

FetchConsistency = Callable[[int], Sequence[bytes]]


class PolicyFileError(ValueError):
    """The witness policy file is malformed."""


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class WitnessEndpoint:
    """One witness: a local ``name``, its submission URL prefix and its vkey (type 0x04)."""

    name: str
    url: str
    vkey: str

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise ValueError(f"witness name {self.name!r} must have no spaces or '+'")
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"witness URL {self.url!r} must be http(s)://host[:port][/prefix]")
        if parts.username is not None or parts.query or parts.fragment:
            raise ValueError(f"witness URL {self.url!r} must have no user, query or fragment")
        try:
            verifier = parse_verifier_key(self.vkey)
        except (KeyFormatError, ValueError) as exc:
            raise ValueError(f"witness {self.name}: bad vkey: {exc}") from None
        if not isinstance(verifier, CosignatureVerifier):
            raise ValueError(f"witness {self.name}: vkey is not a cosignature key (type 0x04)")

    @cached_property
    def verifier(self) -> CosignatureVerifier:
        verifier = parse_verifier_key(self.vkey)
        assert isinstance(verifier, CosignatureVerifier)
        return verifier

    @property
    def add_checkpoint_url(self) -> str:
        return self.url.rstrip("/") + "/add-checkpoint"


def parse_policy(text: str) -> tuple[list[WitnessEndpoint], int]:
    """Parse the text of a policy file (format in the module docstring)."""
    witnesses: list[WitnessEndpoint] = []
    quorum: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        word, *args = line.split()
        if word == "witness" and len(args) == 3:
            name, vkey, url = args
            try:
                witnesses.append(WitnessEndpoint(name, url, vkey))
            except ValueError as exc:
                raise PolicyFileError(f"line {number}: {exc}") from None
        elif word == "quorum" and len(args) == 1:
            if quorum is not None:
                raise PolicyFileError(f"line {number}: quorum given twice")
            quorum = args[0]
        else:
            raise PolicyFileError(
                f"line {number}: expected 'witness <name> <vkey> <url>' or 'quorum <k>'"
            )
    if quorum is None:
        raise PolicyFileError("the policy has no 'quorum' line")
    if len({w.name for w in witnesses}) != len(witnesses):
        raise PolicyFileError("two witnesses share a name")
    idents = {(w.verifier.name, w.verifier.key_id) for w in witnesses}
    if len(idents) != len(witnesses):
        raise PolicyFileError("two witnesses share a key")
    if quorum == "all":
        return witnesses, len(witnesses)
    if not quorum.isdigit() or int(quorum) > len(witnesses):
        raise PolicyFileError(f"quorum must be 'all' or a number from 0 to {len(witnesses)}")
    return witnesses, int(quorum)


def load_policy(path: str | os.PathLike[str]) -> tuple[list[WitnessEndpoint], int]:
    """Read a policy file: the witnesses and the threshold k (k of n)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyFileError(f"cannot read policy {path}: {exc}") from None
    return parse_policy(text)


def witness_policy(witnesses: Sequence[WitnessEndpoint], threshold: int) -> WitnessPolicy:
    """The :class:`WitnessPolicy` that verifiers use for the same witnesses."""
    return WitnessPolicy(tuple(w.verifier for w in witnesses), threshold)


# --------------------------------------------------------------------------- outcomes


class OutcomeKind(StrEnum):
    COSIGNED = "cosigned"  # a verified cosignature by the witness's key
    CONFLICT = "conflict"  # 409: the witness holds another size (or root) for this log
    REFUSED = "refused"  # any other HTTP error status (400, 403, 404, 422, 5xx, ...)
    BAD_RESPONSE = "bad_response"  # 200 without a valid cosignature by the expected key
    UNREACHABLE = "unreachable"  # connection failed or timed out
    ERROR = "error"  # fetch_consistency failed; nothing was retried


@dataclass(frozen=True)
class WitnessOutcome:
    witness: WitnessEndpoint
    kind: OutcomeKind
    detail: str
    #: The old size of the last request sent to this witness.
    old_size: int
    attempts: int = 1
    http_status: int | None = None
    #: The witness's size from its last 409 answer.
    witness_size: int | None = None
    cosignature: NoteSignature | None = None

    @property
    def ok(self) -> bool:
        return self.kind is OutcomeKind.COSIGNED

    @property
    def line(self) -> str | None:
        """The cosignature line (``— <name> <base64>\\n``) when cosigned."""
        return None if self.cosignature is None else self.cosignature.line()


@dataclass(frozen=True)
class CosignResult:
    signed_checkpoint: bytes
    checkpoint: Checkpoint
    threshold: int
    outcomes: tuple[WitnessOutcome, ...]

    @property
    def cosignatures(self) -> tuple[NoteSignature, ...]:
        return tuple(o.cosignature for o in self.outcomes if o.cosignature is not None)

    @property
    def cosignature_lines(self) -> tuple[str, ...]:
        return tuple(s.line() for s in self.cosignatures)

    @property
    def cosigned(self) -> int:
        return len(self.cosignatures)

    @property
    def policy_met(self) -> bool:
        return self.cosigned >= self.threshold

    def cosigned_note(self) -> bytes:
        """The checkpoint note with every gathered cosignature appended."""
        return merge_cosignatures(self.signed_checkpoint, self.cosignatures)

    def outcome(self, name: str) -> WitnessOutcome:
        return next(o for o in self.outcomes if o.witness.name == name)


# --------------------------------------------------------------------------- notes


def _split_note(signed: bytes) -> tuple[str, list[NoteSignature]]:
    try:
        decoded = signed.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedNoteError("note is not valid UTF-8") from None
    split = decoded.rfind("\n\n")
    if split < 0 or not decoded.endswith("\n"):
        raise MalformedNoteError("not a signed note (text, blank line, signature lines)")
    text, block = decoded[: split + 1], decoded[split + 2 : -1]
    return text, [parse_signature_line(line) for line in block.split("\n")]


def merge_cosignatures(
    signed_checkpoint: bytes, cosignature_lines: Iterable[str | NoteSignature]
) -> bytes:
    """Append cosignature lines to a signed checkpoint note.

    Existing signature lines (the log's first) keep their order. A new line is
    skipped when the same key (name and key ID) already signs the note, since
    a verifier refuses a key that signs twice. Nothing is verified here: use
    :func:`ggzy.ledger.checkpoint.verify_cosigned_checkpoint` on the result.
    """
    text, signatures = _split_note(signed_checkpoint)
    seen = {(s.name, s.key_id) for s in signatures}
    for item in cosignature_lines:
        sig = item if isinstance(item, NoteSignature) else parse_signature_line(item.rstrip("\n"))
        if (sig.name, sig.key_id) in seen:
            continue
        seen.add((sig.name, sig.key_id))
        signatures.append(sig)
    if len(signatures) > MAX_SIGNATURES:
        raise MalformedNoteError(f"a note carries at most {MAX_SIGNATURES} signatures")
    return (text + "\n" + "".join(s.line() for s in signatures)).encode("utf-8")


# --------------------------------------------------------------------------- HTTP


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes


def _post(url: str, body: bytes, timeout: float) -> _Answer:
    """POST without proxies or redirects (http.client, not urllib)."""
    parts = urllib.parse.urlsplit(url)
    conn_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    conn = conn_class(parts.netloc, timeout=timeout)
    try:
        conn.request(
            "POST",
            parts.path or "/",
            body=body,
            headers={"Content-Type": "text/plain; charset=utf-8", "User-Agent": "ggzy-witness/1"},
        )
        response = conn.getresponse()
        data = response.read(MAX_RESPONSE_BYTES + 1)
        return _Answer(response.status, data)
    finally:
        conn.close()


def _verified_cosignature(
    witness: WitnessEndpoint, text: bytes, body: bytes
) -> NoteSignature | str:
    """The witness's verified cosignature in a 200 body, or why there is none."""
    if len(body) > MAX_RESPONSE_BYTES:
        return "response too large"
    try:
        lines = parse_cosignature_response(body)
    except ProtocolError as exc:
        return f"malformed response: {exc}"
    verifier: Verifier = witness.verifier
    mine = [s for s in lines if (s.name, s.key_id) == (verifier.name, verifier.key_id)]
    if not mine:
        return f"no cosignature by {verifier.name}+{verifier.key_id:08x} (wrong witness key?)"
    sig = mine[0]
    if len(mine) > 1 or not verifier.verify(text, sig.signature):
        return "cosignature does not verify against the policy vkey"
    latest = clock.now() + MAX_CLOCK_SKEW
    if cosignature_timestamp(sig.signature) > int(latest.timestamp()):
        return "cosignature is dated in the future (witness clock?)"
    return sig


@dataclass(frozen=True)
class _Job:
    signed_checkpoint: bytes
    text: bytes
    checkpoint: Checkpoint
    timeout: float


def _attempt(
    job: _Job, witness: WitnessEndpoint, old_size: int, proof: Sequence[bytes], attempt: int
) -> WitnessOutcome:
    body = format_add_checkpoint(
        AddCheckpointRequest(old_size, tuple(proof), job.signed_checkpoint)
    )

    base = WitnessOutcome(witness, OutcomeKind.UNREACHABLE, "", old_size, attempt)
    try:
        answer = _post(witness.add_checkpoint_url, body, job.timeout)
    except (OSError, http.client.HTTPException) as exc:
        return replace(base, detail=f"{type(exc).__name__}: {exc}")
    base = replace(base, http_status=answer.status)
    if answer.status == 200:
        result = _verified_cosignature(witness, job.text, answer.body)
        if isinstance(result, str):
            return replace(base, kind=OutcomeKind.BAD_RESPONSE, detail=result)
        return replace(base, kind=OutcomeKind.COSIGNED, detail="cosigned", cosignature=result)
    if answer.status == 409:
        try:
            size = parse_conflict_body(answer.body)
        except ProtocolError as exc:
            return replace(base, kind=OutcomeKind.BAD_RESPONSE, detail=f"409 with {exc}")
        detail = f"witness is at size {size}"
        if size == old_size:  # only a different root at the same size gives this answer
            detail = f"witness holds another root at size {size} (possible fork 分叉)"
        return replace(base, kind=OutcomeKind.CONFLICT, detail=detail, witness_size=size)
    reason = answer.body[:200].decode("utf-8", errors="replace").strip() or "no reason given"
    return replace(base, kind=OutcomeKind.REFUSED, detail=reason)


def _run_all(
    calls: Sequence[Callable[[], WitnessOutcome]],
    fallbacks: Sequence[WitnessOutcome],
    deadline: float,
) -> list[WitnessOutcome]:
    """Run the calls concurrently; a call still running at ``deadline`` gives its fallback."""
    if not calls:
        return []
    executor = ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix="witness")
    try:
        futures: list[Future[WitnessOutcome]] = [executor.submit(call) for call in calls]
        wait_futures(futures, timeout=deadline)
        return [
            f.result() if f.done() else fallback
            for f, fallback in zip(futures, fallbacks, strict=True)
        ]
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def _retry_plan(
    outcome: WitnessOutcome, checkpoint: Checkpoint, fetch: FetchConsistency | None
) -> int | None:
    """The old size to retry a 409 from, or None when a retry cannot help."""
    size = outcome.witness_size
    if outcome.kind is not OutcomeKind.CONFLICT or size is None or size == outcome.old_size:
        return None  # not a conflict, or the same size with another root: a fork, report it
    if size > checkpoint.size:
        return None  # the witness has seen a larger tree than this checkpoint
    if size in {0, checkpoint.size} or fetch is not None:
        return size  # sizes 0 and equal need no proof
    return None


def gather_cosignatures(
    signed_checkpoint: bytes,
    *,
    old_size: int,
    consistency_proof: Sequence[bytes],
    witnesses: Sequence[WitnessEndpoint],
    threshold: int,
    timeout: float = DEFAULT_TIMEOUT,
    fetch_consistency: FetchConsistency | None = None,
) -> CosignResult:
    """Ask every witness to cosign ``signed_checkpoint`` and verify what they return.

    ``consistency_proof`` goes from ``old_size`` to the checkpoint's size. A
    witness answering 409 with size ``m`` is retried once from ``m``: with an
    empty proof when ``m`` is 0 or the checkpoint's size, otherwise with
    ``fetch_consistency(m)`` (called in this thread, once per distinct size).
    ``timeout`` bounds each HTTP exchange; all witnesses are asked at once.
    """
    if not 0 <= threshold <= len(witnesses):
        raise ValueError("threshold must be between 0 and the number of witnesses")
    if len({w.name for w in witnesses}) != len(witnesses):
        raise ValueError("witness names must be distinct")
    text, _signatures = _split_note(signed_checkpoint)
    checkpoint = parse_checkpoint(text)
    if not 0 <= old_size <= checkpoint.size:
        raise ValueError("old size must be between 0 and the checkpoint size")
    job = _Job(signed_checkpoint, text.encode("utf-8"), checkpoint, timeout)
    deadline = timeout * 2 + 1  # connect + exchange, each bounded by the socket timeout

    def no_answer(w: WitnessEndpoint, old: int, attempt: int) -> WitnessOutcome:
        detail = f"no answer within {deadline:g}s"
        return WitnessOutcome(w, OutcomeKind.UNREACHABLE, detail, old, attempt)

    proof = list(consistency_proof)
    outcomes = _run_all(
        [partial(_attempt, job, w, old_size, proof, 1) for w in witnesses],
        [no_answer(w, old_size, 1) for w in witnesses],
        deadline,
    )
    retries: dict[int, int] = {}  # index in outcomes -> old size to retry from
    proofs: dict[int, list[bytes]] = {0: [], checkpoint.size: []}
    failed: dict[int, str] = {}
    for index, first in enumerate(outcomes):
        retry_from = _retry_plan(first, checkpoint, fetch_consistency)
        if retry_from is None:
            continue
        if retry_from not in proofs and retry_from not in failed:
            assert fetch_consistency is not None
            try:
                proofs[retry_from] = list(fetch_consistency(retry_from))
            except Exception as exc:  # the caller's proof source failed: report, don't raise
                failed[retry_from] = f"fetch_consistency({retry_from}) failed: {exc!r}"
        if retry_from in failed:
            outcomes[index] = replace(first, kind=OutcomeKind.ERROR, detail=failed[retry_from])
        else:
            retries[index] = retry_from
    second = _run_all(
        [partial(_attempt, job, outcomes[i].witness, m, proofs[m], 2) for i, m in retries.items()],
        [no_answer(outcomes[i].witness, m, 2) for i, m in retries.items()],
        deadline,
    )
    for index, retried in zip(retries, second, strict=True):
        outcomes[index] = retried
    return CosignResult(signed_checkpoint, checkpoint, threshold, tuple(outcomes))
