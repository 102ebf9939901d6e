"""``ggzy disclosure reindex|deliver|reminders``: rebuild the notice index from tendering data,
run the push worker (outbox → deliveries → e-mail/webhook), create bidders' reminders."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ggzy.disclosure import delivery, reminders, sources


class Command(BaseCommand):
    help = "信息公开: reindex (backfill notices), deliver (push worker), reminders (bidders)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("reindex", help="publish every notice tendering data implies (idempotent)")
        deliver = sub.add_parser("deliver", help="match the outbox and send due deliveries")
        deliver.add_argument("--loop", action="store_true", help="keep running")
        deliver.add_argument("--interval", type=float, default=5.0)
        deliver.add_argument("--backoff-seconds", type=float, default=30.0)
        sub.add_parser("reminders", help="create progress reminders for bidders")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "reindex":
            count = sources.reindex("system:disclosure-reindex")
            self.stdout.write(f"notices published: {count}")
        elif action == "reminders":
            self.stdout.write(f"reminders created: {reminders.reminders_create()}")
        else:
            base = dt.timedelta(seconds=options["backoff_seconds"])
            while True:
                matched = delivery.outbox_process()
                sent, failed = delivery.deliveries_send(base=base)
                self.stdout.write(f"matched {matched}, sent {sent}, failed {failed}")
                if not options["loop"]:
                    break
                time.sleep(options["interval"])
