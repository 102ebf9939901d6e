"""Bulk import/export of the expert pool (CSV and XLSX).

Import is all-or-nothing: every row is checked first and the per-row error report is
returned without touching the database; then all rows are written in one transaction
(any failure rolls every row back).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from ggzy import ledger
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.experts import services
from ggzy.experts.models import Expert, Title
from ggzy.registry import identifiers as ids
from ggzy.registry.models import Person, Role, TradingCentre

COLUMNS = [
    "name",
    "id_number",
    "phone",
    "email",
    "username",
    "specialties",
    "region_code",
    "employer_uscc",
    "employer_name",
    "title",
    "years",
    "home_centre",
    "shared",
]
REQUIRED = [
    "name",
    "id_number",
    "specialties",
    "region_code",
    "employer_uscc",
    "employer_name",
    "title",
    "years",
    "home_centre",
]
MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "imported": self.imported, "errors": self.errors}


def _parse(data: bytes, filename: str) -> list[dict[str, str]]:
    if len(data) > MAX_BYTES:
        raise DomainError(ErrorCode.FILE_TOO_LARGE, "导入文件不能超过 5 MB", field="file")
    if filename.lower().endswith(".xlsx"):
        return _parse_xlsx(data)
    if filename.lower().endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DomainError(
                ErrorCode.EXPERTS_IMPORT_INVALID, "CSV 文件应为 UTF-8 编码", field="file"
            ) from exc
        reader = csv.DictReader(io.StringIO(text))
        return [{str(k).strip(): (v or "").strip() for k, v in r.items() if k} for r in reader]
    raise DomainError(ErrorCode.FILE_TYPE, "只接受 .csv 或 .xlsx 文件", field="file")


def _parse_xlsx(data: bytes) -> list[dict[str, str]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a damaged file
        raise DomainError(
            ErrorCode.EXPERTS_IMPORT_INVALID, "无法读取 XLSX 文件", field="file"
        ) from exc
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    wb.close()
    if not rows:
        return []
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    out = []
    for r in rows[1:]:
        if all(v is None or str(v).strip() == "" for v in r):
            continue
        out.append(
            {h: ("" if v is None else str(v).strip()) for h, v in zip(header, r, strict=False) if h}
        )
    return out


def _row_error(report: ImportReport, line: int, exc: DomainError) -> None:
    report.errors.append(
        {"row": line, "field": exc.field or "", "code": exc.code.value, "message": exc.message}
    )


def _check_row(row: dict[str, str], centres: dict[str, TradingCentre]) -> dict[str, Any]:
    for col in REQUIRED:
        if not row.get(col):
            raise DomainError(ErrorCode.VALIDATION, f"缺少必填字段 {col}", field=col)
    number = ids.normalise_citizen_id(row["id_number"])
    if not ids.is_valid_citizen_id(number, today=services.local_today()):
        raise DomainError(ErrorCode.CITIZEN_ID_INVALID, field="id_number")
    codes = services.clean_specialties(row["specialties"])
    try:
        years = int(row["years"])
    except ValueError as exc:
        raise DomainError(ErrorCode.VALIDATION, "从业年限应为整数", field="years") from exc
    title = row["title"]
    titles = {label: value for value, label in Title.choices}
    title = titles.get(title, title)
    uscc, employer = services._check_fields(
        region_code=row["region_code"],
        employer_uscc=row["employer_uscc"],
        employer_name=row["employer_name"],
        title=title,
        years=years,
    )
    centre = centres.get(row["home_centre"])
    if centre is None:
        raise DomainError(
            ErrorCode.VALIDATION, f"交易中心 {row['home_centre']} 不存在", field="home_centre"
        )
    if len(row["name"]) > 50:
        raise DomainError(ErrorCode.VALIDATION, "姓名不能超过 50 字", field="name")
    from ggzy.registry.services import person_id_index

    index = person_id_index("01", number)
    person = (
        Person.objects.filter(id_type="01", id_number_index=index).select_related("user").first()
    )
    if person is not None and Expert.objects.filter(user__person=person).exists():
        raise DomainError(ErrorCode.EXPERT_DUPLICATE, field="id_number")
    username = row.get("username") or f"e{index[:12]}"
    if person is None or person.user is None:
        from django.contrib.auth import get_user_model

        if get_user_model().objects.filter(username__iexact=username).exists():
            raise DomainError(ErrorCode.USERNAME_TAKEN, field="username")
    shared = row.get("shared", "").strip().lower() not in {"0", "false", "否", "f", "no"}
    return {
        "name": row["name"],
        "id_number": number,
        "index": index,
        "phone": row.get("phone", ""),
        "email": row.get("email", ""),
        "username": username,
        "person": person,
        "specialties": codes,
        "region_code": row["region_code"],
        "employer_uscc": uscc,
        "employer_name": employer,
        "title": title,
        "years": years,
        "home_centre": centre,
        "shared": shared,
    }


def pool_import(*, actor: Any, data: bytes, filename: str) -> ImportReport:  # noqa: PLR0912
    """Import experts (creating their accounts and granting the expert role as needed)."""
    services._staff(actor)
    rows = _parse(data, filename)
    report = ImportReport(rows=len(rows))
    if not rows:
        raise DomainError(ErrorCode.EXPERTS_IMPORT_INVALID, "导入文件中没有数据行", field="file")
    if len(rows) > MAX_ROWS:
        raise DomainError(
            ErrorCode.EXPERTS_IMPORT_INVALID, f"一次最多导入 {MAX_ROWS} 行", field="file"
        )
    centres = {c.code: c for c in TradingCentre.objects.all()}
    checked: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    usernames: dict[str, int] = {}
    for n, row in enumerate(rows, start=2):  # line 1 is the header
        try:
            item = _check_row(row, centres)
            if item["index"] in seen:
                raise DomainError(
                    ErrorCode.PERSON_DUPLICATE,
                    f"与第 {seen[item['index']]} 行证件号码重复",
                    field="id_number",
                )
            if item["username"].lower() in usernames:
                raise DomainError(
                    ErrorCode.USERNAME_TAKEN,
                    f"与第 {usernames[item['username'].lower()]} 行用户名重复",
                    field="username",
                )
            seen[item["index"]] = n
            usernames[item["username"].lower()] = n
            checked.append(item)
        except DomainError as exc:
            _row_error(report, n, exc)
    if report.errors:
        raise DomainError(ErrorCode.EXPERTS_IMPORT_INVALID, detail=report.as_dict())
    from ggzy.accounts import services as accounts
    from ggzy.registry import services as registry

    line = 1
    try:
        with transaction.atomic():
            for n, item in enumerate(checked, start=2):
                line = n
                person = item["person"]
                if person is None or person.user is None:
                    user = accounts.user_provision(
                        actor=actor,
                        username=item["username"],
                        name=item["name"],
                        id_type="01",
                        id_number=item["id_number"],
                        phone=item["phone"],
                    )
                    person = user.person
                else:
                    user = person.user
                if item["email"] and not user.email:
                    user.email = item["email"]
                    user.save(update_fields=["email"])
                if not person.memberships.filter(role=Role.EXPERT, status="active").exists():
                    registry.membership_grant(actor=actor, person=person, role=Role.EXPERT)
                services.expert_register(
                    actor=actor,
                    user=user,
                    specialties=item["specialties"],
                    region_code=item["region_code"],
                    employer_uscc=item["employer_uscc"],
                    employer_name=item["employer_name"],
                    title=item["title"],
                    years=item["years"],
                    home_centre=item["home_centre"],
                    shared=item["shared"],
                )
            ledger.record(
                "experts:pool:imported",
                ("experts.pool", "import"),
                actor,
                {"file_sha256": hashlib.sha256(data).hexdigest(), "rows": len(checked)},
            )
    except DomainError as exc:
        _row_error(report, line, exc)
        raise DomainError(ErrorCode.EXPERTS_IMPORT_INVALID, detail=report.as_dict()) from exc
    report.imported = len(checked)
    return report


def _export_rows(qs: Any) -> list[list[Any]]:
    out = []
    for e in qs:
        p = e.user.person
        out.append(
            [
                p.name,
                p.id_number_masked,
                p.phone_masked,
                e.user.email,
                e.user.username,
                " ".join(e.specialties),
                e.region_code,
                e.employer_uscc,
                e.employer_name,
                e.title,
                e.years,
                e.home_centre.code,
                "1" if e.shared else "0",
            ]
        )
    return out


def pool_export(*, actor: Any, fmt: str) -> tuple[bytes, str]:
    """The pool as CSV or XLSX (ID and phone masked): (content, content type)."""
    from ggzy.experts.selectors import pool_search

    qs = pool_search(actor)
    rows = _export_rows(qs)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(COLUMNS)
        w.writerows(rows)
        return buf.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "experts"
        ws.append(COLUMNS)
        for r in rows:
            ws.append(r)
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    raise DomainError(ErrorCode.VALIDATION, "导出格式应为 csv 或 xlsx", field="format")
