"""``ggzy experts verify-draw DRAW_ID``: re-run a draw (and its replacements) from the stored
inputs and compare every commitment with the ledger. Exit status 1 on any mismatch.

DRAW_ID is the draw request's id (``/api/v1/experts/draws/{id}``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ggzy.experts.models import DrawRequest
from ggzy.experts.verify import verify_request


class Command(BaseCommand):
    help = "Expert pool (专家库) tools: verify-draw"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        v = sub.add_parser("verify-draw", help="re-run a draw and compare with the ledger")
        v.add_argument("draw_id", type=int)

    def handle(self, *args: Any, **o: Any) -> None:
        if o["action"] == "verify-draw":
            req = DrawRequest.objects.filter(pk=o["draw_id"]).first()
            if req is None:
                raise CommandError(f"draw {o['draw_id']} not found")
            report = verify_request(req)
            for c in report.checks:
                mark = "ok " if c.ok else "BAD"
                self.stdout.write(f"{mark} {c.name}: {c.detail}")
            if not report.ok:
                self.stdout.write("MISMATCH")
                raise SystemExit(1)
            self.stdout.write("OK")
