"""Request and response shapes of the rules API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field


class TradeTypeOut(Schema):
    code: str
    name: str
    name_en: str
    category: str
    category_label: str
    data_spec_class: str
    active: bool
    current_version: str | None = Field(None, description="版本 in force now, if any")


class RuleSetOut(Schema):
    trade_type: str
    version: str
    label: str = Field(description="trade_type@version, as cited by tenders and ledger entries")
    status: str
    effective_from: dt.datetime
    published_at: dt.datetime | None
    sha256: str = Field(description="SHA-256 of the canonical JSON of `content`")
    content: dict[str, Any]
    ledger_entry_id: int | None = Field(
        None, description="the `rules:ruleset:published` entry recording the hash"
    )
    receipt_url: str | None = None


class RuleSetIn(Schema):
    trade_type: str
    version: str = Field(max_length=20)
    content: dict[str, Any]
    effective_from: dt.datetime | None = Field(
        None, description="default: now; a time without offset means Beijing time"
    )


class DeadlineOut(Schema):
    rule: str
    key: str
    days: int
    unit: str
    sense: str
    sentence: str
    basis: str
    start: dt.datetime
    end: dt.datetime = Field(
        description="sense=min: the earliest allowed end; sense=within: the last instant"
    )
    end_local: str


class DayOut(Schema):
    date: dt.date
    kind: str
    name: str


class DayIn(Schema):
    date: dt.date
    kind: str = Field(description="holiday | adjusted_workday")
    name: str = Field(max_length=50)


class CalendarOut(Schema):
    year: int
    covered: bool = Field(description="whether the table holds this year's official days")
    sha256: str = Field(description="hash of the whole table (dates and kinds)")
    days: list[DayOut]
