"""``ggzy demo``: load the deterministic demo data set once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ggzy.web.demo import Demo


class Command(BaseCommand):
    help = "Load the demo data set (idempotent: does nothing when already loaded)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "what",
            nargs="?",
            choices=["data", "lifecycle"],
            default="data",
            help="data (default): load the demo data set; lifecycle: run one tender from "
            "entry to opening record through the public API, printing each step",
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--organisations", type=int, default=220)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "lifecycle":
            from ggzy.accounts.models import User
            from ggzy.web.lifecycle import run

            if not User.objects.filter(username="tenderer").exists():
                raise CommandError(
                    "演示数据尚未载入：请先运行 ggzy demo（make run 会自动载入）"
                    " — load the demo data first: ggzy demo"
                )

            run(log=self.stdout.write)
            return
        Demo(
            seed=options["seed"], organisations=options["organisations"], log=self.stdout.write
        ).run()
