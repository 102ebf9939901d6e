"""The national data spec (公共资源交易平台系统数据规范) as data, and the outbound pre-flight
validator that checks a row against it. Pure: imports no Django.

The field lists come from ``shared/data/data-spec/v3-fields.txt`` / ``v4-fields.txt`` (the
validator configuration of a provincial receiver, DOMAIN.md §9). :func:`parse_fields_txt`
turns one of those files into :class:`TableSpec` objects; the result for the numbered national
tables is bundled as ``data/dataspec.json`` (rebuilt with ``ggzy opendata spec-build``) so the
exporter never hard-codes a field, a length or a mandatory flag.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

BUNDLED = Path(__file__).resolve().parent / "data" / "dataspec.json"

# Code lists named by EnumMatch validators (DOMAIN.md §0.3, [V-code] EnumMatchFieldValidator.cs).
ENUMS: dict[str, frozenset[str]] = {
    "TRUE_OR_FALSE": frozenset({"0", "1"}),
    "CQ_TRUE_OR_FALSE": frozenset({"F", "T"}),
    "PRICE_UNIT": frozenset({"0", "1"}),
    "PRICE_FORM_CODE": frozenset({"1", "2", "3", "9"}),
    "RELATE_CODE": frozenset({"0", "1"}),
}

_HEADER = re.compile(r"^### (\S+) (\S+) (.+?) \[")
_DATE_FORMATS = {"yyyyMMddHHmmss": "%Y%m%d%H%M%S", "yyyyMMddhhmmss": "%Y%m%d%H%M%S"}
_DATE_FORMATS["yyyyMMdd"] = "%Y%m%d"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    mandatory: bool = False
    length: int | None = None  # fixed length (len=N)
    max_length: int | None = None  # maxN
    date_format: str | None = None  # DateMatch Format
    enum: str | None = None  # EnumMatch EnumType
    domain: str | None = None  # dom:N (a code set of the spec; not checked here)
    integer_figures: int | None = None  # NumberMatch
    decimal_figures: int | None = None
    area_code: bool = False  # AreaCodeMatch (GB/T 2260)
    unique: bool = False
    immutable: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, False)}


@dataclass(frozen=True)
class TableSpec:
    code: str  # dataset number ("503") or the provincial name when it has none
    name: str  # TENDER_ANN_QUA_INQUERY_ANN
    label: str  # 招标公告与资格预审公告
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "label": self.label,
            "fields": [f.as_dict() for f in self.fields],
        }


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside (), [] and {}."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        ch = text[i]
        if ch in "([{（":
            depth += 1
        elif ch in ")]}）":
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i + len(sep)
            i = start
            continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def parse_field(item: str) -> FieldSpec:
    """``NAME(中文名)[M,len=20,DateMatch:{...}]`` → :class:`FieldSpec`."""
    bracket = item.rindex("[")
    head, attrs = item[:bracket], item[bracket + 1 : -1]
    name, _, label = head.partition("(")
    kw: dict[str, Any] = {"name": name.strip(), "label": label[:-1] if label else ""}
    for attr in _split_top(attrs, ","):
        if attr == "M":
            kw["mandatory"] = True
        elif attr.startswith("len="):
            kw["length"] = int(attr[4:])
        elif re.fullmatch(r"max\d+", attr):
            kw["max_length"] = int(attr[3:])
        elif attr.startswith("dom:"):
            kw["domain"] = attr[4:]
        else:
            key, _, raw = attr.partition(":")
            arg = json.loads(raw) if raw.startswith("{") else {}
            if key == "DateMatch":
                kw["date_format"] = arg.get("Format")
            elif key == "EnumMatch":
                kw["enum"] = arg.get("EnumType")
            elif key == "NumberMatch":
                kw["integer_figures"] = arg.get("IntegerFigures")
                kw["decimal_figures"] = arg.get("DecimalFigures")
            elif key == "AreaCodeMatch":
                kw["area_code"] = True
            elif key == "UniqueValue":
                kw["unique"] = True
            elif key == "CannotModify":
                kw["immutable"] = True
    return FieldSpec(**kw)


def parse_fields_txt(text: str) -> list[TableSpec]:
    """Every table block of a ``vN-fields.txt`` file."""
    tables: list[TableSpec] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if not m:
            continue
        number, name, label = m.groups()
        body = lines[i + 1].strip() if i + 1 < len(lines) else ""
        fields = tuple(parse_field(item) for item in _split_top(body, "; "))
        tables.append(
            TableSpec(
                code=name if number == "None" else number, name=name, label=label, fields=fields
            )
        )
    return tables


def build_bundle(sources: dict[str, str]) -> dict[str, Any]:
    """``{"v3": text, "v4": text}`` → the bundled JSON: the numbered national tables only."""
    return {
        "source": "shared/data/data-spec (lishanling/GGZY DataConfig V3/V4, see SOURCE.md)",
        "versions": {
            version: {t.code: t.as_dict() for t in parse_fields_txt(text) if t.code.isdigit()}
            for version, text in sorted(sources.items())
        },
    }


def _table_from_dict(raw: dict[str, Any]) -> TableSpec:
    return TableSpec(
        code=raw["code"],
        name=raw["name"],
        label=raw["label"],
        fields=tuple(FieldSpec(**f) for f in raw["fields"]),
    )


@cache
def load(version: str = "v3") -> dict[str, TableSpec]:
    """The bundled tables of spec ``version`` by dataset number."""
    raw = json.loads(BUNDLED.read_text(encoding="utf-8"))
    return {code: _table_from_dict(t) for code, t in raw["versions"][version].items()}


# ---- formatting and validation --------------------------------------------------------


def fmt_datetime(value: dt.datetime | None, tz: dt.tzinfo) -> str:
    """``yyyyMMddHHmmss`` in local (Asia/Shanghai) time; "" for None."""
    return value.astimezone(tz).strftime("%Y%m%d%H%M%S") if value else ""


def fmt_date(value: dt.date | None) -> str:
    return value.strftime("%Y%m%d") if value else ""


def fmt_decimal(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class Issue:
    """One violation: ``kind`` is mandatory | length | max_length | date | enum | number."""

    field: str
    kind: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "kind": self.kind, "message": self.message}


def _number_ok(value: str, spec: FieldSpec) -> bool:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return False
    if not number.is_finite():
        return False
    whole, _, frac = format(abs(number), "f").partition(".")
    frac = frac.rstrip("0")
    if spec.integer_figures is not None and len(whole.lstrip("0") or "0") > spec.integer_figures:
        return False
    return not (len(frac) > (spec.decimal_figures or 0))


def check_value(spec: FieldSpec, value: str) -> list[Issue]:  # noqa: PLR0911 - one rule each
    """Violations of one field's rules by ``value`` (already formatted as text)."""
    if value == "":
        if spec.mandatory:
            return [Issue(spec.name, "mandatory", f"{spec.label}（{spec.name}）为必填项")]
        return []
    if spec.length is not None and len(value) != spec.length:
        return [
            Issue(spec.name, "length", f"{spec.label}长度应为 {spec.length}，实际 {len(value)}")
        ]
    if spec.max_length is not None and len(value) > spec.max_length:
        return [
            Issue(
                spec.name,
                "max_length",
                f"{spec.label}超过最大长度 {spec.max_length}（{len(value)}）",
            )
        ]
    if spec.date_format:
        pattern = _DATE_FORMATS.get(spec.date_format)
        try:
            if pattern is None or len(value) != len(spec.date_format):
                raise ValueError(value)
            dt.datetime.strptime(value, pattern)  # noqa: DTZ007 - a format check, not a time
        except ValueError:
            return [Issue(spec.name, "date", f"{spec.label}应为 {spec.date_format} 格式")]
    if spec.enum and spec.enum in ENUMS and value not in ENUMS[spec.enum]:
        return [Issue(spec.name, "enum", f"{spec.label}不在代码表 {spec.enum} 中")]
    if spec.area_code and not re.fullmatch(r"\d{6}", value):
        return [Issue(spec.name, "area", f"{spec.label}应为 6 位行政区划代码")]
    if (spec.integer_figures is not None or spec.decimal_figures is not None) and not _number_ok(
        value, spec
    ):
        return [Issue(spec.name, "number", f"{spec.label}数字位数不符合规范")]
    return []


def validate_row(table: TableSpec, row: dict[str, str]) -> list[Issue]:
    issues: list[Issue] = []
    for spec in table.fields:
        issues.extend(check_value(spec, row.get(spec.name, "")))
    return issues


def dump_bundle(bundle: dict[str, Any]) -> str:
    """Stable text of the bundle: one table per line, so a diff shows which table changed."""
    out = ['{"source": ' + json.dumps(bundle["source"], ensure_ascii=False) + ', "versions": {']
    versions = sorted(bundle["versions"].items())
    for vi, (version, tables) in enumerate(versions):
        out.append(f' "{version}": {{')
        items = sorted(tables.items(), key=lambda kv: (len(kv[0]), kv[0]))
        for ti, (code, table) in enumerate(items):
            comma = "," if ti < len(items) - 1 else ""
            out.append(
                f'  "{code}": {json.dumps(table, ensure_ascii=False, sort_keys=True)}{comma}'
            )
        out.append(" }" + ("," if vi < len(versions) - 1 else ""))
    out.append("}}")
    return "\n".join(out) + "\n"
