"""Reads of the rules: the contract other apps (tendering, auctions, …) code against.

* :func:`ruleset_for` — the rule set in force for a trade type at a moment, as a typed,
  frozen :class:`~ggzy.rules.ruleset.RuleSetView` whose ``label`` (``works.open@2026.1``) a
  tender stores and cites in its ledger entries.
* :func:`calendar` — the working-day table as a pure :class:`~ggzy.rules.timecalc.Calendar`.
* :func:`check_min_period` / :func:`check_within_period` — refuse a time that breaks a rule,
  with a Chinese message citing the rule version and its legal basis.
"""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType
from typing import Any

from django.db.models import QuerySet

from ggzy import clock
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.rules import timecalc
from ggzy.rules.models import CalendarDay, DayKind, RuleSet, RuleSetStatus, TradeType
from ggzy.rules.ruleset import RuleSetView, days_text, parse_content, sentence
from ggzy.rules.schema import SPECS, Kind
from ggzy.rules.timecalc import Calendar, DayUnit

__all__ = [  # the contract other apps import (RuleSetView, Calendar, DayUnit re-exported)
    "Calendar",
    "DayUnit",
    "RuleSetView",
    "calendar",
    "calendar_days",
    "calendar_gaps",
    "check_min_period",
    "check_within_period",
    "current_rulesets",
    "deal_class_for",
    "latest_start_for",
    "min_period_end",
    "period_end_for",
    "publication_entry",
    "ruleset_for",
    "ruleset_get",
    "ruleset_row",
    "ruleset_row_for",
    "rulesets_of",
    "trade_type_get",
    "trade_types",
    "view_of",
]

# A view is fully determined by these fields (the content by its hash), so parsed views can be
# shared whatever row they came from — primary keys may be reused after a rollback.
_ViewKey = tuple[str, str, str, str, dt.datetime | None]
_VIEWS: dict[_ViewKey, RuleSetView] = {}
_VIEWS_MAX = 512


def trade_types(active_only: bool = True) -> QuerySet[TradeType]:
    qs = TradeType.objects.all()
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("sort_order", "code")


def trade_type_get(code: str) -> TradeType:
    tt = TradeType.objects.filter(code=code).first()
    if tt is None:
        raise DomainError(ErrorCode.TRADE_TYPE_NOT_FOUND, detail={"code": code})
    return tt


def deal_class_for(trade_type_code: str) -> str:
    """The unified-deal-code class (统一交易标识码分类代码, e.g. A01, D01, B01) of a type.

    Only the classes DOMAIN §2.1 could verify are filled in; other types raise
    ``DomainError(RULE_NOT_APPLICABLE)`` until centre staff set theirs from the national
    《公共资源交易分类》 table.
    """
    tt = trade_type_get(trade_type_code)
    if not tt.data_spec_class:
        raise DomainError(
            ErrorCode.RULE_NOT_APPLICABLE,
            f"交易类型 {trade_type_code} 尚未配置统一交易标识码分类代码",
            detail={"trade_type": trade_type_code},
        )
    return tt.data_spec_class


def view_of(row: RuleSet) -> RuleSetView:
    """The typed view of a stored rule set (published or retired)."""
    key = (row.trade_type.code, row.version, row.status, row.content_sha256, row.effective_from)
    cached = _VIEWS.get(key)
    if cached is not None:
        return cached
    parsed = parse_content(row.content)
    assert row.effective_from is not None
    values = {name: getattr(parsed, name) for name in parsed.__dataclass_fields__}
    view = RuleSetView(
        **values,
        trade_type_code=row.trade_type.code,
        version=row.version,
        sha256=row.content_sha256,
        effective_from=row.effective_from,
        status=row.status,
        content=MappingProxyType(dict(row.content)),
    )
    if len(_VIEWS) >= _VIEWS_MAX:
        _VIEWS.clear()
    _VIEWS[key] = view
    return view


