"""``ggzy evaluation_deadlines [--flag] [--user NAME] [--all]``: the post-award duties
(书面报告 15 日, 合同 30 日) with days left; ``--flag`` records each newly overdue one on the
ledger (run it daily from the scheduler). Exit status 1 when something is overdue."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ggzy.evaluation import award, selectors
from ggzy.rules.timecalc import LOCAL_TZ


class Command(BaseCommand):
    help = "List post-award deadlines (written report, contract); --flag marks overdue ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--flag", action="store_true", help="record newly overdue items")
        parser.add_argument("--user", help="only this user's items")
        parser.add_argument("--all", action="store_true", help="include items already done")

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options.get("user"):
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no such user: {options['user']}")
        flagged = award.reminders_flag_overdue() if options["flag"] else []
        items = selectors.due_items(user, include_done=options["all"])
        overdue = 0
        for d in items:
            r = d.reminder
            state = "done" if r.done_at else ("OVERDUE" if d.overdue else f"{d.days_left}d left")
            overdue += d.overdue
            self.stdout.write(
                f"{r.pk}\t{r.user.username}\t{r.get_kind_display()}\t"
                f"{r.due_at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}\t{state}\t"
                f"{r.session.tender.title}"
            )
        self.stdout.write(f"{len(items)} item(s), {overdue} overdue, {len(flagged)} newly flagged")
        if overdue:
            raise SystemExit(1)
