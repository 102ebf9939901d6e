"""Every write to the catalogue, the rule sets and the calendar. Each service checks the actor,
validates everything before writing, and records a ledger entry in the same transaction.

Publishing a rule set records ``rules:ruleset:published`` with the content and its SHA-256 over
canonical JSON: that entry is how a rule version is "hashed onto the ledger".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction

from ggzy import clock, ledger
from ggzy.accounts.models import User
from ggzy.accounts.permissions import Perm, require
from ggzy.core.canonical import canonical_json
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.rules.models import (
    CalendarDay,
    Category,
    DayKind,
    RuleSet,
    RuleSetStatus,
    TradeType,
)
from ggzy.rules.ruleset import parse_content

DATA_DIR = Path(__file__).resolve().parent / "data"
SEED_TRADE_TYPES = DATA_DIR / "trade_types.json"
SEED_RULESETS = DATA_DIR / "rulesets.json"
SEED_CALENDAR = DATA_DIR / "calendar-2025-2026.json"

# Centre staff hold every Perm; this one is what centre-managed reference data uses today.
# (Proposed to the lead: a dedicated Perm.RULES_WRITE = "rules:ruleset:write".)
RULES_WRITE = Perm.REGISTRY_MEMBERSHIP_GRANT

_CODE = re.compile(r"^[a-z][a-z_]{0,19}(\.[a-z][a-z_]{0,19}){1,2}$")
_SPEC_CLASS = re.compile(r"^[A-Z]\d{2}$")
_VERSION = re.compile(r"^\d{1,4}(\.[0-9A-Za-z]{1,6}){0,3}$")


@dataclass(frozen=True)
class SystemActor:
    """A trusted program acting without a user (``ggzy rules load`` run by the operator)."""

    name: str

    @property
    def ref(self) -> str:
        return f"system:{self.name}"


Actor = User | SystemActor | None


def _authorise(actor: Actor) -> None:
    if isinstance(actor, SystemActor):
        return
    require(actor, RULES_WRITE)


def _who(actor: Actor) -> Any:
    return actor.ref if isinstance(actor, SystemActor) else actor


def content_sha256(content: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of a rule set's content."""
    return hashlib.sha256(canonical_json(dict(content))).hexdigest()


def calendar_sha256() -> str:
    """SHA-256 of the working-day table as it stands (dates and kinds; names do not count)."""
    rows = [
        [d.isoformat(), k]
        for d, k in CalendarDay.objects.order_by("date").values_list("date", "kind")
    ]
    return hashlib.sha256(canonical_json(rows)).hexdigest()


# ---- trade types (交易目录) -------------------------------------------------------------------


@dataclass(frozen=True)
class _TypeFields:
    code: str
    name: str
    name_en: str
    category: str
    data_spec_class: str
    description: str
    sort_order: int
    active: bool


def _type_fields(item: Mapping[str, Any]) -> _TypeFields:
    if not isinstance(item, Mapping):
        raise DomainError(ErrorCode.TRADE_TYPE_INVALID, "交易类型应为 JSON 对象")
    code = str(item.get("code", "")).strip()
    if not _CODE.match(code):
        raise DomainError(
            ErrorCode.TRADE_TYPE_INVALID,
            f"交易类型编码“{code}”不正确（小写字母，以点分隔，如 works.open）",
            field="code",
        )
    allowed = set(_TypeFields.__dataclass_fields__)
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise DomainError(
            ErrorCode.TRADE_TYPE_INVALID, f"{code}：未知字段 {', '.join(unknown)}", field=unknown[0]
        )
    name = str(item.get("name", "")).strip()
    if not name or len(name) > 100:
        raise DomainError(ErrorCode.TRADE_TYPE_INVALID, f"{code}：请填写名称（不超过 100 字）")
    category = item.get("category")
    if category not in Category.values:
        raise DomainError(ErrorCode.TRADE_TYPE_INVALID, f"{code}：类别无效", field="category")
    spec_class = str(item.get("data_spec_class", "")).strip()
    if spec_class and not _SPEC_CLASS.match(spec_class):
        raise DomainError(
            ErrorCode.TRADE_TYPE_INVALID,
            f"{code}：交易分类代码应为一个大写字母加两位数字（如 A01、B01）",
            field="data_spec_class",
        )
    sort_order = item.get("sort_order", 0)
    if type(sort_order) is not int or sort_order < 0:
        raise DomainError(ErrorCode.TRADE_TYPE_INVALID, f"{code}：排序应为非负整数")
    active = item.get("active", True)
    if not isinstance(active, bool):
        raise DomainError(ErrorCode.TRADE_TYPE_INVALID, f"{code}：启用应为 true 或 false")
    return _TypeFields(
        code=code,
        name=name,
        name_en=str(item.get("name_en", "")).strip()[:100],
        category=str(category),
        data_spec_class=spec_class,
        description=str(item.get("description", "")).strip(),
        sort_order=sort_order,
        active=active,
    )


