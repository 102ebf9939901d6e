"""``ggzy witness``: run a witness (见证人) for another department's or province's log.

    ggzy witness keygen --name witness.gs-sjj.example/w1 --out witness.skey
    ggzy witness init --config witness.toml --key witness.skey --log-vkey <log vkey>
    ggzy witness serve --config witness.toml

Thin wrapper over :mod:`ggzy.ledger.witness_server`, which needs neither Django nor the
platform database (``python -m ggzy.ledger.witness_server`` takes the same arguments).
"""

from __future__ import annotations

from argparse import Namespace
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ggzy.ledger import witness_server


class Command(BaseCommand):
    help = "Witness (见证人) for C2SP tlog-witness: keygen, init, serve. See docs/witness.md."

    def add_arguments(self, parser: CommandParser) -> None:
        witness_server.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            witness_server.run(Namespace(**options), say=self._announce)
        except witness_server.ConfigError as exc:
            raise CommandError(str(exc)) from exc

    def _announce(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
