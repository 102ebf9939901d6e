"""Go's golang.org/x/mod/sumdb verifies the log exactly as the platform stores and exports it
(``ggzy ledger export-tiles``), not only logs built in memory."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from tests.ledger.test_interop_go import b64, run, verify_bin
from tests.ledger.test_interop_go import pytestmark as go_marks

from ggzy import ledger
from ggzy.ledger import keys, proofs
from ggzy.ledger.models import Checkpoint, LogLeaf
from ggzy.ledger.sequencer import integrate

pytestmark = [*go_marks, pytest.mark.django_db]
__all__ = ["verify_bin"]  # the fixture, imported for pytest


def test_go_verifies_the_exported_platform_log(verify_bin: Path, tmp_path: Path, settings) -> None:
    settings.GGZY_LEDGER_SEQUENCER = "worker"
    with transaction.atomic():
        for i in range(700):
            ledger.record("test:x:y", ("test.x", str(i)), "system:t", {"i": i})
    while integrate(max_batch=300):
        pass
    size = proofs.tree_size()
    assert size == 700
    call_command("ledger", "export-tiles", str(tmp_path))
    (tmp_path / "vkey").write_text(keys.verifier_key() + "\n")
    hashes = dict(LogLeaf.objects.values_list("index", "leaf_hash"))
    indexes = [0, 255, 256, 699]
    (tmp_path / "inclusion").write_text(
        "\n".join(
            " ".join([str(i), b64(bytes(hashes[i])), *map(b64, proofs.inclusion(i, size))])
            for i in indexes
        )
        + "\n"
    )
    old = Checkpoint.objects.get(size=300)
    (tmp_path / "consistency").write_text(
        " ".join(["300", b64(bytes(old.root_hash)), *map(b64, proofs.consistency(300, size))])
        + "\n"
    )
    result = run(verify_bin, "check", str(tmp_path))
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert out[0] == f"ok note {keys.origin()} size 700 signed by {keys.origin()}"
    assert [line for line in out if line.startswith("ok inclusion")] == [
        f"ok inclusion {i}" for i in indexes
    ]
    assert "ok consistency 300" in out
