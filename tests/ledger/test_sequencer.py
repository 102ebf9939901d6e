"""The Django side of the ledger: sequencer, proofs, receipts, append-only tables, audit."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from ggzy import ledger
from ggzy.crypto import note
from ggzy.ledger import keys, merkle, proofs
from ggzy.ledger.audit import audit
from ggzy.ledger.checkpoint import CheckpointError, WitnessPolicy, open_checkpoint
from ggzy.ledger.models import Checkpoint, Entry, EntryDigest, LogLeaf, LogState
from ggzy.ledger.sequencer import integrate, leaf_data
from ggzy.ledger.verify import verify_receipt

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _worker_mode(settings):
    # integrate explicitly in these tests (the test transaction never commits anyway)
    settings.GGZY_LEDGER_SEQUENCER = "worker"
    settings.GGZY_LEDGER_SAFETY_SECONDS = 0
    with connection.cursor() as cur:
        cur.execute("DELETE FROM ledger_maintenance")  # triggers armed


def _record(n: int, start: int = 0) -> list[Entry]:
    out = []
    with transaction.atomic():
        for i in range(start, start + n):
            out.append(
                ledger.record("test:thing:done", ("test.thing", str(i)), "system:test", {"i": i})
            )
    return out


def test_integration_builds_the_rfc9162_tree_and_signs_checkpoints():
    entries = _record(300)
    assert integrate(max_batch=256) == 256
    assert integrate(max_batch=256) == 44
    assert integrate() == 0
    leaves = [merkle.leaf_hash(leaf_data(e)) for e in entries]
    cp = proofs.latest_checkpoint()
    assert cp.size == 300
    assert bytes(cp.root_hash) == merkle.root_from_leaves(leaves)
    body, _ = open_checkpoint(bytes(cp.note), keys.verifier())
    assert (body.origin, body.size, body.root_hash) == (keys.origin(), 300, bytes(cp.root_hash))
    assert list(Checkpoint.objects.values_list("size", flat=True).order_by("size")) == [256, 300]
    for index in (0, 1, 255, 256, 299):
        proof = proofs.inclusion(index, 300)
        merkle.verify_inclusion(leaves[index], index, 300, proof, bytes(cp.root_hash))
    first = Checkpoint.objects.get(size=256)
    merkle.verify_consistency(
        256, 300, proofs.consistency(256, 300), bytes(first.root_hash), bytes(cp.root_hash)
    )
    assert LogState.objects.get().size == 300


def test_receipt_verifies_offline_and_any_flipped_byte_fails():
    entries = _record(5)
    integrate()
    data = proofs.receipt(entries[3]).to_bytes()
    check = verify_receipt(data, log_vkey=keys.verifier_key(), policy=WitnessPolicy((), 0))
    assert check.index == 3
    assert check.entry["seq"] == entries[3].pk
    assert check.entry["payload_sha256"] == entries[3].payload_sha256
    for pos in range(0, len(data), 7):
        flipped = data[:pos] + bytes([data[pos] ^ 0x01]) + data[pos + 1 :]
        with pytest.raises(ValueError):  # noqa: PT011 - any verification failure
            verify_receipt(flipped, log_vkey=keys.verifier_key(), policy=WitnessPolicy((), 0))
    other_signer = note.Ed25519Signer.generate(keys.origin())
    with pytest.raises(CheckpointError):
        verify_receipt(data, log_vkey=other_signer.verifier_key(), policy=WitnessPolicy((), 0))


def test_receipt_before_integration_is_pending():
    (entry,) = _record(1)
    from ggzy.core.errors import DomainError, ErrorCode

    with pytest.raises(DomainError) as err:
        proofs.receipt(entry)
    assert err.value.code == ErrorCode.LEDGER_PENDING


def _raw_entry(pk: int, received_at) -> Entry:
    entry = Entry(
        pk=pk,
        event_type="test:thing:raw",
        subject_type="test.thing",
        subject_id=str(pk),
        actor="system:test",
        received_at=received_at,
        payload={},
        payload_sha256=ledger.recorder.payload_digest({}),
    )
    Entry.objects.bulk_create([entry])
    return entry


def test_late_committed_entry_with_lower_id_is_not_skipped(settings):
    settings.GGZY_LEDGER_SAFETY_SECONDS = 3600  # entries are recent: the low water stays put
    entries = _record(3)
    last = entries[-1].pk
    # id last+2 commits first and is integrated; id last+1 (allocated earlier) commits later
    _raw_entry(last + 2, entries[0].received_at)
    assert integrate() == 4
    late = _raw_entry(last + 1, entries[0].received_at)
    assert integrate() == 1
    assert LogLeaf.objects.get(entry=late).index == 4
    assert audit().ok


def test_low_water_advances_only_over_old_entries(settings):
    settings.GGZY_LEDGER_SAFETY_SECONDS = 0
    entries = _record(3)
    integrate()
    assert LogState.objects.get().low_water == entries[-1].pk


def test_ledger_tables_refuse_update_and_delete_in_the_database():
    entries = _record(2)
    integrate()
    for sql in (
        "UPDATE ledger_entry SET event_type = 'x:y:z'",
        "DELETE FROM ledger_entry",
        "UPDATE ledger_logleaf SET leaf_hash = leaf_hash",
        "DELETE FROM ledger_treenode",
        "DELETE FROM ledger_checkpoint",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            connection.cursor().execute(sql)
    assert Entry.objects.count() == len(entries)


def _tamper(sql: str, params: list[object]) -> None:
    with connection.cursor() as cur:
        cur.execute("INSERT INTO ledger_maintenance (unlocked) VALUES (1)")
        cur.execute(sql, params)
        cur.execute("DELETE FROM ledger_maintenance")


def test_audit_pinpoints_a_changed_payload():
    entries = _record(10)
    integrate()
    assert audit().ok
    _tamper("UPDATE ledger_entry SET payload = %s WHERE id = %s", ['{"i": 999}', entries[6].pk])
    report = audit()
    assert report.problems == [
        f"entry {entries[6].pk}: payload does not match its recorded SHA-256"
    ]


def test_audit_pinpoints_changed_entry_fields_and_nodes():
    entries = _record(10)
    integrate()
    _tamper("UPDATE ledger_entry SET actor = %s WHERE id = %s", ["user:1", entries[4].pk])
    report = audit()
    assert report.problems == [
        f"entry {entries[4].pk} (leaf 4): entry fields were changed after integration"
    ]


def test_digests_are_indexed_for_public_lookup():
    digest = "ab" * 32
    with transaction.atomic():
        entry = ledger.record(
            "test:doc:uploaded",
            ("test.doc", "1"),
            "system:test",
            {"file_sha256": digest, "nested": [{"doc_sha256": "cd" * 32}], "x_sha256": "short"},
        )
    assert set(EntryDigest.objects.filter(entry=entry).values_list("field", "sha256")) == {
        ("file_sha256", digest),
        ("nested.0.doc_sha256", "cd" * 32),
    }


def test_optional_sm3_payload_hash(settings):
    settings.GGZY_LEDGER_SM3 = True
    with transaction.atomic():
        entry = ledger.record("test:x:y", ("test.x", "1"), "system:t", {"msg": "abc"})
    from cryptography.hazmat.primitives import hashes

    from ggzy.core.canonical import canonical_json

    h = hashes.Hash(hashes.SM3())
    h.update(canonical_json({"msg": "abc"}))
    assert entry.payload_sm3 == h.finalize().hex()
    assert Entry.objects.get(pk=entry.pk).payload_sm3 == entry.payload_sm3
    integrate()
    assert audit().ok
    _tamper("UPDATE ledger_entry SET payload_sm3 = %s WHERE id = %s", ["00" * 32, entry.pk])
    assert audit().problems == [f"entry {entry.pk}: payload does not match its recorded SM3"]


def test_checkpoints_carry_an_sm2_line_when_configured(settings):
    from ggzy.crypto.note_sm2 import VERIFIERS, Sm2Signer

    gm = Sm2Signer.generate(keys.origin())
    settings.GGZY_LOG_SM2_KEY = gm.signer_key()
    _record(3)
    integrate()
    signed = bytes(proofs.latest_checkpoint().note)
    # standard verifiers still accept it (unknown line skipped) …
    body, _ = open_checkpoint(signed, keys.verifier())
    assert body.size == 3
    # … and the SM2 key verifies its own line
    sm2_verifier = note.parse_verifier_key(gm.verifier().verifier_key(), extra_algorithms=VERIFIERS)
    opened = note.open_note(signed, [keys.verifier(), sm2_verifier])
    assert len(opened.signatures) == 2
    assert audit().ok
