"""Map one raw record to ``project_register`` arguments, checking every field against the
data spec (table 500 PROJECT): required, lengths, shapes, money, dates, approval data and the
legal person (项目法人) in the registry. Field names are the data-spec names; Chinese header
aliases and snake_case keys are accepted (docs/projects.md lists them)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ggzy import clock
from ggzy.core.errors import MESSAGES, ErrorCode
from ggzy.registry import identifiers as ids
from ggzy.registry.models import EntityStatus, Organization

_LOCAL = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Spec:
    """One PROJECT (500) field: length (< 0 = exact), required, ``project_register`` keyword
    (``""`` = checked, not stored), Chinese header aliases."""

    label: str
    length: int
    required: bool
    target: str
    aliases: tuple[str, ...]


_T, _F = True, False
# fmt: off
_TABLE: tuple[tuple[str, str, int, bool, str, str], ...] = (
    ("SOURCE_REF", "来源记录号", 200, _F, "", "来源记录号 记录号 RECORD_ID ID"),
    ("PROJECT_CODE", "项目编号", 17, _F, "", "项目编号"),
    ("PROJECT_NAME", "项目名称", 600, _T, "name", "项目名称"),
    ("REGION_CODE", "项目所在行政区域代码", -6, _T, "region_code",
     "项目所在行政区域代码 行政区域代码 行政区划代码 区划代码"),
    ("RELATE_CODE", "项目类别关联代码", -1, _F, "", "项目类别关联代码"),
    ("INVEST_PROJECT_CODE", "投资项目统一代码", -24, _F, "invest_project_code",
     "投资项目统一代码 项目代码"),
    ("ADDRESS", "项目地址", 2000, _T, "address", "项目地址"),
    ("LEGAL_PERSON", "项目法人", 200, _F, "", "项目法人 项目法人名称"),
    ("LEGAL_PERSON_CODE", "项目法人统一社会信用代码", 0, _T, "",
     "项目法人统一社会信用代码 项目法人代码 项目法人信用代码"),
    ("CLASS_VER_CODE", "分类版本代码", -1, _F, "", "分类版本代码"),
    ("INDUSTRIES_TYPE", "项目行业分类", -3, _T, "industries_type", "项目行业分类 行业分类"),
    ("FUND_SOURCE", "资金来源", 1000, _T, "fund_source", "资金来源"),
    ("CONTRIBUTION_SCALE", "出资比例", 1000, _F, "", "出资比例"),
    ("PROJECT_SCALE", "项目规模", 4000, _T, "project_scale", "项目规模"),
    ("CONTACTOR", "联系人", 100, _T, "contactor", "联系人"),
    ("CONTACT_INFORMATION", "联系方式", 100, _T, "contact_information", "联系方式 联系电话"),
    ("APPROVAL_NAME", "项目审批文件名称", 500, _T, "approval_name",
     "项目审批文件名称 审批文件名称"),
    ("APPROVAL_NUMBER", "项目审批文号", 100, _F, "approval_number", "项目审批文号 审批文号"),
    ("APPROVAL_AUTHORITY", "项目审批单位", 200, _F, "approval_authority",
     "项目审批单位 审批单位 审批机关"),
    ("APPROVAL_DATE", "审批日期", 0, _F, "", "审批日期 审批时间"),
    ("APPROVAL_RESULT", "审批结果", 2000, _F, "approval_result", "审批结果 招标方案核准结果"),
    ("BUDGET", "项目预算", 0, _F, "", "项目预算 投资估算 总投资 项目总投资 TOTAL_INVESTMENT"),
    ("PRICE_UNIT", "金额单位", -1, _F, "", "金额单位"),
    ("CREATE_TIME", "项目建立时间", 0, _F, "", "项目建立时间"),
    ("OPERATION_NAME", "信息录入人员", 200, _F, "", "信息录入人员"),
)
# fmt: on
FIELDS: dict[str, Spec] = {
    key: Spec(label, length, required, target, tuple(aliases.split()))
    for key, label, length, required, target, aliases in _TABLE
}
#: Exchange envelope fields every data-spec table carries; accepted and ignored silently.
ENVELOPE = frozenset(
    {"PLATFORM_CODE", "PUB_SERVICE_PLAT_CODE", "DATA_TIMESTAMP", "TRADE_PLAT", "PUB_SERVICE_PLAT"}
)
ALIASES: dict[str, str] = {a: key for key, spec in FIELDS.items() for a in spec.aliases}


def _timestamp_ok(text: str) -> bool:
    try:
        dt.datetime.strptime(text, "%Y%m%d%H%M%S")  # noqa: DTZ007 - only the shape is checked
    except ValueError:
        return False
    return len(text) == 14


_INDUSTRY = re.compile(r"^[A-T]\d{2}$")  # GB/T 4754 门类 letter + 2-digit 大类
_INVEST_CODE = re.compile(r"^\d{4}-[0-9A-Z-]{19}$")
#: Shape checks after the length check: field → (test, code, message).
_CHECKS: dict[str, tuple[Callable[[str], object], ErrorCode, str]] = {
    "REGION_CODE": (
        ids.is_valid_region_code,
        ErrorCode.REGION_CODE_INVALID,
        MESSAGES[ErrorCode.REGION_CODE_INVALID],
    ),
    "RELATE_CODE": ({"0", "1"}.__contains__, ErrorCode.IMPORT_FIELD_FORMAT, "应为 0 或 1"),
    "INDUSTRIES_TYPE": (
        _INDUSTRY.match,
        ErrorCode.IMPORT_FIELD_FORMAT,
        "应为门类字母加两位大类代码，如 E48",
    ),
    "INVEST_PROJECT_CODE": (
        _INVEST_CODE.match,
        ErrorCode.IMPORT_FIELD_FORMAT,
        "应为 24 位，如 2024-620402-48-01-000123",
    ),
    "CLASS_VER_CODE": (str.isdigit, ErrorCode.IMPORT_FIELD_FORMAT, "应为 1 位数字"),
    "PRICE_UNIT": (
        {"0", "1"}.__contains__,
        ErrorCode.IMPORT_FIELD_FORMAT,
        "应为 0（元）或 1（万元）",
    ),
    "CREATE_TIME": (_timestamp_ok, ErrorCode.IMPORT_DATE_INVALID, "应为 yyyyMMddHHmmss"),
}
_PLAIN_NUMBER = re.compile(r"^(\d+)(?:\.(\d+))?$")
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_REFUSED_RESULT = ("不予", "未予", "不同意")
#: Service argument → data-spec field, for errors raised by the service itself.
SERVICE_FIELDS = {
    "name": "PROJECT_NAME",
    "region_code": "REGION_CODE",
    "budget": "BUDGET",
    "invest_project_code": "INVEST_PROJECT_CODE",
    "source_ref": "SOURCE_REF",
}


@dataclass(frozen=True)
class FieldIssue:
    field: str | None  # data-spec field name; None = the record as a whole
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass
class Mapped:
    """A raw record turned into ``project_register`` arguments, or the reasons it cannot be."""

    source_ref: str = ""
    kwargs: dict[str, Any] = field(default_factory=dict)
    errors: list[FieldIssue] = field(default_factory=list)
    warnings: list[FieldIssue] = field(default_factory=list)
    ignored: set[str] = field(default_factory=set)

    def fail(self, name: str | None, code: ErrorCode, message: str | None = None) -> None:
        self.errors.append(FieldIssue(name, code.value, message or MESSAGES[code]))


def canonical_key(key: str) -> str:
    k = str(key).strip().lstrip("\ufeff")
    if k in ALIASES:
        return ALIASES[k]
    upper = re.sub(r"[\s-]+", "_", k).upper()
    return ALIASES.get(upper, upper)


def _text(value: Any) -> str | None:
    """Strings, numbers and booleans as text; None for nested values."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str | int | Decimal | float):
        return str(value).strip()
    return None