def ruleset_row_for(trade_type_code: str, at: dt.datetime | None = None) -> RuleSet:
    """The published RuleSet row in force at ``at`` (default now)."""
    when = clock.now() if at is None else at
    if when.tzinfo is None:
        raise DomainError(ErrorCode.VALIDATION, "时间须带时区", field="at")
    row = (
        RuleSet.objects.select_related("trade_type")
        .filter(
            trade_type__code=trade_type_code,
            status=RuleSetStatus.PUBLISHED,
            effective_from__lte=when,
        )
        .order_by("-effective_from", "-id")
        .first()
    )
    if row is None:
        trade_type_get(trade_type_code)  # unknown type → TRADE_TYPE_NOT_FOUND
        raise DomainError(
            ErrorCode.RULESET_MISSING,
            f"交易类型 {trade_type_code} 在 {_local(when)} 没有生效的交易规则",
            detail={"trade_type": trade_type_code, "at": when.isoformat()},
        )
    return row


def ruleset_for(trade_type_code: str, at: dt.datetime | None = None) -> RuleSetView:
    """The published rule set in force at ``at`` (default now): the latest
    ``effective_from <= at``. Raises ``DomainError(RULESET_MISSING)`` when none is."""
    return view_of(ruleset_row_for(trade_type_code, at))


def ruleset_row(trade_type_code: str, version: str, *, include_drafts: bool = False) -> RuleSet:
    qs = RuleSet.objects.select_related("trade_type", "published_by").filter(
        trade_type__code=trade_type_code, version=version
    )
    if not include_drafts:
        qs = qs.exclude(status=RuleSetStatus.DRAFT)
    row = qs.first()
    if row is None:
        raise DomainError(
            ErrorCode.RULESET_NOT_FOUND,
            detail={"trade_type": trade_type_code, "version": version},
        )
    return row


def ruleset_get(trade_type_code: str, version: str) -> RuleSetView:
    """A given published (or since retired) version — what a tender created under it uses."""
    return view_of(ruleset_row(trade_type_code, version))


def rulesets_of(trade_type_code: str) -> QuerySet[RuleSet]:
    """Published and retired versions of a type, newest effective first."""
    return (
        RuleSet.objects.select_related("trade_type")
        .filter(trade_type__code=trade_type_code)
        .exclude(status=RuleSetStatus.DRAFT)
        .order_by("-effective_from", "-id")
    )


def current_rulesets(at: dt.datetime | None = None) -> dict[str, RuleSet]:
    """Trade-type code → the published rule set in force at ``at`` (types without one omitted)."""
    when = clock.now() if at is None else at
    rows = (
        RuleSet.objects.select_related("trade_type")
        .filter(status=RuleSetStatus.PUBLISHED, effective_from__lte=when)
        .order_by("trade_type_id", "-effective_from", "-id")
    )
    found: dict[str, RuleSet] = {}
    for row in rows:
        found.setdefault(row.trade_type.code, row)
    return found


def publication_entry(row: RuleSet) -> Any:
    """The ledger entry that recorded this rule set's publication (None for drafts)."""
    from ggzy.ledger.models import Entry

    return (
        Entry.objects.filter(
            event_type="rules:ruleset:published",
            subject_type=RuleSet._meta.label_lower,
            subject_id=str(row.pk),
        )
        .order_by("id")
        .first()
    )


# ---- calendar ---------------------------------------------------------------------------------


def calendar() -> timecalc.Calendar:
    """The working-day table as it stands now (read fresh: edits show at once)."""
    holidays: list[dt.date] = []
    workdays: list[dt.date] = []
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        (holidays if kind == DayKind.HOLIDAY else workdays).append(day)
    return timecalc.Calendar.build(holidays=holidays, adjusted_workdays=workdays)


def calendar_days(year: int | None = None) -> QuerySet[CalendarDay]:
    qs = CalendarDay.objects.all()
    if year is not None:
        qs = qs.filter(date__year=year)
    return qs.order_by("date")


def calendar_gaps(first: dt.date, last: dt.date) -> list[int]:
    """The years from ``first`` to ``last`` that the holiday table has no day for: periods
    ending in them count weekends only until staff enter the State Council's schedule."""
    years = range(first.year, last.year + 1)
    covered = set(
        CalendarDay.objects.filter(date__year__in=list(years)).values_list("date__year", flat=True)
    )
    return [y for y in years if y not in covered]


