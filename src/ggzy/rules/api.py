"""Rules API (统一制度规则): the catalogue, the rules in force, deadlines and the calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from ggzy import clock
from ggzy.core.auth import request_user
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.rules import selectors, services
from ggzy.rules.models import Category, RuleSet
from ggzy.rules.ruleset import sentence
from ggzy.rules.schema import SPECS, Kind, Sense
from ggzy.rules.schemas import (
    CalendarOut,
    DayIn,
    DayOut,
    DeadlineOut,
    RuleSetIn,
    RuleSetOut,
    TradeTypeOut,
)
from ggzy.rules.timecalc import LOCAL_TZ

router = Router(tags=["rules 交易规则"])


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """A time without offset is Beijing time."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=LOCAL_TZ)


def _ruleset_out(row: RuleSet) -> dict[str, Any]:
    entry = selectors.publication_entry(row)
    return {
        "trade_type": row.trade_type.code,
        "version": row.version,
        "label": row.label,
        "status": row.status,
        "effective_from": row.effective_from,
        "published_at": row.published_at,
        "sha256": row.content_sha256,
        "content": row.content,
        "ledger_entry_id": entry.pk if entry else None,
        "receipt_url": f"/api/v1/ledger/entries/{entry.pk}/receipt" if entry else None,
    }


@router.get("/trade-types", response=list[TradeTypeOut], summary="交易目录 Trade types")
def list_trade_types(request: HttpRequest, include_inactive: bool = False) -> list[dict[str, Any]]:
    current = selectors.current_rulesets()
    labels = dict(Category.choices)
    return [
        {
            "code": t.code,
            "name": t.name,
            "name_en": t.name_en,
            "category": t.category,
            "category_label": labels[t.category],
            "data_spec_class": t.data_spec_class,
            "active": t.active,
            "current_version": current[t.code].version if t.code in current else None,
        }
        for t in selectors.trade_types(active_only=not include_inactive)
    ]


@router.get(
    "/trade-types/{code}/ruleset",
    response=RuleSetOut,
    summary="现行规则 Rule set in force",
    description="The published rule set in force at `at` (default now), with its SHA-256 and "
    "the ledger entry that recorded it.",
)
def current_ruleset(request: HttpRequest, code: str, at: dt.datetime | None = None) -> Any:
    return _ruleset_out(selectors.ruleset_row_for(code, _aware(at)))


@router.get(
    "/trade-types/{code}/deadline",
    response=DeadlineOut,
    summary="期限计算 Deadline for a rule",
    description="For a minimum period (sense=min, e.g. bid_period_min_days) the earliest "
    "allowed end after `start`; for a time limit (sense=within) its last instant. Day counting "
    "per 民法典 Arts 201–203 with the holiday/调休 table.",
)
def deadline(
    request: HttpRequest,
    code: str,
    key: str,
    start: dt.datetime,
    at: dt.datetime | None = None,
) -> dict[str, Any]:
    begin = _aware(start)
    assert begin is not None
    spec = SPECS.get(key)
    if spec is None or spec.kind is not Kind.DAYS:
        raise DomainError(ErrorCode.RULE_NOT_APPLICABLE, f"“{key}”不是以日计的规则项", field="key")
    rule = selectors.ruleset_for(code, _aware(at) or begin)
    if spec.sense is Sense.WITHIN:
        end = selectors.period_end_for(rule, key, begin)
    else:
        end = selectors.min_period_end(rule, key, begin)
    return {
        "rule": rule.label,
        "key": key,
        "days": rule.get(key),
        "unit": rule.unit(key).value,
        "sense": (spec.sense or Sense.MIN).value,
        "sentence": sentence(rule, key),
        "basis": rule.basis_for(key),
        "start": begin.astimezone(dt.UTC),
        "end": end,
        "end_local": end.astimezone(LOCAL_TZ).isoformat(timespec="seconds"),
    }


@router.get("/rulesets/{trade_type}/{version}", response=RuleSetOut, summary="规则版本 Version")
def get_ruleset(request: HttpRequest, trade_type: str, version: str) -> Any:
    return _ruleset_out(selectors.ruleset_row(trade_type, version))


@router.post(
    "/rulesets",
    response={201: RuleSetOut},
    summary="发布规则新版本 Publish a version (centre staff)",
)
def publish_ruleset(request: HttpRequest, body: RuleSetIn) -> Status[Any]:
    row = services.ruleset_publish(
        actor=request_user(request),
        trade_type=body.trade_type,
        version=body.version,
        content=body.content,
        effective_from=_aware(body.effective_from),
    )
    return Status(201, _ruleset_out(row))


@router.get("/calendar", response=CalendarOut, summary="节假日与调休 Holiday calendar")
def get_calendar(
    request: HttpRequest,
    year: int | None = Query(None, ge=2000, le=2100),  # type: ignore[type-arg]
) -> dict[str, Any]:
    which = year or clock.now().astimezone(LOCAL_TZ).year
    days = list(selectors.calendar_days(which))
    return {
        "year": which,
        "covered": bool(days),
        "sha256": services.calendar_sha256(),
        "days": days,
    }


@router.post("/calendar", response=DayOut, summary="设置节假日或调休 Set a day (centre staff)")
def set_calendar_day(request: HttpRequest, body: DayIn) -> Any:
    return services.calendar_day_set(
        actor=request_user(request), date=body.date, kind=body.kind, name=body.name
    )


@router.delete(
    "/calendar/{day}",
    response={204: None},
    summary="删除节假日或调休 Remove a day (centre staff)",
)
def remove_calendar_day(request: HttpRequest, day: dt.date) -> HttpResponse:
    services.calendar_day_remove(actor=request_user(request), date=day)
    return HttpResponse(status=204)
