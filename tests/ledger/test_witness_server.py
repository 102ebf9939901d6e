"""The standalone witness (见证人) over real HTTP: a ``python -m ggzy.ledger.witness_server``
process on 127.0.0.1, fed by an in-memory log built with merkle/checkpoint/note.

The helpers here (``MemLog``, ``write_config``, ``start_witness``, ``http``) are shared with
``test_witness_client.py``.
"""

from __future__ import annotations

import http.client
import os
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command

from ggzy.crypto.note import (
    CosignatureVerifier,
    Ed25519Signer,
    cosignature_timestamp,
    generate_signer_key,
    parse_verifier_key,
)
from ggzy.ledger import witness_server
from ggzy.ledger.checkpoint import (
    Checkpoint,
    WitnessPolicy,
    sign_checkpoint,
    verify_cosigned_checkpoint,
)
from ggzy.ledger.merkle import CompactRange, consistency_proof, leaf_hash, reader_from_leaves
from ggzy.ledger.witness_protocol import AddCheckpointRequest, format_add_checkpoint

MAX_BODY = 8192
START_TIMEOUT = 15.0

# --------------------------------------------------------------------------- helpers


class MemLog:
    """A log held in memory: its key, 64 leaves, signed checkpoints and consistency proofs."""

    def __init__(self, origin: str, seed: int, *, variant: str = "") -> None:
        self.origin = origin
        self.seed = seed
        self.signer = Ed25519Signer(
            origin, Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
        )
        self.leaves = [leaf_hash(f"{origin} {variant}entry {i}".encode()) for i in range(64)]

    @property
    def vkey(self) -> str:
        return self.signer.verifier_key()

    def fork(self) -> MemLog:
        """Same origin and key, other entries: what a misbehaving log would show someone."""
        return MemLog(self.origin, self.seed, variant="fork ")

    def root(self, size: int) -> bytes:
        tree = CompactRange()
        tree.extend(self.leaves[:size])
        return tree.root()

    def checkpoint(self, size: int) -> Checkpoint:
        return Checkpoint(self.origin, size, self.root(size))

    def signed(self, size: int, signer: Ed25519Signer | None = None) -> bytes:
        return sign_checkpoint(self.checkpoint(size), signer or self.signer)

    def proof(self, old: int, new: int) -> list[bytes]:
        if old in {0, new}:
            return []
        return consistency_proof(old, new, reader_from_leaves(self.leaves[:new]))

    def request(
        self,
        old: int,
        size: int,
        *,
        proof: Sequence[bytes] | None = None,
        note: bytes | None = None,
    ) -> bytes:
        body = AddCheckpointRequest(
            old,
            tuple(self.proof(old, size) if proof is None else proof),
            self.signed(size) if note is None else note,
        )
        return format_add_checkpoint(body)


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes


def call(method: str, url: str, body: bytes | None = None, timeout: float = 10.0) -> Reply:
    """One HTTP exchange with a loopback server (http.client: no proxy, no redirect)."""
    host_port, _, path = url.removeprefix("http://").partition("/")
    conn = http.client.HTTPConnection(host_port, timeout=timeout)
    try:
        conn.request(method, "/" + path, body=body)
        response = conn.getresponse()
        return Reply(response.status, response.getheader("Content-Type") or "", response.read())
    finally:
        conn.close()


def write_config(
    directory: Path,
    logs: Sequence[MemLog],
    *,
    name: str = "witness.test/w1",
    key_file: Path | None = None,
) -> Path:
    """A witness directory: a fresh key (unless given), a config listening on a free port."""
    directory.mkdir(parents=True, exist_ok=True)
    if key_file is None:
        key_file = directory / "witness.skey"
        witness_server.generate_key_file(name, key_file)
    config = directory / "witness.toml"
    lines = [
        f'key_file = "{key_file}"',
        'state_db = "state.sqlite3"',
        'listen = "127.0.0.1:0"',
        f"max_request_bytes = {MAX_BODY}",
        "request_timeout = 5",
    ]
    for log in logs:
        lines += ["[[log]]", f'origin = "{log.origin}"', f'vkey = "{log.vkey}"']
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


