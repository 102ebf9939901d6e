"""The witness client (见证客户端) against three real witness processes on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.ledger.test_witness_server import MemLog, WitnessProcess, start_witness, write_config

from ggzy.crypto.note import (
    ALG_COSIGNATURE_V1,
    CosignatureSigner,
    NoteSignature,
    generate_signer_key,
)
from ggzy.ledger.checkpoint import PolicyError, WitnessPolicy, verify_cosigned_checkpoint
from ggzy.ledger.witness_client import (
    OutcomeKind,
    PolicyFileError,
    WitnessEndpoint,
    gather_cosignatures,
    load_policy,
    merge_cosignatures,
    parse_policy,
    witness_policy,
)

LOGS = [MemLog(f"ggzy.test/client-{i}", 40 + i) for i in range(8)]


@pytest.fixture(scope="module")
def witnesses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[WitnessProcess]]:
    started: list[WitnessProcess] = []
    try:
        for n in (1, 2, 3):
            config = write_config(tmp_path_factory.mktemp(f"w{n}"), LOGS, name=f"witness.test/w{n}")
            started.append(start_witness(config))
        yield started
    finally:
        for process in started:
            assert process.stop() == 0


def endpoint(process: WitnessProcess, name: str) -> WitnessEndpoint:
    return WitnessEndpoint(name, process.url, process.vkey)


def dead_url() -> str:
    """A loopback port with nothing listening (connection refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def fresh_vkey(name: str) -> str:
    return generate_signer_key(name, algorithm=ALG_COSIGNATURE_V1)[1]


# --------------------------------------------------------------------------- gather


def test_two_of_three_with_one_witness_down(witnesses: list[WitnessProcess]) -> None:
    log = LOGS[0]
    w1, w2, _w3 = witnesses
    policy_witnesses = [
        endpoint(w1, "w1"),
        endpoint(w2, "w2"),
        WitnessEndpoint("down", dead_url(), fresh_vkey("witness.test/down")),
    ]
    result = gather_cosignatures(
        log.signed(6),
        old_size=0,
        consistency_proof=[],
        witnesses=policy_witnesses,
        threshold=2,
        timeout=2.0,
    )
    assert result.policy_met
    assert result.cosigned == 2
    assert [(o.witness.name, o.kind) for o in result.outcomes] == [
        ("w1", OutcomeKind.COSIGNED),
        ("w2", OutcomeKind.COSIGNED),
        ("down", OutcomeKind.UNREACHABLE),
    ]
    assert result.outcome("w1").line == result.cosignature_lines[0]
    verified = verify_cosigned_checkpoint(
        result.cosigned_note(),
        log_verifier=log.signer.verifier(),
        policy=witness_policy(policy_witnesses, 2),
    )
    assert verified.checkpoint == log.checkpoint(6)
    assert [s.name for s in verified.cosignatures] == ["witness.test/w1", "witness.test/w2"]
    # merge_cosignatures gives the same note from the stored lines
    merged = merge_cosignatures(log.signed(6), list(result.cosignature_lines))
    assert merged == result.cosigned_note()
    assert merged.split(b"\n\n", 1)[1].startswith("— ggzy.test/client-0 ".encode())


def test_policy_not_met_with_two_witnesses_down(witnesses: list[WitnessProcess]) -> None:
    log = LOGS[1]
    policy_witnesses = [
        endpoint(witnesses[0], "w1"),
        WitnessEndpoint("down1", dead_url(), fresh_vkey("witness.test/down1")),
        WitnessEndpoint("down2", dead_url(), fresh_vkey("witness.test/down2")),
    ]
    result = gather_cosignatures(
        log.signed(4),
        old_size=0,
        consistency_proof=[],
        witnesses=policy_witnesses,
        threshold=2,
        timeout=2.0,
    )
    assert not result.policy_met
    assert result.cosigned == 1
    assert [o.kind for o in result.outcomes] == [
        OutcomeKind.COSIGNED,
        OutcomeKind.UNREACHABLE,
        OutcomeKind.UNREACHABLE,
    ]
    with pytest.raises(PolicyError):
        verify_cosigned_checkpoint(
            result.cosigned_note(),
            log_verifier=log.signer.verifier(),
            policy=witness_policy(policy_witnesses, 2),
        )


def test_cosignature_by_a_wrong_key_is_rejected(witnesses: list[WitnessProcess]) -> None:
    log = LOGS[2]
    w3 = witnesses[2]
    # the policy expects another key under the same name at w3's address
    impostor = WitnessEndpoint("w3", w3.url, fresh_vkey("witness.test/w3"))
    result = gather_cosignatures(
        log.signed(3),
        old_size=0,
        consistency_proof=[],
        witnesses=[impostor],
        threshold=1,
        timeout=2.0,
    )
    outcome = result.outcome("w3")
    assert (outcome.kind, outcome.http_status, outcome.cosignature) == (
        OutcomeKind.BAD_RESPONSE,
        200,
        None,
    )
    assert "no cosignature by witness.test/w3+" in outcome.detail
    assert not result.policy_met
    assert result.cosigned_note() == log.signed(3)


def test_409_is_retried_from_the_witness_size(witnesses: list[WitnessProcess]) -> None:
    log = LOGS[3]
    w1, w2, w3 = (endpoint(p, f"w{i}") for i, p in enumerate(witnesses, start=1))
    # w1 and w2 already cosigned size 5; w3 has never seen this log
    first = gather_cosignatures(
        log.signed(5), old_size=0, consistency_proof=[], witnesses=[w1, w2], threshold=2
    )
    assert first.policy_met
    asked: list[int] = []

    def fetch(size: int) -> list[bytes]:
        asked.append(size)
        return log.proof(size, 12)

    # the caller believes the witnesses are at size 2
    result = gather_cosignatures(
        log.signed(12),
        old_size=2,
        consistency_proof=log.proof(2, 12),
        witnesses=[w1, w2, w3],
        threshold=3,
        fetch_consistency=fetch,
    )
    assert result.policy_met
    assert asked == [5]  # once per distinct size, in the caller's thread
    assert [(o.kind, o.old_size, o.attempts) for o in result.outcomes] == [
        (OutcomeKind.COSIGNED, 5, 2),
        (OutcomeKind.COSIGNED, 5, 2),
        (OutcomeKind.COSIGNED, 0, 2),  # size 0 needs no proof
    ]


def test_409_without_a_proof_source_is_reported(witnesses: list[WitnessProcess]) -> None:
    log = LOGS[4]
    w1 = endpoint(witnesses[0], "w1")
    assert gather_cosignatures(
        log.signed(5), old_size=0, consistency_proof=[], witnesses=[w1], threshold=1
    ).policy_met
    result = gather_cosignatures(
        log.signed(9), old_size=0, consistency_proof=[], witnesses=[w1], threshold=1
    )
    outcome = result.outcome("w1")
    assert (outcome.kind, outcome.witness_size, outcome.attempts) == (OutcomeKind.CONFLICT, 5, 1)

    def broken(size: int) -> list[bytes]:
        raise LookupError("tree node missing")

    result = gather_cosignatures(
        log.signed(9),
        old_size=0,
        consistency_proof=[],
        witnesses=[w1],
        threshold=1,
        fetch_consistency=broken,
    )
    assert result.outcome("w1").kind is OutcomeKind.ERROR
    assert "tree node missing" in result.outcome("w1").detail


def test_a_fork_at_the_same_size_is_not_retried(witnesses: list[WitnessProcess]) -> None:
    log = LOGS[5]
    w1 = endpoint(witnesses[0], "w1")
    assert gather_cosignatures(
        log.signed(5), old_size=0, consistency_proof=[], witnesses=[w1], threshold=1
    ).policy_met
    fork = log.fork()
    result = gather_cosignatures(
        fork.signed(5),
        old_size=0,
        consistency_proof=[],
        witnesses=[w1],
        threshold=1,
        fetch_consistency=lambda size: fork.proof(size, 5),
    )
    outcome = result.outcome("w1")
    assert (outcome.kind, outcome.witness_size, outcome.attempts) == (OutcomeKind.CONFLICT, 5, 2)
    assert "possible fork" in outcome.detail


def test_refusals_and_silent_witnesses(witnesses: list[WitnessProcess]) -> None:
    unknown = MemLog("ggzy.test/client-unknown", 99)
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        result = gather_cosignatures(
            unknown.signed(2),
            old_size=0,
            consistency_proof=[],
            witnesses=[
                endpoint(witnesses[0], "w1"),
                WitnessEndpoint("silent", f"http://127.0.0.1:{port}", fresh_vkey("w.test/s")),
            ],
            threshold=1,
            timeout=0.3,
        )
    refused, silent_outcome = result.outcomes
    assert (refused.kind, refused.http_status) == (OutcomeKind.REFUSED, 404)
    assert "unknown log" in refused.detail
    assert silent_outcome.kind is OutcomeKind.UNREACHABLE


def test_gather_checks_its_arguments(witnesses: list[WitnessProcess]) -> None:
    w1 = endpoint(witnesses[0], "w1")
    with pytest.raises(ValueError, match="threshold"):
        gather_cosignatures(
            LOGS[6].signed(2), old_size=0, consistency_proof=[], witnesses=[w1], threshold=2
        )
    with pytest.raises(ValueError, match="old size"):
        gather_cosignatures(
            LOGS[6].signed(2), old_size=3, consistency_proof=[], witnesses=[w1], threshold=1
        )


# --------------------------------------------------------------------------- merge


def test_merge_keeps_the_log_signature_first_and_one_line_per_key() -> None:
    log = LOGS[7]
    signer = CosignatureSigner.generate("witness.test/m")
    text = log.checkpoint(3).text().encode()
    first = NoteSignature(signer.name, signer.key_id, signer.sign_at(text, 1_700_000_000))
    again = NoteSignature(signer.name, signer.key_id, signer.sign_at(text, 1_700_000_060))
    merged = merge_cosignatures(log.signed(3), [first.line(), again, first.line().rstrip("\n")])
    assert merged == log.signed(3) + first.line().encode()
    verified = verify_cosigned_checkpoint(
        merged,
        log_verifier=log.signer.verifier(),
        policy=WitnessPolicy((signer.verifier(),), 1),
    )
    assert verified.cosignatures == (first,)
    with pytest.raises(ValueError, match="signature"):
        merge_cosignatures(log.signed(3), ["not a signature line"])
    with pytest.raises(ValueError, match="signed note"):
        merge_cosignatures(b"no note here", [])


# --------------------------------------------------------------------------- policy file


def test_load_policy(tmp_path: Path) -> None:
    vkeys = [fresh_vkey(f"witness.test/p{i}") for i in range(3)]
    path = tmp_path / "witnesses.policy"
    path.write_text(
        "# 见证策略: two of three departments\n"
        f"witness fgw {vkeys[0]} https://witness.fgw.example/\n"
        f"witness sjj {vkeys[1]} http://127.0.0.1:7380/w   # trailing comment\n"
        "\n"
        f"witness gs {vkeys[2]} https://witness.gansu.example\n"
        "quorum 2\n",
        encoding="utf-8",
    )
    endpoints, threshold = load_policy(path)
    assert threshold == 2
    assert [(e.name, e.vkey, e.add_checkpoint_url) for e in endpoints] == [
        ("fgw", vkeys[0], "https://witness.fgw.example/add-checkpoint"),
        ("sjj", vkeys[1], "http://127.0.0.1:7380/w/add-checkpoint"),
        ("gs", vkeys[2], "https://witness.gansu.example/add-checkpoint"),
    ]
    assert parse_policy(f"witness a {vkeys[0]} http://h/\nquorum all\n")[1] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no 'quorum' line"),
        ("quorum 1\n", "quorum must be"),
        ("witness a {v0} http://h/\nquorum 2\n", "quorum must be"),
        ("witness a {v0} http://h/\nquorum -1\n", "quorum must be"),
        ("witness a {v0} http://h/\nquorum 1\nquorum 1\n", "quorum given twice"),
        ("witness a {v0} http://h/\nwitness a {v1} http://h/\nquorum 1\n", "share a name"),
        ("witness a {v0} http://h/\nwitness b {v0} http://g/\nquorum 1\n", "share a key"),
        ("witness a {v0} ftp://h/\nquorum 1\n", "must be http"),
        ("witness a {plain} http://h/\nquorum 1\n", "not a cosignature key"),
        ("witness a {v0}\nquorum 1\n", "expected 'witness"),
        ("log {v0}\nquorum 0\n", "expected 'witness"),
    ],
)
def test_policy_errors(text: str, message: str) -> None:
    v0, v1 = fresh_vkey("witness.test/e0"), fresh_vkey("witness.test/e1")
    plain = generate_signer_key("witness.test/plain")[1]
    with pytest.raises(PolicyFileError, match=message):
        parse_policy(text.format(v0=v0, v1=v1, plain=plain))
