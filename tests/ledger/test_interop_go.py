"""Interoperability: Go's golang.org/x/mod/sumdb (note, tlog) accepts our notes, tiles and proofs.

Builds ``interop/verify.go`` against the Debian packages ``golang-go`` and
``golang-golang-x-mod-dev`` (no module proxy: GOPATH mode on /usr/share/gocode)
and runs it on a checkpoint, tiles and proofs made here. Skipped when Go or
x/mod is not installed.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ggzy.crypto.note import Ed25519Signer, open_note, sign_note
from ggzy.ledger.checkpoint import Checkpoint, sign_checkpoint
from ggzy.ledger.merkle import (
    CompactRange,
    NodeID,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    stored_hash_index,
)
from ggzy.ledger.tiles import read_tile, tiles_for_size, tiles_to_publish

GOPATH = Path("/usr/share/gocode")
XMOD = GOPATH / "src" / "golang.org" / "x" / "mod" / "sumdb"
SOURCE = Path(__file__).parent / "interop" / "verify.go"
ORIGIN = "ggzy.example/ledger"

pytestmark = [
    pytest.mark.skipif(
        shutil.which("go") is None, reason="Go is not installed (apt-get install golang-go)"
    ),
    pytest.mark.skipif(
        not (XMOD / "note").is_dir() or not (XMOD / "tlog").is_dir(),
        reason="golang.org/x/mod is not installed (apt-get install golang-golang-x-mod-dev)",
    ),
]


def go_env(cache: Path) -> dict[str, str]:
    return {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": str(GOPATH),
        "GOCACHE": str(cache),
        "GOFLAGS": "",
        "CGO_ENABLED": "0",
    }


@pytest.fixture(scope="module")
def verify_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("go")
    binary = work / "verify"
    build = subprocess.run(
        [shutil.which("go") or "go", "build", "-o", str(binary), str(SOURCE)],
        cwd=SOURCE.parent,
        env=go_env(work / "cache"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    return binary


def run(binary: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary), *args], capture_output=True, text=True, timeout=120, check=False
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def write_log(
    directory: Path, size: int, indexes: Sequence[int], olds: Sequence[int]
) -> tuple[Ed25519Signer, list[bytes]]:
    """Lay out what a static ggzy log would serve, plus proofs for Go to check."""
    leaves = [leaf_hash(f"存证 entry {i}".encode()) for i in range(size)]
    frontier = CompactRange()
    store = dict(frontier.extend(leaves))

    def read(nodes: Sequence[NodeID]) -> list[bytes]:
        return [store[n] for n in nodes]

    for tile in tiles_for_size(size):
        path = directory / tile.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(read_tile(tile, read))
    signer = Ed25519Signer(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
    (directory / "vkey").write_text(signer.verifier_key() + "\n")
    note = sign_checkpoint(Checkpoint(ORIGIN, size, frontier.root()), signer)
    (directory / "checkpoint").write_bytes(note)
    lines = [
        " ".join([str(i), b64(leaves[i]), *map(b64, inclusion_proof(i, size, read))])
        for i in indexes
    ]
    (directory / "inclusion").write_text("\n".join(lines) + "\n")
    olds_lines = []
    for old in olds:
        old_root = CompactRange.from_reader(old, read).root()
        proof = consistency_proof(old, size, read)
        olds_lines.append(" ".join([str(old), b64(old_root), *map(b64, proof)]))
    (directory / "consistency").write_text("\n".join(olds_lines) + "\n")
    return signer, leaves


@pytest.mark.parametrize("size", [1, 2, 7, 256, 300, 70000])
def test_go_accepts_our_checkpoint_tiles_and_proofs(
    verify_bin: Path, tmp_path: Path, size: int
) -> None:
    indexes = sorted({0, 1 % size, size // 2, size - 1})
    olds = sorted({1, 2, size // 3, size - 1} & set(range(1, size)))
    write_log(tmp_path, size, indexes, olds)
    result = run(verify_bin, "check", str(tmp_path))
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert out[0] == f"ok note {ORIGIN} size {size} signed by {ORIGIN}"
    assert [line for line in out if line.startswith("ok inclusion")] == [
        f"ok inclusion {i}" for i in indexes
    ]
    assert [line for line in out if line.startswith("ok consistency")] == [
        f"ok consistency {o}" for o in olds
    ]


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 1
    path.write_bytes(bytes(data))


def test_go_rejects_a_tampered_tile(verify_bin: Path, tmp_path: Path) -> None:
    write_log(tmp_path, 300, [5], [100])
    flip_byte(tmp_path / "tile" / "0" / "001.p" / "44", 100)  # needed for the root
    result = run(verify_bin, "check", str(tmp_path))
    assert result.returncode == 1
    assert "downloaded inconsistent tile" in result.stderr


def test_go_notices_a_tampered_full_tile(verify_bin: Path, tmp_path: Path) -> None:
    # x/mod v0.7.0's TileHashReader skips authenticating some full tiles (it
    # indexes its tile list by the number of tree-hash nodes, not of tiles), so
    # ProveRecord may return a wrong proof instead of an error; verify.go
    # compares it with ours and fails either way.
    write_log(tmp_path, 300, [5], [100])
    flip_byte(tmp_path / "tile" / "0" / "000", 100)
    result = run(verify_bin, "check", str(tmp_path))
    assert result.returncode == 1
    assert "ProveRecord(5)" in result.stderr or "inconsistent tile" in result.stderr


def test_go_rejects_a_tampered_checkpoint(verify_bin: Path, tmp_path: Path) -> None:
    write_log(tmp_path, 10, [5], [3])
    checkpoint = tmp_path / "checkpoint"
    checkpoint.write_bytes(checkpoint.read_bytes().replace(b"\n10\n", b"\n11\n"))
    result = run(verify_bin, "check", str(tmp_path))
    assert result.returncode == 1
    assert "note.Open" in result.stderr


def test_go_rejects_a_wrong_inclusion_proof(verify_bin: Path, tmp_path: Path) -> None:
    write_log(tmp_path, 10, [5], [])
    proofs = tmp_path / "inclusion"
    index, leaf, *proof = proofs.read_text().split()
    proofs.write_text(" ".join([index, leaf, *reversed(proof)]) + "\n")
    result = run(verify_bin, "check", str(tmp_path))
    assert result.returncode == 1
    assert "CheckRecord(5)" in result.stderr


def test_go_signs_notes_exactly_like_us(verify_bin: Path, tmp_path: Path) -> None:
    signer = Ed25519Signer.generate("witness.ggzy.example/交易中心")
    text = f"{ORIGIN}\n42\n{b64(bytes(range(32)))}\n"
    (tmp_path / "text").write_text(text)
    result = run(verify_bin, "sign", signer.signer_key(), str(tmp_path / "text"))
    assert result.returncode == 0, result.stderr
    ours = sign_note(text, [signer])
    assert result.stdout.encode() == ours
    assert open_note(result.stdout.encode(), [signer.verifier()]).text == text


@pytest.mark.parametrize(
    ("old", "new"), [(0, 1), (0, 256), (10, 300), (255, 257), (256, 70000), (65535, 65537)]
)
def test_go_new_tiles_agree_with_ours(verify_bin: Path, old: int, new: int) -> None:
    result = run(verify_bin, "newtiles", str(old), str(new))
    assert result.returncode == 0, result.stderr
    # Go publishes every intermediate width of a partial tile; C2SP needs the last.
    widest: dict[str, int] = {}
    for path in result.stdout.split():
        base, _, width = path.partition(".p/")
        widest[base] = max(widest.get(base, 0), int(width) if width else 256)
    go_paths = sorted(base + (f".p/{w}" if w < 256 else "") for base, w in widest.items())
    assert go_paths == sorted(t.path for t in tiles_to_publish(old, new))


def test_go_stored_hash_indexes_agree_with_ours(verify_bin: Path) -> None:
    result = run(verify_bin, "stored", "6", "70")
    assert result.returncode == 0, result.stderr
    rows = [tuple(map(int, line.split())) for line in result.stdout.splitlines()]
    assert len(rows) == 6 * 70
    assert all(stored_hash_index(level, n) == index for level, n, index in rows)