@dataclass
class WitnessProcess:
    config: Path
    proc: subprocess.Popen[bytes]
    url: str
    vkey: str
    stdout: list[str] = field(default_factory=list)

    @property
    def verifier(self) -> CosignatureVerifier:
        verifier = parse_verifier_key(self.vkey)
        assert isinstance(verifier, CosignatureVerifier)
        return verifier

    @property
    def add_checkpoint(self) -> str:
        return self.url + "add-checkpoint"

    def post(self, body: bytes) -> Reply:
        return call("POST", self.add_checkpoint, body)

    def stop(self) -> int:
        """SIGTERM, then wait for a clean exit; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        assert self.proc.stdout is not None
        self.stdout += self.proc.stdout.read().decode().splitlines()
        self.proc.stdout.close()
        return code


def start_witness(config: Path) -> WitnessProcess:
    """Start ``python -m ggzy.ledger.witness_server --config FILE`` and wait until it answers."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the witness must run without Django
    log_file = (config.parent / "witness.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ggzy.ledger.witness_server", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=log_file,
        env=env,
        bufsize=0,
    )
    log_file.close()
    assert proc.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    output = b""
    lines: list[str] = []
    while not any(line.startswith("listening on ") for line in lines):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            proc.stdout.close()
            log = (config.parent / "witness.log").read_text(errors="replace")
            raise AssertionError(f"witness did not start: {output!r}\n{log}")
        ready, _, _ = select.select([proc.stdout], [], [], 0.05)
        if ready:
            output += proc.stdout.read(4096) or b""  # unbuffered pipe: what is there
            lines = output.decode().splitlines()
    url = next(line for line in lines if line.startswith("listening on "))[13:]
    vkey = next(line for line in lines if line.startswith("witness vkey "))[13:]
    witness = WitnessProcess(config, proc, url, vkey, lines)
    info = call("GET", url)  # it answers
    assert (info.status, info.body) == (200, vkey.encode() + b"\n")
    return witness


def policy_for(*witnesses: WitnessProcess, threshold: int) -> WitnessPolicy:
    return WitnessPolicy(tuple(w.verifier for w in witnesses), threshold)


# --------------------------------------------------------------------------- fixtures

LOG_A = MemLog("ggzy.test/log-a", 1)
LOG_B = MemLog("ggzy.test/log-b", 2)
LOG_C = MemLog("ggzy.test/log-c", 3)
LOG_D = MemLog("ggzy.test/log-d", 4)
LOG_E = MemLog("ggzy.test/log-e", 5)
LOG_F = MemLog("ggzy.test/log-f", 6)
LOG_G = MemLog("ggzy.test/log-g", 7)
UNKNOWN = MemLog("ggzy.test/not-configured", 9)
ALL_LOGS = [LOG_A, LOG_B, LOG_C, LOG_D, LOG_E, LOG_F, LOG_G]


@pytest.fixture(scope="module")
def witness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WitnessProcess]:
    process = start_witness(write_config(tmp_path_factory.mktemp("witness"), ALL_LOGS))
    yield process
    assert process.stop() == 0


def cosigned(log: MemLog, size: int, reply: Reply) -> bytes:
    assert reply.status == 200, reply
    assert reply.content_type == "text/plain; charset=utf-8"
    return log.signed(size) + reply.body


# --------------------------------------------------------------------------- add-checkpoint


def test_info_endpoint_answers_the_vkey(witness: WitnessProcess) -> None:
    reply = call("GET", witness.url)
    assert reply.status == 200
    assert reply.body.decode().strip() == witness.vkey
    assert witness.vkey.startswith("witness.test/w1+")
    assert call("GET", witness.url + "elsewhere").status == 404


def test_first_checkpoint_from_zero_is_cosigned(witness: WitnessProcess) -> None:
    before = int(time.time())
    reply = witness.post(LOG_A.request(0, 5))
    note = cosigned(LOG_A, 5, reply)
    verified = verify_cosigned_checkpoint(
        note, log_verifier=LOG_A.signer.verifier(), policy=policy_for(witness, threshold=1)
    )
    assert verified.checkpoint == LOG_A.checkpoint(5)
    assert [s.name for s in verified.cosignatures] == ["witness.test/w1"]
    assert before <= cosignature_timestamp(verified.cosignatures[0].signature) <= time.time() + 1


