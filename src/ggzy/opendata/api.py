"""数据共享 Open data (OCDS, 数据规范, 变更流) — API.

Public (no login): OCDS release/record packages, the process list, the change feed and the
daily dumps. ``opendata:export:read`` (regulators, centre staff): data-spec tables and the
data-quality report.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from ninja import Query, Router

from ggzy import clock
from ggzy.accounts.permissions import Perm, require
from ggzy.core.auth import request_user
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.opendata import feed, ocds, plugins, quality, selectors, tables
from ggzy.opendata.models import Dump

router = Router(tags=["opendata 数据共享"])
feed_router = Router(tags=["feed 变更流"])

_JSON = {"ensure_ascii": False}


def _json(body: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params=_JSON)


def _uri(request: HttpRequest) -> str:
    return ocds.base_url() + request.get_full_path()


@router.get("/processes", summary="公开的交易过程 Public contracting processes (ocids)")
def processes(
    request: HttpRequest,
    after: int = Query(0, ge=0),  # type: ignore[type-arg]
    limit: int = Query(100, ge=1, le=1000),  # type: ignore[type-arg]
) -> JsonResponse:
    rows = selectors.public_sections(after=after, limit=limit)
    items = [
        {
            "ocid": ocds.ocid_for(s.unified_deal_code),
            "unified_deal_code": s.unified_deal_code,
            "section": s.code,
            "title": s.tender.title,
            "status": s.tender.status,
        }
        for s in rows
    ]
    return _json({"items": items, "next_after": rows[-1].pk if rows else after})


@router.get("/releases", summary="OCDS 发布包（批量）Release package of many processes")
def release_packages(
    request: HttpRequest,
    after: int = Query(0, ge=0),  # type: ignore[type-arg]
    limit: int = Query(20, ge=1, le=100),  # type: ignore[type-arg]
) -> JsonResponse:
    """Processes in section order after ``after``; the next page is in the ``Link`` header."""
    rows = selectors.public_sections(after=after, limit=limit)
    response = _json(ocds.release_package([ocds.context_for(s) for s in rows], _uri(request)))
    if len(rows) == limit:
        nxt = f"{ocds.base_url()}/api/v1/opendata/releases?after={rows[-1].pk}&limit={limit}"
        response["Link"] = f'<{nxt}>; rel="next"'
    return response


@router.get("/releases/{ocid}", summary="OCDS 发布包 Release package of one process")
def release_package(request: HttpRequest, ocid: str) -> JsonResponse:
    ctx = selectors.public_process(ocid)
    return _json(ocds.release_package([ctx], _uri(request)))


@router.get("/records/{ocid}", summary="OCDS 记录包 Record package of one process")
def record_package(request: HttpRequest, ocid: str) -> JsonResponse:
    ctx = selectors.public_process(ocid)
    return _json(ocds.record_package([ctx], _uri(request)))


@router.get("/tables", summary="数据规范表 Data-spec tables exported (regulators, staff)")
def table_list(request: HttpRequest) -> JsonResponse:
    require(request_user(request), Perm.OPENDATA_EXPORT_READ)
    out = []
    for code in plugins.table_exporters():
        spec = tables.table_spec(code)
        if spec is not None:
            out.append(
                {"code": code, "name": spec.name, "label": spec.label, "fields": len(spec.fields)}
            )
    return _json({"spec_version": tables.spec_version(), "tables": out})


def _since(raw: str) -> dt.datetime | None:
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise DomainError(ErrorCode.VALIDATION, "since 应为 ISO 8601 时间", field="since") from exc
    if not clock.plausible(value):
        raise DomainError(ErrorCode.VALIDATION, "since 超出范围（1990–2199 年）", field="since")
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@router.get("/tables/{code}", summary="导出数据规范表 Export one data-spec table (JSON or CSV)")
def table_export(
    request: HttpRequest,
    code: str,
    format: str = "json",
    strict: bool = False,
    since: str = "",
) -> HttpResponse:
    require(request_user(request), Perm.OPENDATA_EXPORT_READ)
    if code not in plugins.table_exporters() or tables.table_spec(code) is None:
        raise DomainError(ErrorCode.OPENDATA_TABLE_NOT_FOUND, field="code")
    if format not in ("json", "csv"):
        raise DomainError(ErrorCode.VALIDATION, "format 应为 json 或 csv", field="format")
    export = tables.export_table(code, since=_since(since), strict=strict)
    if format == "csv":
        response = HttpResponse("\ufeff" + export.as_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{export.spec.name}.csv"'
        response["X-Data-Quality-Flagged"] = str(export.as_json()["flagged"])
        return response
    return _json(export.as_json())


@router.get("/quality", summary="数据质量报告 Data-quality report (regulators, staff)")
def quality_report(request: HttpRequest, since: str = "") -> JsonResponse:
    require(request_user(request), Perm.OPENDATA_EXPORT_READ)
    return _json(quality.report(since=_since(since)))


@router.get("/dumps", summary="每日数据包 Daily dumps")
def dump_list(request: HttpRequest) -> JsonResponse:
    base = ocds.base_url()
    return _json(
        {
            "items": [
                {
                    "date": d.day.isoformat(),
                    "records": d.records,
                    "sha256": d.sha256,
                    "size": d.size,
                    "first_index": d.first_index,
                    "last_index": d.last_index,
                    "file_url": f"{base}/api/v1/opendata/dumps/{d.day}/feed.jsonl.gz",
                    "manifest_url": f"{base}/api/v1/opendata/dumps/{d.day}/manifest.json",
                }
                for d in Dump.objects.order_by("-day")[:400]
            ]
        }
    )


@router.get("/dumps/{day}/{name}", summary="下载每日数据包 Download a dump file")
def dump_file(request: HttpRequest, day: str, name: str) -> FileResponse:
    try:
        date = dt.date.fromisoformat(day)
    except ValueError as exc:
        raise DomainError(ErrorCode.OPENDATA_DUMP_NOT_FOUND, field="day") from exc
    dump = Dump.objects.filter(day=date).first()
    files = {"feed.jsonl.gz": "file", "manifest.json": "manifest"}
    if dump is None or name not in files:
        raise DomainError(ErrorCode.OPENDATA_DUMP_NOT_FOUND)
    stored = getattr(dump, files[name])
    try:
        handle = default_storage.open(stored, "rb")
    except FileNotFoundError as exc:  # recorded but gone from storage
        raise DomainError(ErrorCode.OPENDATA_DUMP_NOT_FOUND) from exc
    response = FileResponse(
        handle,
        content_type="application/gzip" if name.endswith(".gz") else "application/json",
        as_attachment=True,
        filename=f"ggzy-opendata-{date}-{name}",
    )
    if name.endswith(".gz"):
        response["Digest"] = f"sha-256={dump.sha256}"
    return response


@feed_router.get("", summary="变更流 Change feed (cursor-paged, never skips a late commit)")
def change_feed(request: HttpRequest, cursor: str = "", limit: int = 100) -> JsonResponse:
    page = feed.read(feed.parse_cursor(cursor), limit)
    return _json(page.as_dict())