def trade_type_create(*, actor: Actor, **fields: Any) -> TradeType:
    """Add one entry to the trading catalogue (交易目录)."""
    _authorise(actor)
    spec = _type_fields(fields)
    if TradeType.objects.filter(code=spec.code).exists():
        raise DomainError(ErrorCode.CONFLICT, f"交易类型 {spec.code} 已存在", field="code")
    try:
        with transaction.atomic():
            return _create_type(actor, spec)
    except IntegrityError as exc:
        raise DomainError(ErrorCode.CONFLICT, f"交易类型 {spec.code} 已存在") from exc


def _create_type(actor: Actor, spec: _TypeFields) -> TradeType:
    tt = TradeType.objects.create(**spec.__dict__, created_at=clock.now())
    ledger.record("rules:trade_type:created", tt, _who(actor), dict(spec.__dict__))
    return tt


def trade_types_load(*, actor: Actor, data: Iterable[Mapping[str, Any]]) -> list[str]:
    """Create the catalogue entries of ``data`` that do not exist yet (idempotent).

    All entries are checked before anything is written; returns the codes created.
    """
    _authorise(actor)
    specs = [_type_fields(item) for item in data]
    codes = [s.code for s in specs]
    if len(set(codes)) != len(codes):
        raise DomainError(ErrorCode.TRADE_TYPE_INVALID, "交易类型编码重复")
    existing = set(TradeType.objects.filter(code__in=codes).values_list("code", flat=True))
    created: list[str] = []
    try:
        with transaction.atomic():
            for spec in specs:
                if spec.code not in existing:
                    _create_type(actor, spec)
                    created.append(spec.code)
    except IntegrityError as exc:  # loaded concurrently
        raise DomainError(ErrorCode.CONFLICT) from exc
    return created


def trade_type_set_active(*, actor: Actor, code: str, active: bool) -> TradeType:
    """启用/停用 a catalogue entry. Rule sets stay readable either way."""
    _authorise(actor)
    tt = TradeType.objects.filter(code=code).first()
    if tt is None:
        raise DomainError(ErrorCode.TRADE_TYPE_NOT_FOUND, detail={"code": code})
    with transaction.atomic():
        changed = TradeType.objects.filter(pk=tt.pk, active=not active).update(active=active)
        if changed != 1:
            raise DomainError(ErrorCode.CONFLICT, "该交易类型已处于此状态")
        tt.active = active
        ledger.record(
            f"rules:trade_type:{'activated' if active else 'deactivated'}",
            tt,
            _who(actor),
            {"code": code, "active": active},
        )
    return tt


# ---- rule sets (规则集) -----------------------------------------------------------------------


def _trade_type(value: str | TradeType) -> TradeType:
    if isinstance(value, TradeType):
        return value
    tt = TradeType.objects.filter(code=value).first()
    if tt is None:
        raise DomainError(ErrorCode.TRADE_TYPE_NOT_FOUND, detail={"code": value})
    return tt


def _check_version(version: str) -> str:
    version = version.strip()
    if not _VERSION.match(version):
        raise DomainError(
            ErrorCode.RULESET_INVALID,
            "版本号格式不正确（如 2026.1）",
            field="version",
            detail={"version": version},
        )
    return version


