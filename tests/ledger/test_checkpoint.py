"""C2SP checkpoints, k-of-n witness policies and tlog-proof receipts."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ggzy.crypto.note import (
    CosignatureSigner,
    Ed25519Signer,
    NoteSignature,
    open_note,
    sign_note,
)
from ggzy.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    PolicyError,
    TlogProof,
    WitnessPolicy,
    format_checkpoint,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
    verify_cosigned_checkpoint,
)
from ggzy.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    inclusion_proof,
    leaf_hash,
    reader_from_leaves,
)

ORIGIN = "ggzy.example/ledger"
SOFA_TEXT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
NOW = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)


def log_signer() -> Ed25519Signer:
    return Ed25519Signer(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))


def witnesses(n: int = 3) -> list[CosignatureSigner]:
    return [
        CosignatureSigner(
            f"witness{i}.example/w",
            Ed25519PrivateKey.from_private_bytes(bytes([i + 1]) * 32),
            clock=lambda: NOW,
        )
        for i in range(n)
    ]


def tree(size: int) -> tuple[list[bytes], Checkpoint]:
    leaves = [leaf_hash(f"entry {i}".encode()) for i in range(size)]
    frontier = CompactRange()
    frontier.extend(leaves)
    return leaves, Checkpoint(ORIGIN, size, frontier.root())


def cosigned(checkpoint: Checkpoint, cosigners: list[CosignatureSigner]) -> bytes:
    logged = sign_checkpoint(checkpoint, log_signer())
    note = open_note(logged, [log_signer().verifier()])
    return sign_note(note.text, cosigners, keep=note.signatures) if cosigners else logged


# --------------------------------------------------------------------------- body format


def test_spec_example_formats_and_parses() -> None:
    root = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    checkpoint = Checkpoint("example.com/behind-the-sofa", 20852163, root)
    assert format_checkpoint(checkpoint) == SOFA_TEXT
    assert checkpoint.text() == SOFA_TEXT
    assert parse_checkpoint(SOFA_TEXT) == checkpoint


def test_extension_lines_and_extremes() -> None:
    text = "o\n0\n" + base64.b64encode(EMPTY_ROOT).decode() + "\nTimestamp: 1\n额外 扩展\n"
    checkpoint = parse_checkpoint(text)
    assert checkpoint.extensions == ("Timestamp: 1", "额外 扩展")
    assert checkpoint.size == 0
    assert format_checkpoint(checkpoint) == text
    biggest = SOFA_TEXT.replace("20852163", str(2**63 - 1))
    assert parse_checkpoint(biggest).size == 2**63 - 1


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (SOFA_TEXT[:-1], "end in a newline"),
        ("o\n1\n", "needs origin, size and root"),
        ("\n" + SOFA_TEXT.split("\n", 1)[1], "origin is empty"),
        (SOFA_TEXT.replace("20852163", "020852163"), "leading zeros"),
        (SOFA_TEXT.replace("20852163", "+20852163"), "leading zeros"),
        (SOFA_TEXT.replace("20852163", "-1"), "leading zeros"),
        (SOFA_TEXT.replace("20852163", "20852163 "), "leading zeros"),
        (SOFA_TEXT.replace("20852163", "２０"), "leading zeros"),  # full-width digits
        (SOFA_TEXT.replace("20852163", str(2**63)), "exceeds"),
        (SOFA_TEXT.replace("q2I=", "q2I"), "not base64"),
        (SOFA_TEXT.replace("q2I=", "q2J="), "canonical"),
        (SOFA_TEXT.replace("CsUY", ""), "32-byte"),
        (SOFA_TEXT + "\n", "extension lines must be non-empty"),
        (SOFA_TEXT.replace("sofa", "so\tfa"), "control"),
    ],
)
def test_parse_is_strict(text: str, reason: str) -> None:
    with pytest.raises(CheckpointError, match=reason):
        parse_checkpoint(text)


def test_checkpoint_constructor_validates() -> None:
    with pytest.raises(CheckpointError, match="origin"):
        Checkpoint("", 1, EMPTY_ROOT)
    with pytest.raises(CheckpointError, match="origin"):
        Checkpoint("a\nb", 1, EMPTY_ROOT)
    with pytest.raises(CheckpointError, match="size"):
        Checkpoint("o", -1, EMPTY_ROOT)
    with pytest.raises(CheckpointError, match="32 bytes"):
        Checkpoint("o", 1, b"x")
    with pytest.raises(CheckpointError, match="extension"):
        Checkpoint("o", 1, EMPTY_ROOT, ("",))


# --------------------------------------------------------------------------- log signature


def test_sign_and_open_with_the_log_key() -> None:
    _, checkpoint = tree(10)
    message = sign_checkpoint(checkpoint, log_signer())
    assert message.startswith(
        format_checkpoint(checkpoint).encode() + "\n— ggzy.example/ledger ".encode()
    )
    opened, note = open_checkpoint(message, log_signer().verifier(), origin=ORIGIN)
    assert opened == checkpoint
    assert note.signatures[0].key_id == log_signer().key_id
    with pytest.raises(CheckpointError, match=r"not 'other\.example'"):
        open_checkpoint(message, log_signer().verifier(), origin="other.example")
    with pytest.raises(CheckpointError, match="no signature from a known key"):
        open_checkpoint(message, Ed25519Signer.generate(ORIGIN).verifier())


def test_signed_body_must_be_a_checkpoint() -> None:
    message = sign_note("just a note\n", [log_signer()])
    with pytest.raises(CheckpointError, match="needs origin"):
        open_checkpoint(message, log_signer().verifier())


# --------------------------------------------------------------------------- witness policy


def test_k_of_n_policy() -> None:
    _, checkpoint = tree(5)
    w = witnesses(3)
    policy = WitnessPolicy(tuple(x.verifier() for x in w), threshold=2)
    log = log_signer().verifier()
    with pytest.raises(PolicyError, match="1 of the required 2"):
        verify_cosigned_checkpoint(cosigned(checkpoint, w[:1]), log_verifier=log, policy=policy)
    verified = verify_cosigned_checkpoint(
        cosigned(checkpoint, [w[2], w[0]]), log_verifier=log, policy=policy, origin=ORIGIN, now=NOW
    )
    assert verified.checkpoint == checkpoint
    assert [s.name for s in verified.cosignatures] == ["witness2.example/w", "witness0.example/w"]
    assert verified.cosigned_at(verified.cosignatures[0]) == int(NOW.timestamp())
    # Unknown witnesses do not count and do not hurt.
    stranger = CosignatureSigner.generate("stranger.example", clock=lambda: NOW)
    with pytest.raises(PolicyError):
        verify_cosigned_checkpoint(
            cosigned(checkpoint, [w[0], stranger]), log_verifier=log, policy=policy
        )
    assert (
        verify_cosigned_checkpoint(
            cosigned(checkpoint, []), log_verifier=log, policy=WitnessPolicy((), 0)
        ).cosignatures
        == ()
    )


def test_bad_cosignature_from_a_policy_witness_rejects() -> None:
    _, checkpoint = tree(5)
    w = witnesses(2)
    message = cosigned(checkpoint, w)
    forged = NoteSignature(w[1].name, w[1].key_id, (1).to_bytes(8, "big") + bytes(64))
    tampered = message + forged.line().encode()
    policy = WitnessPolicy(tuple(x.verifier() for x in w), threshold=1)
    with pytest.raises(CheckpointError, match="bad signature from witness1"):
        verify_cosigned_checkpoint(tampered, log_verifier=log_signer().verifier(), policy=policy)


def test_log_signature_is_required() -> None:
    _, checkpoint = tree(5)
    w = witnesses(2)
    only_witnesses = sign_note(format_checkpoint(checkpoint), w)
    policy = WitnessPolicy(tuple(x.verifier() for x in w), threshold=1)
    with pytest.raises(CheckpointError, match="not signed by the log key"):
        verify_cosigned_checkpoint(
            only_witnesses, log_verifier=log_signer().verifier(), policy=policy
        )


def test_future_cosignatures_are_refused_when_now_is_given() -> None:
    _, checkpoint = tree(5)
    late = CosignatureSigner.generate("late.example", clock=lambda: NOW + dt.timedelta(hours=1))
    policy = WitnessPolicy((late.verifier(),), threshold=1)
    message = cosigned(checkpoint, [late])
    log = log_signer().verifier()
    verify_cosigned_checkpoint(message, log_verifier=log, policy=policy)
    with pytest.raises(CheckpointError, match="in the future"):
        verify_cosigned_checkpoint(message, log_verifier=log, policy=policy, now=NOW)
    verify_cosigned_checkpoint(
        message, log_verifier=log, policy=policy, now=NOW, max_clock_skew=dt.timedelta(hours=2)
    )


def test_policy_validation() -> None:
    w = witnesses(2)
    with pytest.raises(ValueError, match="between 0"):
        WitnessPolicy(tuple(x.verifier() for x in w), threshold=3)
    with pytest.raises(ValueError, match="distinct"):
        WitnessPolicy((w[0].verifier(), w[0].verifier()), threshold=1)
    policy = WitnessPolicy((log_signer().verifier(),), threshold=1)
    with pytest.raises(ValueError, match="also be a witness"):
        verify_cosigned_checkpoint(b"", log_verifier=log_signer().verifier(), policy=policy)


# --------------------------------------------------------------------------- tlog-proof


def test_tlog_proof_round_trip_and_verify() -> None:
    leaves, checkpoint = tree(13)
    w = witnesses(2)
    note = cosigned(checkpoint, w)
    proof = inclusion_proof(6, 13, reader_from_leaves(leaves))
    receipt = TlogProof(6, tuple(proof), note, extra=b"bid:42")
    blob = receipt.to_bytes()
    head = blob.split(b"\n\n", 1)[0].decode().split("\n")
    assert head[:3] == ["c2sp.org/tlog-proof@v1", "extra YmlkOjQy", "index 6"]
    assert head[3:] == [base64.b64encode(h).decode() for h in proof]
    assert blob.endswith(note)
    parsed = TlogProof.from_bytes(blob)
    assert parsed == receipt
    policy = WitnessPolicy(tuple(x.verifier() for x in w), threshold=2)
    verified = parsed.verify(leaves[6], log_verifier=log_signer().verifier(), policy=policy)
    assert verified.checkpoint == checkpoint
    with pytest.raises(CheckpointError, match="inclusion proof"):
        parsed.verify(leaves[7], log_verifier=log_signer().verifier(), policy=policy)
    no_extra = TlogProof(6, tuple(proof), note)
    assert TlogProof.from_bytes(no_extra.to_bytes()) == no_extra


def test_every_flipped_bit_of_a_receipt_fails() -> None:
    leaves, checkpoint = tree(6)
    w = witnesses(1)
    receipt = TlogProof(
        3, tuple(inclusion_proof(3, 6, reader_from_leaves(leaves))), cosigned(checkpoint, w)
    ).to_bytes()
    policy = WitnessPolicy((w[0].verifier(),), threshold=1)
    log = log_signer().verifier()
    for bit in range(0, len(receipt) * 8, 3):
        data = bytearray(receipt)
        data[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(CheckpointError):
            TlogProof.from_bytes(bytes(data)).verify(leaves[3], log_verifier=log, policy=policy)


@pytest.mark.parametrize(
    ("blob", "reason"),
    [
        (b"c2sp.org/tlog-proof@v1\nindex 1\n", "no blank line"),
        (b"c2sp.org/tlog-proof@v2\nindex 1\n\nx", "must start with"),
        (b"c2sp.org/tlog-proof@v1\n\nx", "needs an index"),
        (b"c2sp.org/tlog-proof@v1\nindex 01\n\nx", "leading zeros"),
        (b"c2sp.org/tlog-proof@v1\nextra !!\nindex 1\n\nx", "extra data"),
        (b"c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\nx", "32-byte"),
        (b"c2sp.org/tlog-proof@v1\nindex 1\n\xff\n\nx", "ASCII"),
    ],
)
def test_tlog_proof_parsing_is_strict(blob: bytes, reason: str) -> None:
    with pytest.raises(CheckpointError, match=reason):
        TlogProof.from_bytes(blob)