def test_growth_needs_a_valid_consistency_proof(witness: WitnessProcess) -> None:
    assert witness.post(LOG_B.request(0, 4)).status == 200
    reply = witness.post(LOG_B.request(4, 9))
    verify_cosigned_checkpoint(
        cosigned(LOG_B, 9, reply),
        log_verifier=LOG_B.signer.verifier(),
        policy=policy_for(witness, threshold=1),
    )
    assert witness.post(LOG_B.request(9, 9)).status == 200  # the same checkpoint again


def test_rollback_and_stale_old_get_409_with_the_current_size(witness: WitnessProcess) -> None:
    assert witness.post(LOG_C.request(0, 6)).status == 200
    for old, size in [(3, 8), (0, 8), (4, 4), (0, 6)]:  # stale old sizes, a rollback
        reply = witness.post(LOG_C.request(old, size))
        assert (reply.status, reply.content_type, reply.body) == (409, "text/x.tlog.size", b"6\n")
    # old above the checkpoint size is malformed, not a conflict
    assert witness.post(LOG_C.request(6, 4, proof=[])).status == 400
    # nothing moved: growth from 6 still works
    assert witness.post(LOG_C.request(6, 8)).status == 200


def test_same_size_with_another_root_is_409_and_kept_as_evidence(witness: WitnessProcess) -> None:
    assert witness.post(LOG_D.request(0, 6)).status == 200
    fork = LOG_D.fork()
    reply = witness.post(fork.request(6, 6))
    assert (reply.status, reply.body) == (409, b"6\n")
    db = witness.config.parent / "state.sqlite3"
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT status, request FROM evidence WHERE origin = ?", (LOG_D.origin,)
        ).fetchall()
        state = conn.execute(
            "SELECT size, root_hash FROM witness_state WHERE origin = ?", (LOG_D.origin,)
        ).fetchone()
    assert rows == [(409, fork.request(6, 6))]
    assert state == (6, LOG_D.root(6))


def test_bad_proof_is_422_and_changes_nothing(witness: WitnessProcess) -> None:
    assert witness.post(LOG_E.request(0, 4)).status == 200
    good = LOG_E.proof(4, 10)
    tampered = [bytes(32), *good[1:]]
    assert witness.post(LOG_E.request(4, 10, proof=tampered)).status == 422
    assert witness.post(LOG_E.request(4, 10, proof=good[:-1])).status == 422
    assert witness.post(LOG_E.fork().request(4, 10, proof=good)).status == 422
    assert witness.post(LOG_E.request(4, 10)).status == 200


def test_unknown_log_is_404(witness: WitnessProcess) -> None:
    assert witness.post(UNKNOWN.request(0, 3)).status == 404


def test_bad_log_signature_is_403(witness: WitnessProcess) -> None:
    impostor = Ed25519Signer(LOG_F.origin, Ed25519PrivateKey.generate())
    reply = witness.post(LOG_F.request(0, 3, note=LOG_F.signed(3, impostor)))
    assert reply.status == 403
    genuine = LOG_F.signed(3)
    text, _, sig_line = genuine.rpartition(b"\n\n")
    broken = bytearray(sig_line)
    broken[-5] = ord("A") if broken[-5] != ord("A") else ord("B")  # corrupt the signature
    reply = witness.post(LOG_F.request(0, 3, note=text + b"\n\n" + bytes(broken)))
    assert reply.status == 403
    assert witness.post(LOG_F.request(0, 3)).status == 200  # nothing was stored meanwhile


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"garbage",
        b"old 01\n\n" + LOG_G.signed(3),
        b"old 0\nnot base64!\n\n" + LOG_G.signed(3),
        b"old 0\n\n" + LOG_G.checkpoint(3).text().encode(),  # no signature block
        b"old 0\n\nggzy.test/log-g\nthree\n",
        b"old 5\n\n" + LOG_G.signed(3),  # old above the checkpoint size
    ],
)
def test_malformed_requests_are_400(witness: WitnessProcess, body: bytes) -> None:
    assert witness.post(body).status == 400


