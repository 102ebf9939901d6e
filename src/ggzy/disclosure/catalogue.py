"""信息公开目录 as data: per trade type, which items must be public, after what and for how long
(``fixtures/catalogue.json``). Pure: no Django; the selector supplies the facts."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CATALOGUE_FILE = Path(__file__).resolve().parent / "fixtures" / "catalogue.json"


@dataclass(frozen=True)
class Item:
    stage: str
    name: str
    after: str  # a stage or a milestone (tender_created, bid_deadline, terminated, failed, …)
    within_days: int | None
    keep_days: int
    optional: bool
    basis: str


@dataclass(frozen=True)
class ItemStatus:
    item: Item
    state: str  # published | due | overdue | pending | not_applicable
    published_at: dt.datetime | None
    due_at: dt.datetime | None
    public_until: dt.datetime | None


STATE_LABELS = {
    "published": "已公开",
    "due": "待公开",
    "overdue": "已逾期",
    "pending": "未到公开时点",
    "not_applicable": "不适用",
}


@cache
def load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return data


def items_for(trade_type: str) -> list[Item]:
    types = load()["trade_types"]
    spec = types.get(trade_type) or types["default"]
    return [
        Item(
            stage=i["stage"],
            name=i["name"],
            after=i["after"],
            within_days=i.get("within_days"),
            keep_days=int(i.get("keep_days") or 0),
            optional=bool(i.get("optional", False)),
            basis=i.get("basis", ""),
        )
        for i in spec["items"]
    ]


def evaluate(
    items: list[Item],
    *,
    published: dict[str, dt.datetime],
    milestones: dict[str, dt.datetime],
    now: dt.datetime,
) -> list[ItemStatus]:
    """Each item's state from the first publication time per stage and the subject's
    milestones (a stage name as ``after`` means that stage's publication)."""
    out = []
    for item in items:
        pub = published.get(item.stage)
        trigger = published.get(item.after) or milestones.get(item.after)
        due = (
            trigger + dt.timedelta(days=item.within_days)
            if trigger is not None and item.within_days is not None
            else None
        )
        if pub is not None:
            state = "published"
        elif trigger is None:
            state = "not_applicable" if item.optional else "pending"
        elif due is not None and now > due:
            state = "overdue"
        else:
            state = "due"
        until = pub + dt.timedelta(days=item.keep_days) if pub is not None else None
        out.append(ItemStatus(item, state, pub, due, until))
    return out
