"""一键获取: import approved projects from other systems into 进场登记.

Sources stand for the investment-project approval platform (投资项目在线审批监管平台) and the
procurement-management system (政府采购管理系统): a JSON or CSV file (:class:`FileSource`), an
HTTP endpoint returning JSON pages (:class:`HttpSource`) or records already in memory
(:class:`RecordsSource`). Each raw record is mapped to :func:`services.project_register` keyword
arguments with per-field checks against the data spec (table 500 PROJECT) and lands in an
:class:`ImportReport`. Every write goes through the service (one transaction and one ledger
entry per record); ``all_or_nothing`` validates everything first and wraps the writes in one
outer transaction, so a batch never lands half. docs/projects.md describes the formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db import transaction

from ggzy.core.errors import MESSAGES, DomainError, ErrorCode
from ggzy.projects import selectors, services
from ggzy.projects.importers.mapping import FIELDS, SERVICE_FIELDS, FieldIssue, Mapper
from ggzy.projects.importers.sources import (
    MAX_RECORDS,
    FileSource,
    HttpSource,
    ProjectSource,
    RawRecord,
    RecordsSource,
    SourceError,
    check_source_name,
    invalid,
)
from ggzy.registry.models import TradingCentre

__all__ = [
    "FIELDS",
    "FieldIssue",
    "FileSource",
    "HttpSource",
    "ImportReport",
    "ProjectSource",
    "RawRecord",
    "RecordResult",
    "RecordsSource",
    "SourceError",
    "Status",
    "can_import",
    "check_source_name",
    "render_text",
    "run_import",
]


class Status(StrEnum):
    IMPORTED = "imported"  # registered now; project_code is the new code
    SKIPPED = "skipped"  # same source + record id already imported; project_code is the old one
    REJECTED = "rejected"  # errors say why; nothing written
    VALID = "valid"  # passed every check but not written (dry run, or all-or-nothing refused)


@dataclass
class RecordResult:
    index: int  # 1-based position in the source (CSV: data row, so file line = index + 1)
    source_ref: str
    status: Status
    project_code: str = ""
    errors: list[FieldIssue] = field(default_factory=list)
    warnings: list[FieldIssue] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "source_ref": self.source_ref,
            "status": self.status.value,
            "project_code": self.project_code,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
        }


@dataclass
class ImportReport:
    source: str
    all_or_nothing: bool = False
    dry_run: bool = False
    records: list[RecordResult] = field(default_factory=list)
    ignored_fields: list[str] = field(default_factory=list)
    error: FieldIssue | None = None  # the source itself failed: nothing read, nothing written

    def count(self, status: Status) -> int:
        return sum(1 for r in self.records if r.status == status)

    @property
    def ok(self) -> bool:
        return self.error is None and self.count(Status.REJECTED) == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "all_or_nothing": self.all_or_nothing,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "total": len(self.records),
            **{s.value: self.count(s) for s in Status},
            "error": self.error.as_dict() if self.error else None,
            "ignored_fields": self.ignored_fields,
            "records": [r.as_dict() for r in self.records],
        }


class _Rollback(Exception):
    pass


def can_import(user: Any) -> bool:
    """The import page and API are for centre staff (交易中心工作人员)."""
    from ggzy.accounts.permissions import is_centre_staff

    return bool(getattr(user, "is_authenticated", False)) and is_centre_staff(user)


def _refusal(actor: Any) -> FieldIssue:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return FieldIssue(
            None, ErrorCode.NOT_AUTHENTICATED.value, MESSAGES[ErrorCode.NOT_AUTHENTICATED]
        )
    return FieldIssue(
        None,
        ErrorCode.PERMISSION_DENIED.value,
        "只有招标人、其招标代理机构或交易中心工作人员可以登记项目",
    )


def _issue_of(exc: DomainError) -> FieldIssue:
    name = SERVICE_FIELDS.get(exc.field or "", exc.field.upper() if exc.field else None)
    return FieldIssue(name, exc.code.value, exc.message)


def run_import(
    source: ProjectSource,
    *,
    actor: Any,
    centre: TradingCentre,
    all_or_nothing: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Fetch every record, check each, then register the good ones through the service."""
    report = ImportReport(source=source.name, all_or_nothing=all_or_nothing, dry_run=dry_run)
    try:
        raws = []
        for raw in source.fetch():
            raws.append(raw)
            if len(raws) > MAX_RECORDS:
                raise invalid(f"一次最多导入 {MAX_RECORDS} 条记录")
    except DomainError as exc:
        report.error = FieldIssue(None, exc.code.value, exc.message)
        return report
    stored_source = f"import:{source.name}"
    ready = _check_all(report, raws, actor=actor, stored_source=stored_source)
    if dry_run or (all_or_nothing and not report.ok):
        return report
    common = {"actor": actor, "centre": centre, "source": stored_source}
    if not all_or_nothing:
        for result, kwargs in ready:  # each record: the service's own transaction
            _register_one(result, kwargs, common, stored_source)
        return report
    try:
        with transaction.atomic():  # one outer transaction: all records or none
            for result, kwargs in ready:
                _register_one(result, kwargs, common, stored_source)
                if result.status == Status.REJECTED:
                    raise _Rollback
    except _Rollback:
        for result, _kwargs in ready:
            if result.status == Status.IMPORTED:
                result.status, result.project_code = Status.VALID, ""
    return report


