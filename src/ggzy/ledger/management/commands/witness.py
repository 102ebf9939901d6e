"""``ggzy witness``: run a witness (见证人) for another department's or province's log.

    ggzy witness keygen --name witness.gs-sjj.example/w1 --out witness.skey
    ggzy witness init --config witness.toml --key witness.skey --log-vkey <log vkey>
    ggzy witness serve --config witness.toml

Thin wrapper over :mod:`ggzy.ledger.witness_server`, which needs neither Django nor the
platform database (``python -m ggzy.ledger.witness_server`` takes the same arguments).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ggzy.ledger import witness_server


class Command(BaseCommand):
    help = "Witness (见证人) for C2SP tlog-witness: keygen, init, serve. See docs/witness.md."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        serve = sub.add_parser("serve", help="serve POST /add-checkpoint until SIGTERM")
        serve.add_argument("--config", required=True, help="witness TOML config file")
        keygen = sub.add_parser("keygen", help="write a new witness key; print its vkey")
        keygen.add_argument("--name", required=True, help="e.g. witness.gs-sjj.example/w1")
        keygen.add_argument("--out", required=True, help="key file to create (mode 0600)")
        init = sub.add_parser("init", help="write a sample config (and a key if missing)")
        init.add_argument("--config", required=True)
        init.add_argument("--name", help="key name when a new key must be generated")
        init.add_argument("--key", help="witness key file (default: <config>.skey)")
        init.add_argument("--listen", default=f"127.0.0.1:{witness_server.DEFAULT_PORT}")
        init.add_argument("--log-vkey", action="append", default=[], help="a log to cosign")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "serve":
                config = witness_server.load_config(options["config"])
                witness_server.serve(config, announce=self._announce)
            elif action == "keygen":
                self.stdout.write(witness_server.generate_key_file(options["name"], options["out"]))
            else:
                self.stdout.write(
                    witness_server.init_config(
                        options["config"],
                        name=options["name"],
                        key=options["key"],
                        listen=options["listen"],
                        log_vkeys=options["log_vkey"],
                    )
                )
        except witness_server.ConfigError as exc:
            raise CommandError(str(exc)) from exc

    def _announce(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
