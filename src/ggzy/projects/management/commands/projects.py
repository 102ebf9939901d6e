"""``ggzy projects import``: 一键获取 from a file or an HTTP endpoint, printing the report.

ggzy projects import --source file projects.csv --as staff
ggzy projects import --source http https://tzxm.example.gov.cn/api/projects --token T --json

Exit status 1 when the source failed or any record was rejected.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ggzy.core.errors import DomainError
from ggzy.projects import importers, selectors
from ggzy.registry.models import MembershipStatus, Role


class Command(BaseCommand):
    help = "Project entry (项目入场) tools: import"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import projects from a JSON/CSV file or an HTTP URL")
        imp.add_argument("--source", choices=("file", "http"), required=True)
        imp.add_argument("location", help="file path (--source file) or URL (--source http)")
        imp.add_argument(
            "--name", help="source name for the duplicate check (default: file / host)"
        )
        imp.add_argument("--token", help="bearer token (default: $GGZY_IMPORT_TOKEN)")
        imp.add_argument("--timeout", type=float, default=15.0, help="seconds per HTTP request")
        imp.add_argument("--all-or-nothing", action="store_true", help="import none if any fails")
        imp.add_argument("--dry-run", action="store_true", help="validate only, import nothing")
        imp.add_argument("--as", dest="as_user", metavar="USERNAME", help="the importing user")
        imp.add_argument("--centre", help="trading centre code (default: the user's own)")
        imp.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **o: Any) -> None:
        if o["action"] == "import":
            self._import(o)

    def _actor(self, username: str | None) -> Any:
        users = get_user_model().objects.filter(is_active=True)
        if username:
            user = users.filter(username=username).first()
            if user is None:
                raise CommandError(f"用户不存在或已停用：{username}")
            return user
        staff = list(
            users.filter(
                person__memberships__role=Role.CENTRE_STAFF,
                person__memberships__status=MembershipStatus.ACTIVE,
            ).distinct()[:2]
        )
        if len(staff) != 1:
            raise CommandError("请用 --as USERNAME 指定以哪位交易中心工作人员的身份导入")
        return staff[0]

    def _import(self, o: dict[str, Any]) -> None:
        actor = self._actor(o["as_user"])
        try:
            centre = selectors.centre_for(actor, o["centre"])
            source: importers.ProjectSource
            if o["source"] == "file":
                source = importers.FileSource(o["location"], name=o["name"] or "file")
            else:
                source = importers.HttpSource(
                    o["location"],
                    token=o["token"] or os.environ.get("GGZY_IMPORT_TOKEN") or None,
                    timeout=o["timeout"],
                    name=o["name"],
                )
        except DomainError as exc:
            raise CommandError(f"{exc.message}（{exc.code.value}）") from exc
        report = importers.run_import(
            source,
            actor=actor,
            centre=centre,
            all_or_nothing=o["all_or_nothing"],
            dry_run=o["dry_run"],
        )
        if o["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(importers.render_text(report))
        if not report.ok:
            sys.exit(1)
