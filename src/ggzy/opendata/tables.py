"""National data-spec exports (数据规范): the rows any registered table exporter yields
(:mod:`ggzy.opendata.works` for 500–519 today) are checked against the bundled spec
(:mod:`ggzy.opendata.dataspec`) before they leave — every mandatory flag, fixed/maximum
length, date format, code list, number size and the unified deal code's check character.
Rows that break a rule are flagged (``issues``) or, in strict mode, withheld. Also the
formatting helpers exporters share (``dt14``, ``flag``, ``codes``…).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse

from ggzy.opendata import dataspec, plugins
from ggzy.opendata.dataspec import Issue, TableSpec, fmt_datetime
from ggzy.opendata.ocds import base_url

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
CURRENCY = "CNY"
PRICE_UNIT_YUAN = "0"


def spec_version() -> str:
    return str(getattr(settings, "GGZY_OPENDATA_SPEC_VERSION", "v3"))


def codes() -> dict[str, str]:
    return dict(getattr(settings, "GGZY_OPENDATA_CODES", {}))


def dt14(value: dt.datetime | None) -> str:
    return fmt_datetime(value, LOCAL_TZ)


def flag(value: bool) -> str:
    return "1" if value else "0"


def abs_url(name: str, *args: Any) -> str:
    return base_url() + reverse(name, args=args)


@dataclass
class ExportRow:
    """One row of one table. ``event_at``: when the fact happened (e.g. announced);
    ``published_at``: when it became available in the feed (ledger leaf integrated);
    ``due_at``: the row's own deadline when the law counts it in working days (e.g. 554,
    2 个工作日) — the quality report then uses it instead of ``event_at`` + hours."""

    record_id: str
    ocid: str
    row: dict[str, str]
    event_at: dt.datetime | None = None
    published_at: dt.datetime | None = None
    issues: list[Issue] = field(default_factory=list)
    due_at: dt.datetime | None = None


def published_times(
    subject_type: str, ids: Iterable[Any], events: Iterable[str]
) -> dict[str, tuple[dt.datetime, dt.datetime | None]]:
    """subject id → (recorded at, integrated into the log at) of its first matching entry."""
    from ggzy.ledger.models import Entry

    out: dict[str, tuple[dt.datetime, dt.datetime | None]] = {}
    wanted = [str(i) for i in ids]
    for start in range(0, len(wanted), 500):
        rows = (
            Entry.objects.filter(
                subject_type=subject_type,
                subject_id__in=wanted[start : start + 500],
                event_type__in=list(events),
            )
            .order_by("id")
            .values_list("subject_id", "received_at", "leaf__integrated_at")
        )
        for sid, received, integrated in rows:
            out.setdefault(sid, (received, integrated))
    return out


def with_times(rows: list[ExportRow], subject_type: str, events: Iterable[str]) -> list[ExportRow]:
    times = published_times(subject_type, [r.record_id for r in rows], events)
    for r in rows:
        recorded, integrated = times.get(r.record_id, (None, None))
        r.published_at = integrated
        if r.event_at is None:
            r.event_at = recorded
    return rows


def since_filter(qs: Any, field_name: str, since: dt.datetime | None) -> Any:
    return qs.filter(**{f"{field_name}__gte": since}) if since else qs


def html_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# ---- export ------------------------------------------------------------------------------


@dataclass
class TableExport:
    spec: TableSpec
    rows: list[ExportRow]
    rejected: list[ExportRow]

    def as_json(self) -> dict[str, Any]:
        def one(r: ExportRow) -> dict[str, Any]:
            return {
                "record_id": r.record_id,
                "ocid": r.ocid,
                "row": r.row,
                "issues": [i.as_dict() for i in r.issues],
            }

        return {
            "table": self.spec.code,
            "name": self.spec.name,
            "label": self.spec.label,
            "spec_version": spec_version(),
            "fields": self.spec.field_names,
            "rows": [one(r) for r in self.rows],
            "rejected": [one(r) for r in self.rejected],
            "flagged": sum(1 for r in self.rows if r.issues) + len(self.rejected),
        }

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([*self.spec.field_names, "DATA_QUALITY_ISSUES"])
        for r in self.rows:
            writer.writerow(
                [r.row.get(f, "") for f in self.spec.field_names]
                + ["; ".join(f"{i.field}:{i.kind}" for i in r.issues)]
            )
        return out.getvalue()


def table_spec(code: str) -> TableSpec | None:
    return dataspec.load(spec_version()).get(code)


def checked_rows(code: str, since: dt.datetime | None = None) -> Iterator[ExportRow]:
    """Rows of table ``code`` with their issues; only fields of the spec are kept."""
    exporter = plugins.table_exporters()[code]
    spec = table_spec(code)
    assert spec is not None
    names = spec.field_names
    for r in exporter.rows(since):
        r.row = {n: r.row.get(n, "") for n in names}
        r.issues = dataspec.validate_row(spec, r.row) + _deal_code_issues(r.row)
        yield r


def _deal_code_issues(row: dict[str, str]) -> list[Issue]:
    """统一交易标识码: ISO 7064 MOD 37-2 check character (DOMAIN.md §2.1)."""
    from ggzy.projects.codes import unified_deal_code_check_ok

    out = []
    for name in ("UNIFIED_DEAL_CODE", "UNIFIED_DEAL_CODES"):
        for code in filter(None, row.get(name, "").split(";")):
            if len(code) == 40 and not unified_deal_code_check_ok(code):
                out.append(Issue(name, "check", f"统一交易标识码 {code} 校验位不正确"))
    return out


def export_table(
    code: str, *, since: dt.datetime | None = None, strict: bool = False
) -> TableExport:
    spec = table_spec(code)
    assert spec is not None
    kept: list[ExportRow] = []
    rejected: list[ExportRow] = []
    for r in checked_rows(code, since):
        (rejected if strict and r.issues else kept).append(r)
    return TableExport(spec, kept, rejected)
