"""``ggzy rules …``: load the seed catalogue/rules/calendar, show a rule set, compute a deadline."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ggzy.core.errors import DomainError
from ggzy.rules import selectors, services, timecalc
from ggzy.rules.ruleset import render_value, sentence
from ggzy.rules.schema import KEYS, SPECS, Kind, Sense


def _when(value: str, name: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{name}: not an ISO 8601 time: {value}") from exc
    if parsed.tzinfo is None:  # a bare local time means Asia/Shanghai
        parsed = parsed.replace(tzinfo=timecalc.LOCAL_TZ)
    return parsed


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(timecalc.LOCAL_TZ).isoformat(timespec="seconds")


class Command(BaseCommand):
    help = "Trade rules: load | show TYPE | deadline TYPE --start ISO --key KEY"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="load the seed trade types, rule sets and calendar")
        load.add_argument(
            "--as", dest="username", help="act as this centre-staff user (default: system)"
        )
        show = sub.add_parser("show", help="print the rule set in force for a trade type")
        show.add_argument("trade_type")
        show.add_argument("--at", help="ISO 8601 time (default now)")
        show.add_argument("--json", action="store_true", help="print the content as JSON")
        dl = sub.add_parser("deadline", help="earliest allowed end of a minimum period")
        dl.add_argument("trade_type")
        dl.add_argument("--start", required=True, help="ISO 8601 time of the triggering event")
        dl.add_argument("--key", required=True, help="e.g. bid_period_min_days")
        dl.add_argument("--at", help="which rules (ISO 8601 time; default: the start)")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            getattr(self, "_" + o["action"])(o)
        except DomainError as exc:
            raise CommandError(f"{exc.code.value}: {exc.message}") from exc

    def _load(self, o: dict[str, Any]) -> None:
        actor: services.Actor = services.SystemActor("rules-load")
        if o.get("username"):
            from ggzy.accounts.models import User

            user = User.objects.filter(username=o["username"]).first()
            if user is None:
                raise CommandError(f"no user {o['username']}")
            actor = user
        report = services.seed_load(actor=actor)
        self.stdout.write(
            f"trade types created: {len(report.trade_types)}; "
            f"rule sets published: {len(report.rulesets)}; "
            f"calendar days added: {report.calendar_days}"
        )
        for label in report.effective_now:
            self.stdout.write(f"  {label}: seed date has passed, in force from now")

    def _show(self, o: dict[str, Any]) -> None:
        at = _when(o["at"], "--at") if o.get("at") else None
        rule = selectors.ruleset_for(o["trade_type"], at)
        if o["json"]:
            self.stdout.write(json.dumps(dict(rule.content), ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{rule.label}  sha256={rule.sha256}")
        self.stdout.write(f"effective from {_local(rule.effective_from)}")
        for spec in KEYS:
            if rule.get(spec.name) is None:
                continue
            self.stdout.write(
                f"  {spec.name:38} {render_value(rule, spec.name):>12}  {spec.label}"
                f"  [{rule.basis_for(spec.name)}]"
            )

    def _deadline(self, o: dict[str, Any]) -> None:
        start = _when(o["start"], "--start")
        key = o["key"]
        spec = SPECS.get(key)
        if spec is None or spec.kind is not Kind.DAYS:
            raise CommandError(f"{key} is not a day-count rule key")
        at = _when(o["at"], "--at") if o.get("at") else start
        rule = selectors.ruleset_for(o["trade_type"], at)
        if spec.sense is Sense.WITHIN:
            end = selectors.period_end_for(rule, key, start)
            what = "last moment within the time limit"
        else:
            end = selectors.min_period_end(rule, key, start)
            what = "earliest allowed end"
        self.stdout.write(f"{rule.label} {key}: {sentence(rule, key)}")
        self.stdout.write(f"{what}: {_local(end)} ({end.isoformat()})")
