"""Interoperability: sigstore-python's Rekor verification accepts our proofs and checkpoints.

sigstore-python checks Rekor inclusion proofs (RFC 6962/9162) and signed
checkpoints with code nobody here wrote. Its Merkle and checkpoint checks are
internal (``sigstore._internal``), reached through ``verify_merkle_inclusion``
and ``verify_checkpoint`` on a real ``TransparencyLogEntry``.

Rekor names a log key by SHA-256 of its DER SubjectPublicKeyInfo, not by the
signed-note key ID; the test signs our checkpoint through the ``Signer``
protocol with such a key ID, which is exactly what the protocol is for.
"""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ggzy.crypto.note import sign_note
from ggzy.ledger.checkpoint import Checkpoint, format_checkpoint
from ggzy.ledger.merkle import CompactRange, NodeID, inclusion_proof, leaf_hash

sigstore = pytest.importorskip(
    "sigstore", reason="sigstore-python is not installed (pip install sigstore)"
)

from sigstore._internal.merkle import verify_merkle_inclusion  # noqa: E402
from sigstore._internal.rekor.checkpoint import (  # noqa: E402
    SignedCheckpoint,
    verify_checkpoint,
)
from sigstore._internal.trust import Keyring  # noqa: E402
from sigstore.errors import VerificationError  # noqa: E402
from sigstore.models import TransparencyLogEntry  # noqa: E402
from sigstore_models.common import v1 as common_v1  # noqa: E402
from sigstore_models.rekor import v1 as rekor_v1  # noqa: E402

# Rekor-style origin ("<host> - <tree id>"); the key name is the host alone.
ORIGIN = "ggzy.example/ledger - 2025"
KEY_NAME = "ggzy.example/ledger"


class RekorStyleSigner:
    """A note ``Signer`` whose key ID is Rekor's: SHA-256(DER SPKI)[:4]."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.spki = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        digest = hashes.Hash(hashes.SHA256())
        digest.update(self.spki)
        self.log_id = digest.finalize()

    @property
    def name(self) -> str:
        return KEY_NAME

    @property
    def key_id(self) -> int:
        return int.from_bytes(self.log_id[:4], "big")

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


def entries(n: int) -> list[bytes]:
    return [f'{{"kind":"ggzy-entry","seq":{i}}}'.encode() for i in range(n)]


def build(n: int) -> tuple[list[bytes], dict[NodeID, bytes], bytes]:
    data = entries(n)
    frontier = CompactRange()
    store = dict(frontier.extend(leaf_hash(d) for d in data))
    return data, store, frontier.root()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def log_entry(
    body: bytes,
    index: int,
    proof: list[bytes],
    checkpoint: Checkpoint,
    envelope: str,
    log_id: bytes,
) -> TransparencyLogEntry:
    """A Rekor v1 entry in its protobuf-JSON form, as found in Sigstore bundles."""
    inner = rekor_v1.TransparencyLogEntry.from_dict(
        {
            "logIndex": str(index),
            "logId": {"keyId": b64(log_id)},
            "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
            "integratedTime": "1735689600",
            "inclusionProof": {
                "logIndex": str(index),
                "rootHash": b64(checkpoint.root_hash),
                "treeSize": str(checkpoint.size),
                "hashes": [b64(h) for h in proof],
                "checkpoint": {"envelope": envelope},
            },
            "canonicalizedBody": b64(body),
        }
    )
    return TransparencyLogEntry(inner)


def keyring_for(signer: RekorStyleSigner) -> Keyring:
    details = common_v1.PublicKeyDetails.PKIX_ED25519
    key = common_v1.PublicKey.from_dict({"rawBytes": b64(signer.spki), "keyDetails": details})
    return Keyring([key])


@pytest.mark.parametrize("size", [1, 2, 7, 64, 257])
def test_sigstore_accepts_our_inclusion_proofs_and_checkpoint(size: int) -> None:
    data, store, root = build(size)
    checkpoint = Checkpoint(ORIGIN, size, root)
    signer = RekorStyleSigner(Ed25519PrivateKey.generate())
    envelope = sign_note(format_checkpoint(checkpoint), [signer]).decode()
    keyring = keyring_for(signer)
    for index in sorted({0, size // 2, size - 1}):
        proof = inclusion_proof(index, size, lambda nodes: [store[n] for n in nodes])
        entry = log_entry(data[index], index, proof, checkpoint, envelope, signer.log_id)
        verify_merkle_inclusion(entry)
        verify_checkpoint(keyring, entry)  # type: ignore[arg-type]  # RekorKeyring is a NewType

    parsed = SignedCheckpoint.from_text(envelope).checkpoint
    assert (parsed.origin, parsed.log_size, parsed.log_hash) == (ORIGIN, size, root.hex())


def test_sigstore_rejects_a_tampered_proof_and_checkpoint() -> None:
    size = 9
    data, store, root = build(size)
    checkpoint = Checkpoint(ORIGIN, size, root)
    signer = RekorStyleSigner(Ed25519PrivateKey.generate())
    envelope = sign_note(format_checkpoint(checkpoint), [signer]).decode()
    proof = inclusion_proof(4, size, lambda nodes: [store[n] for n in nodes])
    bad_proof = [proof[0], bytes(32), *proof[2:]]
    with pytest.raises(VerificationError, match="invalid root hash"):
        verify_merkle_inclusion(
            log_entry(data[4], 4, bad_proof, checkpoint, envelope, signer.log_id)
        )
    with pytest.raises(VerificationError, match="invalid root hash"):
        verify_merkle_inclusion(log_entry(data[5], 4, proof, checkpoint, envelope, signer.log_id))
    forged = envelope.replace(b64(root), b64(bytes(32)))
    entry = log_entry(data[4], 4, proof, checkpoint, forged, signer.log_id)
    with pytest.raises(VerificationError, match="invalid signature"):
        verify_checkpoint(keyring_for(signer), entry)  # type: ignore[arg-type]