def _check_all(
    report: ImportReport, raws: list[Any], *, actor: Any, stored_source: str
) -> list[tuple[RecordResult, dict[str, Any]]]:
    """Validate every record (nothing written); returns the ones ready to register."""
    mapper = Mapper()
    ignored: set[str] = set()
    ready: list[tuple[RecordResult, dict[str, Any]]] = []
    seen: set[str] = set()
    for index, raw in enumerate(raws, start=1):
        mapped = mapper.map(raw)
        ignored |= mapped.ignored
        result = RecordResult(index, mapped.source_ref, Status.REJECTED, warnings=mapped.warnings)
        report.records.append(result)
        existing = selectors.project_by_source(stored_source, mapped.source_ref)
        if mapped.source_ref and (existing is not None or mapped.source_ref in seen):
            # a duplicate is not an error, whatever its content: the first one counts
            result.status = Status.SKIPPED
            result.project_code = existing.code if existing else ""
            continue
        result.errors = mapped.errors
        legal_person = mapped.kwargs.get("legal_person")
        if legal_person is not None and not services.can_register_project(actor, legal_person):
            result.errors.insert(0, _refusal(actor))
        if not result.errors:
            result.status = Status.VALID
            ready.append((result, mapped.kwargs))
            seen.add(mapped.source_ref)  # later copies in this batch are duplicates
    report.ignored_fields = sorted(ignored)
    return ready


def _register_one(
    result: RecordResult, kwargs: dict[str, Any], common: dict[str, Any], stored_source: str
) -> None:
    try:
        project = services.project_register(**common, source_ref=result.source_ref, **kwargs)
    except DomainError as exc:
        existing = selectors.project_by_source(stored_source, result.source_ref)
        if exc.code == ErrorCode.CONFLICT and existing is not None:  # imported meanwhile
            result.status, result.project_code = Status.SKIPPED, existing.code
        else:
            result.status = Status.REJECTED
            result.errors.append(_issue_of(exc))
        return
    result.status, result.project_code = Status.IMPORTED, project.code


def render_text(report: ImportReport) -> str:
    """The report for a terminal (``ggzy projects import``)."""
    lines = [
        f"来源 {report.source}：共 {len(report.records)} 条，"
        f"导入 {report.count(Status.IMPORTED)}，跳过 {report.count(Status.SKIPPED)}，"
        f"拒绝 {report.count(Status.REJECTED)}，校验通过未导入 {report.count(Status.VALID)}"
    ]
    if report.error:
        lines.append(f"错误 [{report.error.code}] {report.error.message}")
    if report.all_or_nothing and report.count(Status.REJECTED):
        lines.append("全部或不导入模式：有记录被拒绝，本批未导入任何记录")
    if report.ignored_fields:
        lines.append("未识别的字段（已忽略）：" + "、".join(report.ignored_fields))
    for r in report.records:
        head = f"#{r.index} {r.status.value} {r.source_ref or '-'}"
        lines.append(head + (f" → {r.project_code}" if r.project_code else ""))
        lines.extend(f"    {e.field or '*'} [{e.code}] {e.message}" for e in r.errors)
        lines.extend(f"    {w.field or '*'} (提示) {w.message}" for w in r.warnings)
    return "\n".join(lines)