# ---- checking times against a rule ------------------------------------------------------------


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(timecalc.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _days_rule(rule: RuleSetView, key: str) -> tuple[int, timecalc.DayUnit]:
    spec = SPECS.get(key)
    if spec is None or spec.kind is not Kind.DAYS:
        raise DomainError(
            ErrorCode.RULE_NOT_APPLICABLE,
            f"“{key}”不是以日计的规则项",
            detail={"key": key, "rule": rule.label},
        )
    days = rule.get(key)
    if days is None:
        raise DomainError(
            ErrorCode.RULE_NOT_APPLICABLE,
            f"规则 {rule.label} 没有“{spec.label}”（{key}）这一项",
            detail={"key": key, "rule": rule.label},
        )
    return int(days), rule.unit(key)


def _cite(rule: RuleSetView, key: str) -> str:
    basis = rule.basis_for(key)
    return f"（规则 {rule.label} {key}；{basis}）" if basis else f"（规则 {rule.label} {key}）"


def min_period_end(
    rule: RuleSetView, key: str, start: dt.datetime, *, cal: timecalc.Calendar | None = None
) -> dt.datetime:
    """The earliest end a minimum period ``key`` (不得少于N日) allows after ``start``."""
    days, unit = _days_rule(rule, key)
    return timecalc.earliest_deadline(start, days, unit, cal or calendar())


def period_end_for(
    rule: RuleSetView, key: str, start: dt.datetime, *, cal: timecalc.Calendar | None = None
) -> dt.datetime:
    """The last instant of a time limit ``key`` (N日内) triggered at ``start``."""
    days, unit = _days_rule(rule, key)
    return timecalc.period_end(start, days, unit, cal or calendar())


def latest_start_for(
    rule: RuleSetView, key: str, end: dt.datetime, *, cal: timecalc.Calendar | None = None
) -> dt.datetime:
    """The latest moment an act counted back from ``end`` may happen (e.g. an objection
    ``objection_docs_days_before_deadline`` before the bid deadline ``end``)."""
    days, unit = _days_rule(rule, key)
    return timecalc.latest_start(end, days, unit, cal or calendar())


def check_min_period(
    rule: RuleSetView,
    key: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    cal: timecalc.Calendar | None = None,
) -> None:
    """Refuse ``end`` if it comes before the minimum period ``key`` counted from ``start`` ends.

    Raises ``DomainError(PERIOD_TOO_SHORT)`` whose message cites the rule, e.g.
    "投标截止时间距招标文件发出之日不得少于20日（规则 works.open@2026.1 bid_period_min_days；
    招标投标法第二十四条）", with ``detail`` = key, required and actual days, earliest allowed end.
    """
    days, unit = _days_rule(rule, key)
    table = cal or calendar()
    earliest = timecalc.earliest_deadline(start, days, unit, table)
    if end >= earliest:
        return
    actual = timecalc.days_between(start, end, unit, table)
    raise DomainError(
        ErrorCode.PERIOD_TOO_SHORT,
        sentence(rule, key) + _cite(rule, key),
        detail={
            "key": key,
            "rule": rule.label,
            "basis": rule.basis_for(key),
            "unit": unit.value,
            "required_days": days,
            "actual_days": actual,
            "start": start.astimezone(dt.UTC).isoformat(),
            "end": end.astimezone(dt.UTC).isoformat(),
            "earliest_end": earliest.isoformat(),
            "earliest_end_local": _local(earliest),
        },
    )


def check_within_period(
    rule: RuleSetView,
    key: str,
    start: dt.datetime,
    at: dt.datetime,
    *,
    cal: timecalc.Calendar | None = None,
) -> None:
    """Refuse an act at ``at`` that comes after the time limit ``key`` from ``start`` ended
    (``DomainError(PERIOD_EXPIRED)``)."""
    days, unit = _days_rule(rule, key)
    deadline = timecalc.period_end(start, days, unit, cal or calendar())
    if at <= deadline:
        return
    raise DomainError(
        ErrorCode.PERIOD_EXPIRED,
        f"已超过期限：{sentence(rule, key)}，期限截至 {_local(deadline)}" + _cite(rule, key),
        detail={
            "key": key,
            "rule": rule.label,
            "basis": rule.basis_for(key),
            "unit": unit.value,
            "days": days,
            "deadline": deadline.isoformat(),
            "at": at.astimezone(dt.UTC).isoformat(),
        },
    )


def describe_days(rule: RuleSetView, key: str) -> str:
    days, unit = _days_rule(rule, key)
    return days_text(days, unit)
