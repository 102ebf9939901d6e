"""信息公开 Public disclosure (公告, 检索, 订阅, 统计) — API (public, no token needed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from ggzy.disclosure import search, selectors
from ggzy.disclosure.models import Notice

router = Router(tags=["disclosure 信息公开"])


class NoticeOut(Schema):
    id: int
    title: str
    stage: str
    trade_type: str
    region_code: str
    published_at: dt.datetime
    subject_code: str
    project_code: str


class NoticeDetailOut(NoticeOut):
    body_html: str
    body_text: str
    public_url: str
    source_app: str
    facts: dict[str, Any]


class NoticePageOut(Schema):
    items: list[NoticeOut]
    next_cursor: str | None


class SearchHitOut(NoticeOut):
    snippet_html: str


class SearchOut(Schema):
    items: list[SearchHitOut]
    page: int
    has_next: bool


class FilterIn(Schema):
    trade_type: str = ""
    stage: str = ""
    region: str = ""
    date_from: str = ""
    date_to: str = ""
    q: str = ""


def _filters(params: FilterIn) -> selectors.Filters:
    raw = params.dict()
    raw["from"], raw["to"] = raw.pop("date_from"), raw.pop("date_to")
    f = selectors.parse_filters(raw)
    if f.errors:
        from ggzy.core.errors import DomainError, ErrorCode

        raise DomainError(ErrorCode.VALIDATION, detail=f.errors)
    return f


def _out(n: Notice) -> dict[str, Any]:
    return {k: getattr(n, k) for k in selectors.LIST_FIELDS}


@router.get("/notices", response=NoticePageOut, auth=None)
def notice_list(request: HttpRequest, params: Query[FilterIn], cursor: str = "") -> dict[str, Any]:
    """公告列表: newest first; pass ``next_cursor`` back as ``cursor`` for the next page."""
    page = selectors.notice_page(_filters(params), cursor or None)
    return {"items": [_out(n) for n in page.items], "next_cursor": page.next_cursor}


@router.get("/notices/{notice_id}", response=NoticeDetailOut, auth=None)
def notice_detail(request: HttpRequest, notice_id: int) -> Notice:
    return selectors.notice_get(notice_id)


@router.get("/search", response=SearchOut, auth=None)
def notice_search(request: HttpRequest, params: Query[FilterIn], page: int = 1) -> dict[str, Any]:
    """全文检索: Chinese phrases found inside longer words; exact phrase matches first.
    ``snippet_html`` is escaped text with ``<mark>`` around matches."""
    result = selectors.notice_search(_filters(params), page)
    return {
        "items": [
            {**_out(n), "snippet_html": search.highlight(n.body_text, result.query)}
            for n in result.items
        ],
        "page": result.page,
        "has_next": result.has_next,
    }
