"""``ggzy ledger …``: run the sequencer, verify receipts offline, audit, export tiles."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ggzy.ledger import keys, proofs, tiles
from ggzy.ledger.checkpoint import CheckpointError, WitnessPolicy
from ggzy.ledger.policy import policy_from_file


class Command(BaseCommand):
    help = "Evidence ledger tools: sequence | cosign | verify | audit | export-tiles | key"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        seq = sub.add_parser("sequence", help="integrate pending entries (once, or --follow)")
        seq.add_argument("--follow", action="store_true", help="keep running")
        seq.add_argument("--interval", type=float, default=0.25, help="seconds between polls")
        ver = sub.add_parser("verify", help="verify a receipt (.tlog-proof) offline")
        ver.add_argument("proof_file")
        ver.add_argument("--log-key", required=True, help="the log's vkey (signed-note form)")
        ver.add_argument("--policy", help="witness policy file (docs/witness.md)")
        aud = sub.add_parser("audit", help="recompute the whole log and check every row")
        aud.add_argument("--all", action="store_true", help="list every problem, not the first")
        sub.add_parser("cosign", help="ask the policy's witnesses to cosign the newest checkpoint")
        exp = sub.add_parser("export-tiles", help="write checkpoint + tiles for static serving")
        exp.add_argument("directory")
        sub.add_parser("key", help="print the log's verifier key (and the SM2 one, if set)")
        sub.add_parser("sm2-keygen", help="print a new SM2 signer key for GGZY_LOG_SM2_KEY")

    def handle(self, *args: Any, **o: Any) -> None:
        getattr(self, "_" + o["action"].replace("-", "_"))(o)

    def _key(self, o: dict[str, Any]) -> None:
        self.stdout.write(keys.verifier_key())
        extra = keys.sm2_signer()
        if extra is not None:
            from ggzy.crypto.note_sm2 import Sm2Signer

            assert isinstance(extra, Sm2Signer)
            self.stdout.write(extra.verifier().verifier_key())

    def _sm2_keygen(self, o: dict[str, Any]) -> None:
        from ggzy.crypto.note_sm2 import Sm2Signer

        new = Sm2Signer.generate(keys.origin())
        self.stdout.write(f"GGZY_LOG_SM2_KEY={new.signer_key()}")
        self.stdout.write(f"# verifier key: {new.verifier().verifier_key()}")

    def _sequence(self, o: dict[str, Any]) -> None:
        from ggzy.ledger.cosign import cosign_latest
        from ggzy.ledger.sequencer import SequencerConflict, integrate

        while True:
            try:
                done = integrate()
            except SequencerConflict:
                done = 0
            if done:
                self.stdout.write(f"integrated {done}; size {proofs.tree_size()}")
                result = cosign_latest()
                if result is not None:
                    self.stdout.write(
                        f"cosigned by {result.cosigned} witnesses; "
                        f"policy {'met' if result.policy_met else 'NOT met'}"
                    )
            if not o["follow"]:
                if done:
                    continue
                return
            if not done:
                time.sleep(o["interval"])

    def _verify(self, o: dict[str, Any]) -> None:
        from ggzy.ledger.verify import verify_receipt

        data = Path(o["proof_file"]).read_bytes()
        policy = policy_from_file(o["policy"]) if o["policy"] else WitnessPolicy((), 0)
        try:
            check = verify_receipt(data, log_vkey=o["log_key"], policy=policy)
        except (CheckpointError, ValueError) as exc:
            raise CommandError(f"存证证明无效 receipt invalid: {exc}") from exc
        self.stdout.write(
            f"OK: entry {check.entry.get('seq')} ({check.entry.get('event_type')}) is leaf "
            f"{check.index} of {check.origin} at size {check.tree_size}; recorded "
            f"{check.recorded_at}; witnesses: {', '.join(check.witnesses) or 'none'}"
        )

    def _audit(self, o: dict[str, Any]) -> None:
        from ggzy.ledger.audit import audit

        report = audit(stop_at_first=not o["all"])
        self.stdout.write(
            f"entries {report.entries}, leaves {report.leaves}, checkpoints {report.checkpoints}"
        )
        if report.ok:
            self.stdout.write("audit OK: every entry, leaf, node and checkpoint verifies")
            return
        for line in report.problems:
            self.stderr.write(line)
        sys.exit(1)

    def _cosign(self, o: dict[str, Any]) -> None:
        from ggzy.ledger.cosign import cosign_latest

        result = cosign_latest()
        if result is None:
            self.stdout.write("nothing to cosign (no policy, no checkpoint, or already cosigned)")
            return
        for outcome in result.outcomes:
            self.stdout.write(f"{outcome.witness.name}: {outcome.kind} {outcome.detail}")
        if not result.policy_met:
            raise CommandError("witness policy not met")

    def _export_tiles(self, o: dict[str, Any]) -> None:
        out = Path(o["directory"])
        cp = proofs.published_checkpoint()
        if cp is None:
            raise CommandError("no published checkpoint yet")
        written = 0
        for tile in tiles.tiles_for_size(cp.size):
            self._write(out / tile.path, proofs.tile_bytes(tile.path))
            written += 1
        for bundle in tiles.bundles_to_publish(0, cp.size):
            self._write(out / bundle.path, proofs.tile_bytes(bundle.path))
            written += 1
        self._write(out / "checkpoint", proofs.checkpoint_note(cp))
        self.stdout.write(f"wrote {written} tiles/bundles and the checkpoint (size {cp.size})")

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