def _check_aware(value: Any, name: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise DomainError(ErrorCode.VALIDATION, "时间须带时区", field=name)
    return value


def ruleset_draft_save(
    *, actor: Actor, trade_type: str | TradeType, version: str, content: Any
) -> RuleSet:
    """Create or replace a draft (草稿). Published and retired versions are immutable."""
    _authorise(actor)
    tt = _trade_type(trade_type)
    version = _check_version(version)
    parse_content(content)
    digest = content_sha256(content)
    now = clock.now()
    existing = RuleSet.objects.filter(trade_type=tt, version=version).first()
    if existing is not None and existing.status != RuleSetStatus.DRAFT:
        raise DomainError(ErrorCode.RULESET_IMMUTABLE, detail={"label": existing.label})
    try:
        with transaction.atomic():
            if existing is None:
                rs = RuleSet.objects.create(
                    trade_type=tt,
                    version=version,
                    content=content,
                    content_sha256=digest,
                    status=RuleSetStatus.DRAFT,
                    created_at=now,
                )
            else:
                changed = RuleSet.objects.filter(pk=existing.pk, status=RuleSetStatus.DRAFT).update(
                    content=content, content_sha256=digest
                )
                if changed != 1:
                    raise DomainError(ErrorCode.RULESET_IMMUTABLE)
                rs = RuleSet.objects.get(pk=existing.pk)
            ledger.record(
                "rules:ruleset:drafted",
                rs,
                _who(actor),
                {"trade_type": tt.code, "version": version, "content_sha256": digest},
                rule_version=rs.label,
            )
    except IntegrityError as exc:
        raise DomainError(ErrorCode.RULESET_VERSION_EXISTS) from exc
    return rs


def ruleset_publish(
    *,
    actor: Actor,
    trade_type: str | TradeType,
    version: str,
    content: Any,
    effective_from: dt.datetime | None = None,
    retroactive: bool = False,
) -> RuleSet:
    """Publish ``version`` of a trade type's rules, in force from ``effective_from`` (default now).

    The content is validated, hashed (SHA-256 of canonical JSON) and recorded on the ledger with
    the hash. ``effective_from`` may not lie in the past — that would change which rules were in
    force for acts already done — unless ``retroactive`` (first load of a new installation).
    A draft of the same version is published in place; any other existing version is refused.
    """
    _authorise(actor)
    tt = _trade_type(trade_type)
    version = _check_version(version)
    parse_content(content)
    now = clock.now()
    effective = now if effective_from is None else _check_aware(effective_from, "effective_from")
    if effective < now and not retroactive:
        raise DomainError(
            ErrorCode.RULESET_EFFECTIVE_PAST,
            field="effective_from",
            detail={"effective_from": effective.isoformat(), "now": now.isoformat()},
        )
    digest = content_sha256(content)
    existing = RuleSet.objects.filter(trade_type=tt, version=version).first()
    if existing is not None and existing.status != RuleSetStatus.DRAFT:
        raise DomainError(
            ErrorCode.RULESET_VERSION_EXISTS, field="version", detail={"label": existing.label}
        )
    if RuleSet.objects.filter(
        trade_type=tt, status=RuleSetStatus.PUBLISHED, effective_from=effective
    ).exists():
        raise DomainError(ErrorCode.RULESET_EFFECTIVE_CONFLICT, field="effective_from")
    user = actor if isinstance(actor, User) else None
    system = actor.name if isinstance(actor, SystemActor) else ""
    published = {
        "content": content,
        "content_sha256": digest,
        "status": RuleSetStatus.PUBLISHED,
        "effective_from": effective,
        "published_at": now,
        "published_by": user,
        "published_by_system": system,
    }
    try:
        with transaction.atomic():
            if existing is None:
                rs = RuleSet.objects.create(
                    trade_type=tt, version=version, created_at=now, **published
                )
            else:
                changed = RuleSet.objects.filter(pk=existing.pk, status=RuleSetStatus.DRAFT).update(
                    **published
                )
                if changed != 1:
                    raise DomainError(ErrorCode.RULESET_VERSION_EXISTS, field="version")
                rs = RuleSet.objects.get(pk=existing.pk)
            ledger.record(
                "rules:ruleset:published",
                rs,
                _who(actor),
                {
                    "trade_type": tt.code,
                    "version": version,
                    "label": rs.label,
                    "content_sha256": digest,
                    "effective_from": effective,
                    "retroactive": effective < now,
                    "content": content,
                },
                rule_version=rs.label,
            )
    except IntegrityError as exc:
        if (
            RuleSet.objects.filter(trade_type=tt, version=version)
            .exclude(status=RuleSetStatus.DRAFT)
            .exists()
        ):
            raise DomainError(ErrorCode.RULESET_VERSION_EXISTS, field="version") from exc
        raise DomainError(ErrorCode.RULESET_EFFECTIVE_CONFLICT, field="effective_from") from exc
    return rs


def ruleset_retire(
    *, actor: Actor, trade_type: str | TradeType, version: str, reason: str
) -> RuleSet:
    """废止 a published version that has not taken effect yet (a scheduled change withdrawn).

    Rules already in force are never retired — that would rewrite which rules applied in the
    past; publish a new version instead.
    """
    _authorise(actor)
    tt = _trade_type(trade_type)
    reason = reason.strip()
    if not reason:
        raise DomainError(ErrorCode.VALIDATION, "请填写废止原因", field="reason")
    rs = RuleSet.objects.filter(trade_type=tt, version=version.strip()).first()
    if rs is None or rs.status == RuleSetStatus.DRAFT:
        raise DomainError(ErrorCode.RULESET_NOT_FOUND, detail={"trade_type": tt.code})
    now = clock.now()
    if (
        rs.status != RuleSetStatus.PUBLISHED
        or rs.effective_from is None
        or rs.effective_from <= now
    ):
        raise DomainError(
            ErrorCode.RULESET_IMMUTABLE,
            "已生效或已废止的规则不能废止，请发布新版本取代",
            detail={"label": rs.label},
        )
    with transaction.atomic():
        changed = RuleSet.objects.filter(
            pk=rs.pk, status=RuleSetStatus.PUBLISHED, effective_from__gt=now
        ).update(status=RuleSetStatus.RETIRED, retired_at=now)
        if changed != 1:
            raise DomainError(ErrorCode.CONFLICT)
        rs.refresh_from_db()
        ledger.record(
            "rules:ruleset:retired",
            rs,
            _who(actor),
            {"label": rs.label, "content_sha256": rs.content_sha256, "reason": reason},
            rule_version=rs.label,
        )
    return rs


@dataclass
class LoadReport:
    trade_types: list[str] = field(default_factory=list)
    rulesets: list[str] = field(default_factory=list)
    effective_now: list[str] = field(default_factory=list)  # seed date was past: in force now
    calendar_days: int = 0


def _parse_when(value: Any, where: str) -> dt.datetime:
    if not isinstance(value, str):
        raise DomainError(ErrorCode.RULESET_INVALID, f"{where}：effective_from 应为 ISO 8601 时间")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise DomainError(
            ErrorCode.RULESET_INVALID, f"{where}：effective_from 不是有效的 ISO 8601 时间"
        ) from exc
    if parsed.tzinfo is None:
        raise DomainError(ErrorCode.RULESET_INVALID, f"{where}：effective_from 须带时区")
    return parsed


def rulesets_load(
    *, actor: Actor, data: Iterable[Mapping[str, Any]], report: LoadReport | None = None
) -> list[str]:
    """Publish the versions of ``data`` that do not exist yet (idempotent); returns their labels.

    ``data`` items: ``{"trade_type", "version", "effective_from" (ISO 8601), "content"}``. A
    type's first published versions keep their (past) seed dates; a new version for a type that
    already has rules in force takes effect now if its seed date has passed.
    """
    _authorise(actor)
    report = report if report is not None else LoadReport()
    items: list[tuple[str, str, dt.datetime, Any]] = []
    for item in data:
        if not isinstance(item, Mapping):
            raise DomainError(ErrorCode.RULESET_INVALID, "规则集条目应为 JSON 对象")
        code = str(item.get("trade_type", ""))
        version = _check_version(str(item.get("version", "")))
        where = f"{code}@{version}"
        unknown = sorted(set(item) - {"trade_type", "version", "effective_from", "content"})
        if unknown:
            raise DomainError(ErrorCode.RULESET_INVALID, f"{where}：未知字段 {', '.join(unknown)}")
        content = item.get("content")
        try:
            parse_content(content)
        except DomainError as exc:
            exc.message = f"{where}：{exc.message}"
            raise
        items.append((code, version, _parse_when(item.get("effective_from"), where), content))
    labels = [(code, version) for code, version, *_ in items]
    if len(set(labels)) != len(labels):
        raise DomainError(ErrorCode.RULESET_INVALID, "规则集数据中有重复的版本")
    codes = {code for code, *_ in items}
    known = set(TradeType.objects.filter(code__in=codes).values_list("code", flat=True))
    missing = sorted(codes - known)
    if missing:
        raise DomainError(ErrorCode.TRADE_TYPE_NOT_FOUND, f"未找到交易类型：{', '.join(missing)}")
    had_rules = set(
        RuleSet.objects.filter(trade_type__code__in=codes, status=RuleSetStatus.PUBLISHED)
        .values_list("trade_type__code", flat=True)
        .distinct()
    )
    existing = set(
        RuleSet.objects.filter(trade_type__code__in=codes)
        .exclude(status=RuleSetStatus.DRAFT)
        .values_list("trade_type__code", "version")
    )
    now = clock.now()
    published: list[str] = []
    with transaction.atomic():
        for code, version, seed_date, content in sorted(items, key=lambda i: (i[0], i[2])):
            if (code, version) in existing:
                continue
            first_load = code not in had_rules
            effective = seed_date
            if seed_date < now and not first_load:
                effective = now
                report.effective_now.append(f"{code}@{version}")
            rs = ruleset_publish(
                actor=actor,
                trade_type=code,
                version=version,
                content=content,
                effective_from=effective,
                retroactive=first_load,
            )
            published.append(rs.label)
    report.rulesets.extend(published)
    return published


# ---- calendar (节假日与调休) -----------------------------------------------------------------


def calendar_day_check(day: Any, kind: Any, name: Any) -> tuple[dt.date, str, str]:
    """Validate one calendar day (used by the service, and by forms to show errors early)."""
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise DomainError(ErrorCode.CALENDAR_DAY_INVALID, "日期格式不正确", field="date")
    if kind not in DayKind.values:
        raise DomainError(
            ErrorCode.CALENDAR_DAY_INVALID,
            "类型应为 holiday（法定节假日）或 adjusted_workday（调休上班日）",
            field="kind",
        )
    name = str(name or "").strip()
    if not name or len(name) > 50:
        raise DomainError(
            ErrorCode.CALENDAR_DAY_INVALID, "请填写名称（不超过 50 字，如 国庆节）", field="name"
        )
    if kind == DayKind.ADJUSTED_WORKDAY and day.weekday() < 5:
        raise DomainError(
            ErrorCode.CALENDAR_DAY_INVALID,
            f"{day.isoformat()} 本来就是工作日，调休上班日应为周六或周日",
            field="date",
        )
    return day, str(kind), name


def _subject(day: dt.date) -> tuple[str, str]:
    return ("rules.calendarday", day.isoformat())


def calendar_day_set(*, actor: Actor, date: dt.date, kind: str, name: str) -> CalendarDay:
    """Mark ``date`` as a holiday or an adjusted workday (or change its kind/name)."""
    _authorise(actor)
    day, kind, name = calendar_day_check(date, kind, name)
    existing = CalendarDay.objects.filter(date=day).first()
    if existing is not None and existing.kind == kind and existing.name == name:
        return existing  # nothing changes, nothing to record
    now = clock.now()
    try:
        with transaction.atomic():
            if existing is None:
                row = CalendarDay.objects.create(date=day, kind=kind, name=name, updated_at=now)
                previous = None
            else:
                changed = CalendarDay.objects.filter(
                    pk=existing.pk, kind=existing.kind, name=existing.name
                ).update(kind=kind, name=name, updated_at=now)
                if changed != 1:
                    raise DomainError(ErrorCode.CONFLICT)
                previous = {"kind": existing.kind, "name": existing.name}
                row = CalendarDay.objects.get(pk=existing.pk)
            ledger.record(
                "rules:calendar_day:set",
                _subject(day),
                _who(actor),
                {
                    "date": day,
                    "kind": kind,
                    "name": name,
                    "previous": previous,
                    "calendar_sha256": calendar_sha256(),
                },
            )
    except IntegrityError as exc:
        raise DomainError(ErrorCode.CONFLICT) from exc
    return row


def calendar_day_remove(*, actor: Actor, date: dt.date) -> None:
    """Return ``date`` to the plain week (weekday working, weekend rest)."""
    _authorise(actor)
    if isinstance(date, dt.datetime) or not isinstance(date, dt.date):
        raise DomainError(ErrorCode.CALENDAR_DAY_INVALID, "日期格式不正确", field="date")
    existing = CalendarDay.objects.filter(date=date).first()
    if existing is None:
        raise DomainError(ErrorCode.CALENDAR_DAY_NOT_FOUND, detail={"date": date.isoformat()})
    with transaction.atomic():
        deleted, _ = CalendarDay.objects.filter(pk=existing.pk, kind=existing.kind).delete()
        if deleted != 1:
            raise DomainError(ErrorCode.CONFLICT)
        ledger.record(
            "rules:calendar_day:removed",
            _subject(date),
            _who(actor),
            {
                "date": date,
                "previous": {"kind": existing.kind, "name": existing.name},
                "calendar_sha256": calendar_sha256(),
            },
        )


def calendar_load(
    *, actor: Actor, data: Iterable[Mapping[str, Any]], report: LoadReport | None = None
) -> int:
    """Add the days of ``data`` not in the table yet (idempotent; staff edits are kept).

    ``data`` items: ``{"date": "2026-10-01", "kind": "holiday", "name": "国庆节"}``. One ledger
    entry lists the days added and the resulting calendar hash.
    """
    _authorise(actor)
    rows: list[tuple[dt.date, str, str]] = []
    for item in data:
        if not isinstance(item, Mapping) or set(item) - {"date", "kind", "name"}:
            raise DomainError(ErrorCode.CALENDAR_DAY_INVALID, "日历条目应为 {date, kind, name}")
        try:
            day = dt.date.fromisoformat(str(item.get("date")))
        except ValueError as exc:
            raise DomainError(
                ErrorCode.CALENDAR_DAY_INVALID, f"日期格式不正确：{item.get('date')}"
            ) from exc
        rows.append(calendar_day_check(day, item.get("kind"), item.get("name")))
    dates = [r[0] for r in rows]
    if len(set(dates)) != len(dates):
        raise DomainError(ErrorCode.CALENDAR_DAY_INVALID, "日历数据中有重复日期")
    existing = set(CalendarDay.objects.filter(date__in=dates).values_list("date", flat=True))
    new = [r for r in rows if r[0] not in existing]
    if not new:
        return 0
    now = clock.now()
    try:
        with transaction.atomic():
            CalendarDay.objects.bulk_create(
                [CalendarDay(date=d, kind=k, name=n, updated_at=now) for d, k, n in new]
            )
            ledger.record(
                "rules:calendar:loaded",
                ("rules.calendar", "table"),
                _who(actor),
                {
                    "days": [{"date": d, "kind": k, "name": n} for d, k, n in sorted(new)],
                    "calendar_sha256": calendar_sha256(),
                },
            )
    except IntegrityError as exc:
        raise DomainError(ErrorCode.CONFLICT) from exc
    if report is not None:
        report.calendar_days += len(new)
    return len(new)


def _read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def seed_load(*, actor: Actor) -> LoadReport:
    """Load the shipped catalogue, rule sets and 2025–2026 calendar (``ggzy rules load``)."""
    _authorise(actor)
    report = LoadReport()
    types = _read_json(SEED_TRADE_TYPES)["trade_types"]
    rulesets = _read_json(SEED_RULESETS)["rulesets"]
    days = _read_json(SEED_CALENDAR)["days"]
    with transaction.atomic():
        report.trade_types = trade_types_load(actor=actor, data=types)
        rulesets_load(actor=actor, data=rulesets, report=report)
        calendar_load(actor=actor, data=days, report=report)
    return report
