"""Reads of the public portal. Everything here is public: only ``Notice`` rows (published
through ``notice_publish``) are read, plus milestone dates of tenders that are already public."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import QuerySet

from ggzy import clock
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.disclosure import catalogue, search
from ggzy.disclosure.models import Notice, Stage

PAGE_SIZE = 20
LOCAL = ZoneInfo("Asia/Shanghai")
LIST_FIELDS = (
    "id",
    "title",
    "stage",
    "trade_type",
    "region_code",
    "published_at",
    "subject_code",
    "project_code",
)


@dataclass
class Filters:
    trade_type: str = ""
    stage: str = ""
    region_code: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    q: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def as_query(self) -> dict[str, str]:
        out = {
            "trade_type": self.trade_type,
            "stage": self.stage,
            "region": self.region_code,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "q": self.q,
        }
        return {k: v for k, v in out.items() if v}


def _date(value: str | None, name: str, errors: dict[str, str]) -> dt.date | None:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = "日期格式应为 YYYY-MM-DD"
        return None
    if not clock.plausible(day):
        errors[name] = "日期超出范围（1990–2199 年）"
        return None
    return day


def parse_filters(params: Any) -> Filters:
    """Filters from a query dict; a malformed value is dropped and reported, never a 500."""
    errors: dict[str, str] = {}
    stage = (params.get("stage") or "").strip()
    if stage and stage not in Stage.values:
        errors["stage"] = "公告阶段无效"
        stage = ""
    region = (params.get("region") or "").strip()
    if region and not (len(region) == 6 and region.isdigit()):
        errors["region"] = "行政区域代码应为 6 位数字"
        region = ""
    return Filters(
        trade_type=(params.get("trade_type") or "").strip()[:40],
        stage=stage,
        region_code=region,
        date_from=_date(params.get("from"), "from", errors),
        date_to=_date(params.get("to"), "to", errors),
        q=(params.get("q") or "").strip()[:200],
        errors=errors,
    )


def filtered(f: Filters) -> QuerySet[Notice]:
    qs = Notice.objects.filter(published_at__lte=clock.now())
    if f.trade_type:
        qs = qs.filter(trade_type=f.trade_type)
    if f.stage:
        qs = qs.filter(stage=f.stage)
    if f.region_code:
        if f.region_code.endswith("0000"):
            qs = qs.filter(region_code__startswith=f.region_code[:2])
        elif f.region_code.endswith("00"):
            qs = qs.filter(region_code__startswith=f.region_code[:4])
        else:
            qs = qs.filter(region_code=f.region_code)
    if f.date_from:
        qs = qs.filter(published_at__gte=dt.datetime.combine(f.date_from, dt.time(), LOCAL))
    if f.date_to:
        end = dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time(), LOCAL)
        qs = qs.filter(published_at__lt=end)
    return qs


def encode_cursor(notice: Notice) -> str:
    raw = f"{notice.published_at.isoformat()}|{notice.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        ts, pk = raw.split("|")
        when = dt.datetime.fromisoformat(ts)
        number = int(pk)
        if when.tzinfo is None or not clock.plausible(when) or not 0 < number < 2**63:
            raise ValueError("out of range")
        return when, number
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise DomainError(ErrorCode.CURSOR_INVALID, field="cursor") from exc


@dataclass
class Page:
    items: list[Notice]
    next_cursor: str | None


def notice_page(f: Filters, cursor: str | None = None, size: int = PAGE_SIZE) -> Page:
    """Newest first, keyset-paged on (published_at, id): the same cost on page 1 and 50 000."""
    qs = filtered(f).only(*LIST_FIELDS).order_by("-published_at", "-id")
    if cursor:
        when, pk = decode_cursor(cursor)
        qs = qs.extra(
            where=['("disclosure_notice"."published_at", "disclosure_notice"."id") < (%s, %s)'],
            params=[connection.ops.adapt_datetimefield_value(when), pk],
        )
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, encode_cursor(rows[-1]) if more and rows else None)


@dataclass
class SearchPage:
    items: list[Notice]
    page: int
    has_next: bool
    query: search.Query
    window_days: int | None  # the default recent window searched, None = all time


MAX_SEARCH_PAGE = 50
DEFAULT_WINDOW_DAYS = 92


def notice_search(f: Filters, page: int = 1, size: int = PAGE_SIZE) -> SearchPage:
    """Ranked full-text search. Without a date range it searches the last three months first
    (as the national portal does: a common word matches a large share of all notices) and
    the whole index when that finds nothing. Ranks are read tier by tier with ``LIMIT``
    (``search.ranked``), never ranking every match: page 1 reads its rows directly (one query
    when the best tier fills it); deeper pages read ids up to the page, then the page's rows."""
    query = search.parse(f.q)
    page = min(max(1, page), MAX_SEARCH_PAGE)
    start = (page - 1) * size
    want = start + size + 1
    fields = (*LIST_FIELDS, "body_text") if start == 0 else ("id", "published_at")
    base = filtered(f).only(*fields)
    window: int | None = None
    rows: list[Notice] = []
    if f.date_from is None and f.date_to is None:
        window = DEFAULT_WINDOW_DAYS
        since = clock.now() - dt.timedelta(days=window)
        rows = search.ranked(base.filter(published_at__gte=since), query, want)
        if not rows and page == 1:
            window = None
    if window is None:
        rows = search.ranked(base, query, want)
    has_next = len(rows) > start + size
    rows = rows[start : start + size]
    if start:
        ids = [n.pk for n in rows]
        by_id = Notice.objects.only(*LIST_FIELDS, "body_text").in_bulk(ids)
        rows = [by_id[pk] for pk in ids if pk in by_id]
    return SearchPage(rows, page, has_next, query, window)


