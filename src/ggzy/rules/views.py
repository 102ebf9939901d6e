"""Rules pages: what a bidder wants to know (各类交易的法定时限) and the staff calendar."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ggzy import clock
from ggzy.accounts.permissions import is_centre_staff
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.rules import selectors, services
from ggzy.rules.forms import CalendarDayForm, DeadlineForm
from ggzy.rules.models import Category, DayKind
from ggzy.rules.ruleset import RuleSetView, render_value, sentence
from ggzy.rules.schema import KEYS, Group, Kind, Sense
from ggzy.rules.timecalc import LOCAL_TZ
from ggzy.web.forms import attach_error

# the time limits shown in the catalogue overview, in this order, when a type has them
SUMMARY_KEYS = (
    "bid_period_min_days",
    "doc_period_min_days",
    "announcement_period_min_days",
    "announcement_min_days",
    "listing_min_days",
    "clarification_min_days",
    "candidate_publicity_min_days",
    "contract_days",
)


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "web/error.html", {"error": exc}, status=exc.status)


def index(request: HttpRequest) -> HttpResponse:
    """交易目录与法定时限: every active trade type, grouped by category, with its main limits."""
    current = selectors.current_rulesets()
    labels = dict(Category.choices)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for tt in selectors.trade_types():
        row = current.get(tt.code)
        rule = selectors.view_of(row) if row is not None else None
        limits = []
        if rule is not None:
            limits = [
                (key, sentence(rule, key)) for key in SUMMARY_KEYS if rule.get(key) is not None
            ][:3]
        groups[labels[tt.category]].append({"type": tt, "rule": rule, "limits": limits})
    return render(request, "rules/index.html", {"groups": dict(groups)})


def _table(rule: RuleSetView) -> list[tuple[str, list[dict[str, str]]]]:
    rows: dict[Group, list[dict[str, str]]] = defaultdict(list)
    for spec in KEYS:
        if rule.get(spec.name) is None:
            continue
        rows[spec.group].append(
            {
                "key": spec.name,
                "label": spec.label,
                "value": render_value(rule, spec.name),
                "sentence": sentence(rule, spec.name),
                "basis": rule.basis_for(spec.name),
            }
        )
    return [(group.value, rows[group]) for group in Group if rows[group]]


def detail(request: HttpRequest, code: str) -> HttpResponse:
    """One trade type's rules in force, with their legal basis and a deadline calculator."""
    try:
        tt = selectors.trade_type_get(code)
        row = selectors.ruleset_row_for(code)
    except DomainError as exc:
        return _error(request, exc)
    rule = selectors.view_of(row)
    keys = [
        (s.name, f"{s.label}（{render_value(rule, s.name)}）")
        for s in KEYS
        if s.kind is Kind.DAYS and rule.get(s.name) is not None
    ]
    form = DeadlineForm(request.GET if "key" in request.GET else None, keys=keys)
    result = None
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            start = form.cleaned_data["start"]
            start = start if start.tzinfo else start.replace(tzinfo=LOCAL_TZ)
            key = form.cleaned_data["key"]
            spec = next(s for s in KEYS if s.name == key)
            try:
                if spec.sense is Sense.WITHIN:
                    end = selectors.period_end_for(rule, key, start)
                else:
                    end = selectors.min_period_end(rule, key, start)
            except DomainError as exc:
                status = attach_error(form, exc)
            else:
                status = 200
                result = {
                    "sentence": sentence(rule, key),
                    "within": spec.sense is Sense.WITHIN,
                    "end": end.astimezone(LOCAL_TZ),
                }
    entry = selectors.publication_entry(row)
    context = {
        "tt": tt,
        "rule": rule,
        "row": row,
        "table": _table(rule),
        "entry": entry,
        "form": form,
        "result": result,
        "history": selectors.rulesets_of(code),
    }
    return render(request, "rules/detail.html", context, status=status)


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = clock.now().astimezone(LOCAL_TZ).year
    return min(max(year, 2000), 2100)


@require_http_methods(["GET", "POST"])
def calendar_page(request: HttpRequest) -> HttpResponse:
    """节假日与调休: public to read; centre staff add, change and remove days (with entries)."""
    staff = is_centre_staff(request.user)
    form = CalendarDayForm(request.POST if request.POST.get("action") == "set" else None)
    status = 200
    if request.method == "POST":
        if not staff:
            message = "只有交易中心工作人员可以修改节假日表"
            return _error(request, DomainError(ErrorCode.PERMISSION_DENIED, message))
        action = request.POST.get("action")
        if action == "remove":
            try:
                day = dt.date.fromisoformat(request.POST.get("date", ""))
                services.calendar_day_remove(actor=request.user, date=day)  # type: ignore[arg-type]
            except ValueError:
                return _error(request, DomainError(ErrorCode.CALENDAR_DAY_INVALID, field="date"))
            except DomainError as exc:
                return _error(request, exc)
            messages.success(request, _("已删除 %(date)s") % {"date": day.isoformat()})
            return redirect(f"{request.path}?year={day.year}")
        status = 400
        if form.is_valid():
            try:
                row = services.calendar_day_set(
                    actor=request.user,  # type: ignore[arg-type]
                    **form.cleaned_data,
                )
            except DomainError as exc:
                status = attach_error(form, exc)
            else:
                messages.success(request, _("已保存 %(day)s") % {"day": str(row)})
                return redirect(f"{request.path}?year={row.date.year}")
    year = _year(request)
    if form.is_bound:  # show the year of the day just submitted
        with contextlib.suppress(ValueError):
            year = min(max(dt.date.fromisoformat(str(form.data.get("date"))).year, 2000), 2100)
    days = list(selectors.calendar_days(year))
    context = {
        "year": year,
        "days": days,
        "holidays": sum(1 for d in days if d.kind == DayKind.HOLIDAY),
        "workdays": sum(1 for d in days if d.kind == DayKind.ADJUSTED_WORKDAY),
        "staff": staff,
        "form": form,
        "years": [year - 1, year + 1],
    }
    return render(request, "rules/calendar.html", context, status=status)
