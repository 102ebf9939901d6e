"""``ggzy opendata``: the daily dump and the data-spec bundle.

ggzy opendata dump --date 2026-11-27 [--json]
ggzy opendata spec-build --v3 shared/data/data-spec/v3-fields.txt --v4 .../v4-fields.txt
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ggzy.core.errors import DomainError
from ggzy.opendata import dataspec, services


class Command(BaseCommand):
    help = "Open data (数据共享): daily dumps, data-spec bundle"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        dump = sub.add_parser("dump", help="write one day's feed items as gzip JSON lines")
        dump.add_argument("--date", required=True, help="YYYY-MM-DD (Asia/Shanghai)")
        dump.add_argument("--json", action="store_true", help="print the result as JSON")
        build = sub.add_parser("spec-build", help="rebuild data/dataspec.json from field lists")
        build.add_argument("--v3", type=Path, required=True)
        build.add_argument("--v4", type=Path, required=True)

    def handle(self, *args: Any, **o: Any) -> None:
        if o["action"] == "dump":
            self._dump(o)
        elif o["action"] == "spec-build":
            bundle = dataspec.build_bundle(
                {
                    "v3": o["v3"].read_text(encoding="utf-8"),
                    "v4": o["v4"].read_text(encoding="utf-8"),
                }
            )
            dataspec.BUNDLED.write_text(dataspec.dump_bundle(bundle), encoding="utf-8")
            self.stdout.write(f"wrote {dataspec.BUNDLED}")

    def _dump(self, o: dict[str, Any]) -> None:
        try:
            day = dt.date.fromisoformat(o["date"])
        except ValueError as exc:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{o['date']}") from exc
        try:
            dump = services.dump_create(actor="system:opendata-dump", day=day)
        except DomainError as exc:
            raise CommandError(f"{exc.code.value}: {exc.message}") from exc
        result = {
            "date": dump.day.isoformat(),
            "file": dump.file,
            "manifest": dump.manifest,
            "sha256": dump.sha256,
            "records": dump.records,
            "size": dump.size,
        }
        if o["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.stdout.write(
                f"数据包 {result['date']}: {dump.records} 条记录, {dump.size} 字节, "
                f"SHA-256 {dump.sha256}\n  {dump.file}\n  {dump.manifest}"
            )