def notice_get(pk: int) -> Notice:
    notice = Notice.objects.filter(pk=pk, published_at__lte=clock.now()).first()
    if notice is None:
        raise DomainError(ErrorCode.NOTICE_NOT_FOUND)
    return notice


def project_history(code: str) -> list[Notice]:
    """Every public notice of a project (project code) or one section, oldest first."""
    code = (code or "").strip()[:40]
    qs = Notice.objects.filter(published_at__lte=clock.now())
    rows = list(qs.filter(project_code=code).order_by("published_at", "id")) or list(
        qs.filter(subject_code=code).order_by("published_at", "id")
    )
    if not rows:
        raise DomainError(ErrorCode.NOTICE_NOT_FOUND, "未找到该项目的公告")
    return rows


def milestones(subject_code: str) -> dict[str, dt.datetime]:
    """Milestones of a tendering subject that start catalogue clocks (public facts only)."""
    from ggzy.tendering.models import Tender, TenderStatus

    tender = Tender.objects.filter(section__code=subject_code).first()
    if tender is None or tender.status == TenderStatus.DRAFT:
        return {}
    out: dict[str, dt.datetime] = {"tender_created": tender.created_at}
    if tender.bid_deadline is not None:
        out["bid_deadline"] = tender.bid_deadline
    if tender.status == TenderStatus.FAILED:
        out["failed"] = tender.bid_deadline or tender.created_at
    if tender.status == TenderStatus.TERMINATED:
        out["terminated"] = tender.terminated_at or tender.created_at
    return out


@dataclass
class SubjectCatalogue:
    subject_code: str
    title: str
    trade_type: str
    statuses: list[catalogue.ItemStatus]


def catalogue_status(
    notices: list[Notice], now: dt.datetime | None = None
) -> list[SubjectCatalogue]:
    """Per subject of ``notices``: each catalogue item published, due, overdue or pending."""
    now = now or clock.now()
    by_subject: dict[str, list[Notice]] = {}
    for n in notices:
        by_subject.setdefault(n.subject_code, []).append(n)
    out = []
    for subject, rows in by_subject.items():
        published: dict[str, dt.datetime] = {}
        for n in sorted(rows, key=lambda r: r.published_at):
            published.setdefault(n.stage, n.published_at)
        items = catalogue.items_for(rows[0].trade_type)
        statuses = catalogue.evaluate(
            items, published=published, milestones=milestones(subject), now=now
        )
        out.append(SubjectCatalogue(subject, rows[0].title, rows[0].trade_type, statuses))
    return out


def overdue_alerts(
    limit_subjects: int = 500,
) -> list[tuple[SubjectCatalogue, catalogue.ItemStatus]]:
    """Staff alerts: catalogue items past their deadline on recently active subjects."""
    subjects = list(
        Notice.objects.order_by("-published_at")
        .values_list("subject_code", flat=True)
        .distinct()[: limit_subjects * 5]
    )
    seen = list(dict.fromkeys(subjects))[:limit_subjects]
    notices = list(Notice.objects.filter(subject_code__in=seen))
    return [
        (sc, st) for sc in catalogue_status(notices) for st in sc.statuses if st.state == "overdue"
    ]