def test_oversize_and_unframed_bodies_are_refused(witness: WitnessProcess) -> None:
    big = LOG_G.request(0, 3) + b"x" * MAX_BODY
    assert witness.post(big).status == 413
    host, port = witness.url.removeprefix("http://").rstrip("/").split(":")
    for head, status in [
        (f"Content-Length: {10**12}\r\n", b" 413 "),  # refused before reading
        ("Transfer-Encoding: chunked\r\n", b" 411 "),
        ("", b" 411 "),  # no Content-Length
    ]:
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(f"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\n{head}\r\n".encode())
            assert status in sock.recv(1024).split(b"\r\n", 1)[0]
    assert call("PUT", witness.add_checkpoint, b"x").status == 501
    assert call("POST", witness.url + "add", b"x").status == 404


def test_concurrent_requests_from_the_same_old_size_advance_once(
    witness: WitnessProcess,
) -> None:
    assert witness.post(LOG_G.request(0, 3)).status == 200
    sizes = [5, 6, 7, 8, 9, 10]
    barrier = threading.Barrier(len(sizes))
    replies: dict[int, Reply] = {}

    def submit(size: int) -> None:
        body = LOG_G.request(3, size)
        barrier.wait()
        replies[size] = witness.post(body)

    threads = [threading.Thread(target=submit, args=(size,)) for size in sizes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [size for size, reply in replies.items() if reply.status == 200]
    assert len(winners) == 1
    (winner,) = winners
    assert {size: r.status for size, r in replies.items() if size != winner} == {
        size: 409 for size in sizes if size != winner
    }
    assert {r.body for size, r in replies.items() if size != winner} == {f"{winner}\n".encode()}


def test_state_survives_a_restart(tmp_path: Path) -> None:
    log = MemLog("ggzy.test/restart", 11)
    config = write_config(tmp_path, [log], name="witness.test/restart")
    first = start_witness(config)
    try:
        assert first.post(log.request(0, 5)).status == 200
    finally:
        assert first.stop() == 0
    assert first.stdout[-1] == "stopped"
    second = start_witness(config)
    try:
        assert second.vkey == first.vkey
        reply = second.post(log.request(0, 7))
        assert (reply.status, reply.body) == (409, b"5\n")
        assert second.post(log.request(5, 7)).status == 200
    finally:
        assert second.stop() == 0


# --------------------------------------------------------------------------- config and commands


def test_config_errors_are_reported_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert witness_server.main(["--config", str(tmp_path / "missing.toml")]) == 2
    assert "error: cannot read" in capsys.readouterr().err
    config = write_config(tmp_path / "a", [LOG_A])
    config.write_text(config.read_text() + 'surprise = "yes"\n')
    with pytest.raises(witness_server.ConfigError, match="unknown keys"):
        witness_server.load_config(config)


def test_a_plain_note_key_cannot_cosign(tmp_path: Path) -> None:
    skey, _vkey = generate_signer_key("witness.test/plain")  # type 0x01, not 0x04
    key = tmp_path / "plain.skey"
    key.write_text(skey + "\n")
    key.chmod(0o600)
    config = witness_server.load_config(write_config(tmp_path, [LOG_A], key_file=key))
    with pytest.raises(witness_server.ConfigError, match="not a cosignature key"):
        witness_server.Witness.open(config)


def test_keygen_and_init_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "w.skey"
    call_command("witness", "keygen", "--name", "witness.test/cmd", "--out", str(key))
    vkey = capsys.readouterr().out.strip()
    assert vkey.startswith("witness.test/cmd+")
    assert key.stat().st_mode & 0o777 == 0o600
    assert isinstance(parse_verifier_key(vkey), CosignatureVerifier)
    config = tmp_path / "witness.toml"
    call_command(
        "witness", "init", "--config", str(config), "--key", str(key), "--log-vkey", LOG_A.vkey
    )
    loaded = witness_server.load_config(config)
    assert loaded.key_file == key
    assert loaded.logs == (witness_server.KnownLog(LOG_A.origin, (LOG_A.vkey,)),)
    assert witness_server.Witness.open(loaded).vkey == vkey
    with pytest.raises(witness_server.ConfigError, match="refusing to overwrite"):
        witness_server.generate_key_file("witness.test/cmd", key)
