"""交易统计 from the notice index alone, so every trade type that publishes notices counts:
volume and budgets from announcements, bidder counts from opening records, winning prices
and time to award from award results (``facts`` of each notice)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from ggzy import clock
from ggzy.disclosure.models import Notice, Stage

LOCAL = ZoneInfo("Asia/Shanghai")
STAGES = (Stage.TENDER_ANNOUNCEMENT, Stage.OPENING_RECORD, Stage.AWARD_RESULT, Stage.FAILED)
COLUMNS = [
    ("month", "月份"),
    ("trade_type", "交易类型"),
    ("region_code", "行政区域"),
    ("tenders", "招标数"),
    ("budget_total", "预算/最高限价合计（元）"),
    ("awards", "中标数"),
    ("award_total", "中标金额合计（元）"),
    ("savings_rate", "节资率"),
    ("failed", "流标数"),
    ("avg_bidders", "平均投标人数"),
    ("avg_days_to_award", "平均招标至中标天数"),
]


def _dec(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@dataclass
class Row:
    month: str
    trade_type: str
    region_code: str
    tenders: int = 0
    budget_total: Decimal = Decimal(0)
    awards: int = 0
    award_total: Decimal = Decimal(0)
    savings_rate: float | None = None
    failed: int = 0
    avg_bidders: float | None = None
    avg_days_to_award: float | None = None

    def values(self) -> list[Any]:
        return [getattr(self, key) for key, _label in COLUMNS]


def compute(  # noqa: PLR0912 - one pass over the notices, a branch per stage
    *, months: int = 24, trade_type: str = "", region_code: str = ""
) -> list[Row]:
    since = clock.now() - dt.timedelta(days=31 * months)
    qs = Notice.objects.filter(stage__in=STAGES, published_at__gte=since)
    if trade_type:
        qs = qs.filter(trade_type=trade_type)
    if region_code:
        qs = qs.filter(region_code=region_code)
    notices = list(
        qs.order_by("published_at").values_list(
            "stage", "trade_type", "region_code", "subject_code", "published_at", "facts"
        )
    )
    announced: dict[str, tuple[dt.datetime, Decimal | None]] = {}
    rows: dict[tuple[str, str, str], Row] = {}
    bidders: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    days: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    savings: dict[tuple[str, str, str], list[tuple[Decimal, Decimal]]] = defaultdict(list)
    for stage, tt, region, subject, at, raw_facts in notices:
        key = (f"{at.astimezone(LOCAL):%Y-%m}", tt, region)
        row = rows.setdefault(key, Row(*key))
        facts = raw_facts or {}
        if stage == Stage.TENDER_ANNOUNCEMENT:
            budget = _dec(facts.get("budget"))
            row.tenders += 1
            row.budget_total += budget or 0
            announced[subject] = (at, budget)
        elif stage == Stage.OPENING_RECORD:
            if isinstance(facts.get("bidder_count"), int):
                bidders[key].append(facts["bidder_count"])
        elif stage == Stage.FAILED:
            row.failed += 1
        elif stage == Stage.AWARD_RESULT:
            price = _dec(facts.get("winning_price"))
            row.awards += 1
            row.award_total += price or 0
            start = announced.get(subject)
            if start is not None:
                days[key].append((at - start[0]).total_seconds() / 86400)
            budget = _dec(facts.get("budget")) or (start[1] if start else None)
            if price is not None and budget:
                savings[key].append((budget, price))
    for key, row in rows.items():
        if bidders[key]:
            row.avg_bidders = round(sum(bidders[key]) / len(bidders[key]), 2)
        if days[key]:
            row.avg_days_to_award = round(sum(days[key]) / len(days[key]), 1)
        if savings[key]:
            budget = sum((b for b, _ in savings[key]), Decimal(0))
            price = sum((p for _, p in savings[key]), Decimal(0))
            row.savings_rate = round(float((budget - price) / budget), 4) if budget else None
    return sorted(rows.values(), key=lambda r: (r.month, r.trade_type, r.region_code))


def by_month(rows: list[Row]) -> dict[str, list[Any]]:
    """Series for the charts: per month totals."""
    months: dict[str, dict[str, Any]] = {}
    for r in rows:
        m = months.setdefault(r.month, {"tenders": 0, "budget": Decimal(0), "awards": 0})
        m["tenders"] += r.tenders
        m["budget"] += r.budget_total
        m["awards"] += r.awards
    keys = sorted(months)
    return {
        "months": keys,
        "tenders": [months[k]["tenders"] for k in keys],
        "budget": [float(months[k]["budget"]) for k in keys],
        "awards": [months[k]["awards"] for k in keys],
    }


def to_csv(rows: list[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([label for _key, label in COLUMNS])
    for r in rows:
        writer.writerow(["" if v is None else v for v in r.values()])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


def to_xlsx(rows: list[Row]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "交易统计"
    ws.append([label for _key, label in COLUMNS])
    for r in rows:
        ws.append([float(v) if isinstance(v, Decimal) else v for v in r.values()])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
