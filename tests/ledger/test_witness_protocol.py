"""C2SP tlog-witness add-checkpoint: encoding, decoding and the witness's decisions."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ggzy.crypto.note import CosignatureSigner, Ed25519Signer, NoteSignature, sign_note
from ggzy.ledger.checkpoint import (
    Checkpoint,
    WitnessPolicy,
    sign_checkpoint,
    verify_cosigned_checkpoint,
)
from ggzy.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    leaf_hash,
    reader_from_leaves,
)
from ggzy.ledger.witness_protocol import (
    TLOG_SIZE_CONTENT_TYPE,
    Accepted,
    AddCheckpointRequest,
    AuthenticatedRequest,
    ProtocolError,
    Rejected,
    RejectKind,
    WitnessState,
    authenticate_request,
    cosignature_response,
    decide,
    format_add_checkpoint,
    format_conflict_body,
    handle_add_checkpoint,
    known_logs_from,
    parse_add_checkpoint,
    parse_conflict_body,
    parse_cosignature_response,
)

# c2sp.org/tlog-witness examples.
SPEC_REQUEST = (
    "old 20852014\n"
    "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
    "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
    "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n"
    "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n"
    "\n"
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurm"
    "RDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZ"
    "dXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n"
).encode()
SPEC_RESPONSE = (
    "— witness.example/w1 CMp+6LWBU0anHGH5aNDTJkH/gj79sG+T6+iP2ThYN5krrDJbR"
    "1HDnucjL39QsZTSvVjyQLrdk3DXDqI5G2HgLatVs0pWh6Up69HVOw==\n"
    "— witness.example/w1 I7rEps0pvK2UqkS2gSpVUDhrhVtQV9lgF6pRrWAvjJHjyWpW7"
    "VcE3SiOlVlbQNt64vWhO+DlkL0+UfzuOBMh9ChdMkP1vi/lCAsmlw==\n"
    "— witness.example/w2 AWui8Sk55XjYLOijihBjhqEH6nS1ndDymE0a+6idX7pLcnoB+"
    "dhnz0854aLZgrrKbYKA7nC3HNJhm/kWl7oJlqU3rXXvpysAdyP3wQ==\n"
).encode()

ORIGIN = "ggzy.example/ledger"
NOW = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)
LOG = Ed25519Signer(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
KNOWN = {ORIGIN: [LOG.verifier()]}
LEAVES = [leaf_hash(f"entry {i}".encode()) for i in range(64)]


def root(size: int) -> bytes:
    frontier = CompactRange()
    frontier.extend(LEAVES[:size])
    return frontier.root()


def checkpoint(size: int) -> Checkpoint:
    return Checkpoint(ORIGIN, size, root(size))


def body(
    old: int, size: int, *, proof: list[bytes] | None = None, signer: Ed25519Signer = LOG
) -> bytes:
    if proof is None:
        proof = consistency_proof(old, size, reader_from_leaves(LEAVES[:size]))
    note = sign_checkpoint(checkpoint(size), signer)
    return format_add_checkpoint(AddCheckpointRequest(old, tuple(proof), note))


def state(size: int) -> WitnessState:
    return WitnessState(ORIGIN, size, root(size))


def fixed(current: WitnessState | None) -> Callable[[str], WitnessState | None]:
    """A state lookup that always answers ``current``."""
    return lambda origin: current


def rejected(result: object) -> Rejected:
    assert isinstance(result, Rejected), result
    return result


# --------------------------------------------------------------------------- encoding


def test_spec_request_parses_and_re_encodes() -> None:
    request = parse_add_checkpoint(SPEC_REQUEST)
    assert request.old_size == 20852014
    assert [base64.b64encode(h).decode()[:6] for h in request.consistency_proof] == [
        "PlRNCr",
        "jrJZDm",
        "5+pKlU",
        "/6WVhP",
    ]
    assert request.checkpoint_note.startswith(b"example.com/behind-the-sofa\n20852163\n")
    assert format_add_checkpoint(request) == SPEC_REQUEST


def test_spec_response_parses() -> None:
    sigs = parse_cosignature_response(SPEC_RESPONSE)
    assert [s.name for s in sigs] == [
        "witness.example/w1",
        "witness.example/w1",
        "witness.example/w2",
    ]
    assert "".join(s.line() for s in sigs).encode() == SPEC_RESPONSE


def test_request_without_proof() -> None:
    note = b"o\n0\n" + base64.b64encode(EMPTY_ROOT) + b"\n\n\xe2\x80\x94 o AAAAAAA=\n"
    encoded = format_add_checkpoint(AddCheckpointRequest(0, (), note))
    assert encoded == b"old 0\n\n" + note
    assert parse_add_checkpoint(encoded) == AddCheckpointRequest(0, (), note)


HASH_LINE = base64.b64encode(bytes(32))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"old 5\n", "no blank line"),
        (b"old 05\n\nx", "old <size>"),
        (b"old -1\n\nx", "old <size>"),
        (b"old  5\n\nx", "old <size>"),
        (b"Old 5\n\nx", "old <size>"),
        (b"old 5 \n\nx", "old <size>"),
        (b"\n\nx", "old <size>"),
        (b"old 9223372036854775808\n\nx", "exceeds"),
        (b"old 5\n" + HASH_LINE + b"\n\n", "no checkpoint"),
        (b"old 5\n" + HASH_LINE[:-2] + b"\n\nx", "base64"),
        (b"old 5\n" + base64.b64encode(bytes(31)) + b"\n\nx", "32-byte"),
        (b"old 5\n" + (HASH_LINE + b"\n") * 64 + b"\nx", "more than 63"),
        (b"old 5\n\xff\n\nx", "ASCII"),
        (b"old 5\n\nx" + b"y" * (1 << 20), "too large"),
    ],
)
def test_malformed_requests(data: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        parse_add_checkpoint(data)
    result = rejected(authenticate_request(data, KNOWN))
    assert (result.kind, result.status) == (RejectKind.MALFORMED, 400)


def test_conflict_body() -> None:
    assert format_conflict_body(20852163) == b"20852163\n"
    assert parse_conflict_body(b"20852163\n") == 20852163
    for bad in (b"", b"12", b"012\n", b"-1\n", b"1 \n", b"9223372036854775808\n"):
        with pytest.raises(ProtocolError):
            parse_conflict_body(bad)


@pytest.mark.parametrize("data", [b"", b"x\n", b"\xe2\x80\x94 w AAAAAAA=", b"\xff\n"])
def test_malformed_responses(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse_cosignature_response(data)


# --------------------------------------------------------------------------- decisions


def test_first_checkpoint_is_accepted_from_old_zero() -> None:
    result = handle_add_checkpoint(body(0, 7), KNOWN, lambda origin: None)
    assert isinstance(result, Accepted)
    assert result.old_size == 0
    assert result.new_state == state(7)
    assert result.checkpoint == checkpoint(7)


def test_growth_with_a_valid_proof_is_accepted() -> None:
    result = handle_add_checkpoint(body(7, 20), KNOWN, lambda origin: state(7))
    assert isinstance(result, Accepted)
    assert result.new_state == state(20)


def test_same_checkpoint_again_is_accepted() -> None:
    result = decide(_auth(body(20, 20)), state(20))
    assert isinstance(result, Accepted)
    assert result.new_state == state(20)


def test_stale_old_size_is_409_with_current_size() -> None:
    result = rejected(handle_add_checkpoint(body(5, 20), KNOWN, lambda origin: state(7)))
    assert (result.kind, result.status) == (RejectKind.CONFLICT, 409)
    assert result.body == b"7\n"
    assert result.content_type == TLOG_SIZE_CONTENT_TYPE == "text/x.tlog.size"
    never = rejected(handle_add_checkpoint(body(5, 20), KNOWN, lambda origin: None))
    assert never.body == b"0\n"


def test_same_size_other_root_is_409() -> None:
    other = WitnessState(ORIGIN, 20, root(21))
    result = rejected(decide(_auth(body(20, 20)), other))
    assert (result.status, result.body) == (409, b"20\n")


def test_empty_tree_with_wrong_root_is_409() -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 0, root(1)), LOG)
    data = format_add_checkpoint(AddCheckpointRequest(0, (), note))
    assert rejected(handle_add_checkpoint(data, KNOWN, lambda origin: None)).status == 409
    good = sign_checkpoint(Checkpoint(ORIGIN, 0, EMPTY_ROOT), LOG)
    data = format_add_checkpoint(AddCheckpointRequest(0, (), good))
    assert isinstance(handle_add_checkpoint(data, KNOWN, lambda origin: None), Accepted)


def test_bad_consistency_proofs_are_422() -> None:
    proof = consistency_proof(7, 20, reader_from_leaves(LEAVES[:20]))
    tampered = [proof[0][:-1] + bytes([proof[0][-1] ^ 1]), *proof[1:]]
    cases = [
        body(7, 20, proof=tampered),
        body(7, 20, proof=proof[:-1]),
        body(7, 20, proof=[]),
        body(0, 20, proof=proof),  # a proof from size 0 must be empty
    ]
    for data in cases:
        old = parse_add_checkpoint(data).old_size
        stored = state(old) if old else None
        result = rejected(handle_add_checkpoint(data, KNOWN, fixed(stored)))
        assert (result.kind, result.status) == (RejectKind.BAD_PROOF, 422), result.reason
    same = rejected(decide(_auth(body(20, 20, proof=proof)), state(20)))
    assert same.status == 422


def test_checkpoint_from_another_history_is_422() -> None:
    forked = Checkpoint(ORIGIN, 20, root(19))  # wrong root for size 20
    note = sign_checkpoint(forked, LOG)
    proof = consistency_proof(7, 20, reader_from_leaves(LEAVES[:20]))
    data = format_add_checkpoint(AddCheckpointRequest(7, tuple(proof), note))
    assert rejected(handle_add_checkpoint(data, KNOWN, lambda origin: state(7))).status == 422


def test_old_size_above_checkpoint_size_is_400() -> None:
    data = body(3, 3).replace(b"old 3", b"old 9")
    result = rejected(authenticate_request(data, KNOWN))
    assert (result.status, result.reason) == (400, "old size is larger than the checkpoint size")


def test_unknown_origin_is_404() -> None:
    other = Ed25519Signer.generate("other.example/log")
    note = sign_checkpoint(Checkpoint("other.example/log", 1, root(1)), other)
    data = format_add_checkpoint(AddCheckpointRequest(0, (), note))
    result = rejected(authenticate_request(data, KNOWN))
    assert (result.kind, result.status) == (RejectKind.UNKNOWN_LOG, 404)


def test_unknown_log_key_is_403() -> None:
    impostor = Ed25519Signer.generate(ORIGIN)
    result = rejected(authenticate_request(body(0, 3, signer=impostor), KNOWN))
    assert (result.kind, result.status) == (RejectKind.FORBIDDEN, 403)


def test_bad_signature_by_the_log_key_is_403() -> None:
    data = body(0, 3)
    good = parse_add_checkpoint(data).checkpoint_note
    forged = NoteSignature(LOG.name, LOG.key_id, bytes(64)).line().encode()
    result = rejected(authenticate_request(data.replace(good, good + forged), KNOWN))
    assert (result.status, result.reason) == (403, f"bad signature from {ORIGIN}+{LOG.key_id:08x}")


def test_malformed_checkpoints_are_400() -> None:
    cases = [
        format_add_checkpoint(AddCheckpointRequest(0, (), b"\n")),
        format_add_checkpoint(AddCheckpointRequest(0, (), ORIGIN.encode() + b"\n\xff")),
        format_add_checkpoint(AddCheckpointRequest(0, (), ORIGIN.encode() + b"\nno signatures")),
    ]
    for data in cases:
        assert rejected(authenticate_request(data, KNOWN)).status == 400
    # Well signed by the log, but the body is not a strict checkpoint.
    resigned = sign_note(f"{ORIGIN}\n03\n{base64.b64encode(root(3)).decode()}\n", [LOG])
    data = format_add_checkpoint(AddCheckpointRequest(0, (), resigned))
    result = rejected(authenticate_request(data, KNOWN))
    assert (result.status, result.reason) == (
        400,
        "tree size '03' is not a decimal without leading zeros",
    )


def test_state_for_another_log_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="another log"):
        decide(_auth(body(0, 3)), WitnessState("other.example", 0, EMPTY_ROOT))


def _auth(data: bytes) -> AuthenticatedRequest:
    result = authenticate_request(data, KNOWN)
    assert isinstance(result, AuthenticatedRequest), result
    return result


# --------------------------------------------------------------------------- full flow


def test_witness_round_trip_produces_verifiable_cosignatures() -> None:
    w1 = CosignatureSigner.generate("witness.ggzy.example/w1", clock=lambda: NOW)
    w2 = CosignatureSigner.generate("witness.ggzy.example/w2", clock=lambda: NOW)
    result = handle_add_checkpoint(body(0, 9), KNOWN, lambda origin: None)
    assert isinstance(result, Accepted)
    response = cosignature_response(result.checkpoint_text, [w1, w2])
    sigs = parse_cosignature_response(response)
    assert [s.name for s in sigs] == [w1.name, w2.name]
    # The log appends the response to its checkpoint; clients check the quorum.
    full = sign_checkpoint(checkpoint(9), LOG) + response
    policy = WitnessPolicy((w1.verifier(), w2.verifier()), threshold=2)
    verified = verify_cosigned_checkpoint(full, log_verifier=LOG.verifier(), policy=policy, now=NOW)
    assert verified.checkpoint == checkpoint(9)
    assert [verified.cosigned_at(s) for s in verified.cosignatures] == [int(NOW.timestamp())] * 2
    with pytest.raises(ValueError, match="at least one"):
        cosignature_response(result.checkpoint_text, [])


def test_known_logs_from_pairs() -> None:
    other = Ed25519Signer.generate(ORIGIN)
    assert known_logs_from([(ORIGIN, LOG.verifier()), (ORIGIN, other.verifier())]) == {
        ORIGIN: [LOG.verifier(), other.verifier()]
    }


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 64), min_size=1, max_size=8), st.integers(0, 64))
def test_witness_follows_a_growing_log(sizes: list[int], stale: int) -> None:
    current: WitnessState | None = None
    for size in sorted(sizes):
        old = 0 if current is None else current.size
        before = current
        result = handle_add_checkpoint(body(old, size), KNOWN, fixed(before))
        assert isinstance(result, Accepted), result
        current = result.new_state
        assert current == WitnessState(ORIGIN, size, root(size))
    assert current is not None
    if stale != current.size and stale <= max(sizes):
        result = rejected(
            handle_add_checkpoint(body(stale, max(sizes)), KNOWN, lambda origin: current)
        )
        assert (result.status, result.body) == (409, b"%d\n" % current.size)