def parse_date(text: str) -> dt.date | None:
    """``yyyyMMdd`` or ``yyyy-MM-dd`` (``yyyy/M/d`` from spreadsheets too)."""
    for pattern, fmt in (
        (r"\d{8}", "%Y%m%d"),
        (r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d"),
        (r"\d{4}/\d{1,2}/\d{1,2}", "%Y/%m/%d"),
    ):
        if re.fullmatch(pattern, text):
            try:
                return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date only
            except ValueError:
                return None
    return None


def parse_money(text: str, unit: str = "0") -> Decimal | None:
    """Plain decimal, > 0, at most 14 integer and 6 decimal digits (NumberMatch 14/6), in 元;
    ``unit`` 1 = the text is in 万元."""
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    m = _PLAIN_NUMBER.match(text)
    if not m or len(m.group(1).lstrip("0")) > 14 or len(m.group(2) or "") > 6:
        return None
    value = Decimal(text) * (10_000 if unit == "1" else 1)
    return value if 0 < value < Decimal(10) ** 14 else None


class Mapper:
    """Per-field validation of PROJECT (500) records; caches registry lookups for one run."""

    def __init__(self) -> None:
        self._orgs: dict[str, Organization | None] = {}
        self.today = clock.now().astimezone(_LOCAL).date()

    def _org(self, uscc: str) -> Organization | None:
        if uscc not in self._orgs:
            self._orgs[uscc] = Organization.objects.filter(uscc=uscc).first()
        return self._orgs[uscc]

    def fields_of(self, raw: Mapping[Any, Any], out: Mapped) -> dict[str, str]:
        values: dict[str, str] = {}
        for key, value in raw.items():
            name = canonical_key(key)
            if name == "_EXTRA":
                if any(str(v).strip() for v in value or []):
                    out.ignored.add("(多余的列)")
                continue
            if name not in FIELDS:
                if name not in ENVELOPE:
                    out.ignored.add(str(key).strip())
                continue
            text = _text(value)
            label = FIELDS[name].label
            if text is None:
                out.fail(name, ErrorCode.IMPORT_FIELD_FORMAT, f"{label}应为文本或数字")
            elif text and values.get(name, text) != text:
                out.fail(name, ErrorCode.IMPORT_FIELD_FORMAT, f"{label}重复出现且取值不同")
            elif text:
                values[name] = text
        return values

    def map(self, raw: Any) -> Mapped:
        out = Mapped()
        if not isinstance(raw, Mapping):
            out.fail(None, ErrorCode.IMPORT_FIELD_FORMAT, "记录应为 JSON 对象（键值对）")
            return out
        v = self.fields_of(raw, out)
        ref = v.get("SOURCE_REF") or v.get("INVEST_PROJECT_CODE") or v.get("PROJECT_CODE", "")
        out.source_ref = ref if len(ref) <= FIELDS["SOURCE_REF"].length else ""  # no dedup on it
        unusable = {e.field for e in out.errors}  # nested values, conflicting duplicates
        for name, spec in FIELDS.items():
            if name not in unusable:
                self._field(name, spec, v.get(name, ""), out)
        if not ref:
            out.fail("SOURCE_REF", ErrorCode.IMPORT_FIELD_REQUIRED, "缺少来源记录号（SOURCE_REF）")
        self._rules(v, out)
        self._legal_person(v, out)
        return out

    def _field(self, name: str, spec: Spec, value: str, out: Mapped) -> None:
        """Required, length (data spec), then shape; a good value goes to the kwargs."""
        if not value:
            if spec.required:
                out.fail(name, ErrorCode.IMPORT_FIELD_REQUIRED, f"请填写{spec.label}（{name}）")
            return
        check = _CHECKS.get(name)
        if spec.length > 0 and len(value) > spec.length:
            message = f"{spec.label}不能超过 {spec.length} 个字符"
            out.fail(name, ErrorCode.IMPORT_FIELD_TOO_LONG, message)
        elif spec.length < 0 and len(value) != -spec.length:
            code = check[1] if check and check[1] != ErrorCode.IMPORT_DATE_INVALID else None
            out.fail(
                name, code or ErrorCode.IMPORT_FIELD_FORMAT, f"{spec.label}应为 {-spec.length} 位"
            )
        elif check and not check[0](value):
            message = check[2] if name == "REGION_CODE" else f"{spec.label}{check[2]}"
            out.fail(name, check[1], message)
        elif spec.target:
            out.kwargs[spec.target] = value

    def _rules(self, v: dict[str, str], out: Mapped) -> None:
        """Rules across fields: fixed-asset projects, money, approval (实施条例 Art 7)."""
        if v.get("RELATE_CODE") == "1" and not v.get("INVEST_PROJECT_CODE"):
            message = "固定资产投资项目（RELATE_CODE=1）须填写投资项目统一代码"
            out.fail("INVEST_PROJECT_CODE", ErrorCode.IMPORT_FIELD_REQUIRED, message)
        if v.get("BUDGET"):
            unit = v.get("PRICE_UNIT", "0")
            budget = parse_money(v["BUDGET"], unit if unit in {"0", "1"} else "0")
            if budget is None:
                out.fail("BUDGET", ErrorCode.IMPORT_MONEY_INVALID)
            else:
                out.kwargs["budget"] = budget
        if v.get("APPROVAL_DATE"):
            day = parse_date(v["APPROVAL_DATE"])
            if day is None:
                out.fail("APPROVAL_DATE", ErrorCode.IMPORT_DATE_INVALID)
            elif day > self.today:
                out.fail("APPROVAL_DATE", ErrorCode.IMPORT_DATE_INVALID, "审批日期不能晚于今天")
            else:
                out.kwargs["approval_date"] = day
        if v.get("APPROVAL_NUMBER") and not v.get("APPROVAL_AUTHORITY"):
            message = "填写了审批文号时须填写项目审批单位"
            out.fail("APPROVAL_AUTHORITY", ErrorCode.IMPORT_FIELD_REQUIRED, message)
        if v.get("APPROVAL_RESULT", "").startswith(_REFUSED_RESULT):
            out.fail("APPROVAL_RESULT", ErrorCode.PROJECT_NOT_APPROVED)

    def _legal_person(self, v: dict[str, str], out: Mapped) -> None:
        code = ids.normalise_uscc(v.get("LEGAL_PERSON_CODE", ""))
        if not code:
            return
        org = self._org(code) if ids.is_valid_uscc(code) else None
        if not ids.is_valid_uscc(code):
            out.fail("LEGAL_PERSON_CODE", ErrorCode.USCC_INVALID)
        elif org is None:
            out.fail("LEGAL_PERSON_CODE", ErrorCode.ENTITY_NOT_FOUND, "项目法人未在市场主体库注册")
        elif org.status != EntityStatus.ACTIVE:
            out.fail("LEGAL_PERSON_CODE", ErrorCode.PROJECT_LEGAL_PERSON_INACTIVE)
        else:
            out.kwargs["legal_person"] = org
            name = v.get("LEGAL_PERSON", "")
            if name and name != org.name:
                message = f"项目法人名称与主体库不一致，以主体库为准：{org.name}"
                out.warnings.append(
                    FieldIssue("LEGAL_PERSON", "legal_person_name_differs", message)
                )
