"""Public disclosure pages (no login): notices with filters, a project's public history and its
catalogue status, search, Atom feeds, subscriptions, statistics. Thin: selectors for reads,
services for the few writes (subscriptions)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ggzy import clock
from ggzy.accounts.permissions import is_centre_staff
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.disclosure import catalogue, search, selectors, services, stats
from ggzy.disclosure.models import Channel, Reminder, Stage, Subscription, SubscriptionStatus

View = Callable[..., HttpResponse]


def _errors_as_pages(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            return render(request, "web/error.html", {"error": exc}, status=exc.status)

    return wrapper


def trade_type_names() -> dict[str, str]:
    from ggzy.rules.models import TradeType

    return dict(TradeType.objects.values_list("code", "name"))


STAGE_LABELS = dict(Stage.choices)


def _rows(items: list[Any], names: dict[str, str]) -> list[dict[str, Any]]:
    """Display fields computed once in Python (cheaper than template tags per row)."""
    base = reverse("disclosure:notices")
    projects = reverse("disclosure:project", args=["-"])[:-2]
    out = []
    for n in items:
        local = n.published_at.astimezone(selectors.LOCAL)
        out.append(
            {
                "n": n,
                "url": f"{base}{n.pk}/",
                "project_url": f"{projects}{quote(n.project_code or n.subject_code)}/",
                "stage_label": STAGE_LABELS.get(n.stage, n.stage),
                "tt_name": names.get(n.trade_type, n.trade_type),
                "iso": local.isoformat(),
                "when": f"{local:%Y-%m-%d %H:%M}",
            }
        )
    return out


def _base_context(request: HttpRequest, f: selectors.Filters) -> dict[str, Any]:
    names = trade_type_names()
    return {
        "filters": f,
        "stages": Stage.choices,
        "trade_types": sorted(names.items()),
        "tt_names": names,
        "query": f.as_query(),
    }


@require_GET
@_errors_as_pages
def notice_list(request: HttpRequest) -> HttpResponse:
    f = selectors.parse_filters(request.GET)
    if f.q:
        return HttpResponseRedirect(reverse("disclosure:search") + "?" + request.GET.urlencode())
    page = selectors.notice_page(f, request.GET.get("cursor") or None)
    ctx = _base_context(request, f)
    ctx.update(page=page, rows=_rows(page.items, ctx["tt_names"]))
    template = "disclosure/notice_list.html"
    if getattr(request, "htmx", False):
        template += "#results"
    return render(request, template, ctx, status=400 if f.errors else 200)


@require_GET
@_errors_as_pages
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.notice_get(pk)
    history = selectors.project_history(notice.project_code or notice.subject_code)
    return render(
        request,
        "disclosure/notice_detail.html",
        {"notice": notice, "history": history, "tt_names": trade_type_names()},
    )


@require_GET
@_errors_as_pages
def project_page(request: HttpRequest, code: str) -> HttpResponse:
    history = selectors.project_history(code)
    status = selectors.catalogue_status(history)
    return render(
        request,
        "disclosure/project.html",
        {
            "code": code,
            "history": history,
            "catalogue": status,
            "labels": catalogue.STATE_LABELS,
            "tt_names": trade_type_names(),
        },
    )


@require_GET
def catalogue_page(request: HttpRequest) -> HttpResponse:
    data = catalogue.load()
    names = trade_type_names()
    types = [
        (code, names.get(code, spec["name"]), catalogue.items_for(code))
        for code, spec in data["trade_types"].items()
    ]
    stage_names = dict(Stage.choices)
    return render(
        request,
        "disclosure/catalogue.html",
        {
            "types": types,
            "basis": data["basis"],
            "version": data["version"],
            "stage_names": stage_names,
        },
    )


@require_GET
def catalogue_json(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        json.dumps(catalogue.load(), ensure_ascii=False, indent=1),
        content_type="application/json; charset=utf-8",
    )


@require_GET
@_errors_as_pages
def alerts(request: HttpRequest) -> HttpResponse:
    if not is_centre_staff(request.user):
        raise DomainError(ErrorCode.PERMISSION_DENIED, "公开逾期提醒仅交易中心工作人员可见")
    return render(
        request,
        "disclosure/alerts.html",
        {"alerts": selectors.overdue_alerts(), "now": clock.now()},
    )


@require_GET
@_errors_as_pages
def search_page(request: HttpRequest) -> HttpResponse:
    f = selectors.parse_filters(request.GET)
    try:
        page_no = int(request.GET.get("page") or 1)
    except ValueError:
        page_no = 1
    result = selectors.notice_search(f, page_no) if f.q else None
    hits = []
    if result is not None:
        for row in _rows(result.items, {}):
            n = row["n"]
            hits.append(
                {
                    **row,
                    "notice": n,
                    "title": mark_safe(search.highlight(n.title, result.query, whole=True)),  # noqa: S308 - escaped piecewise in highlight()
                    "snippet": mark_safe(search.highlight(n.body_text, result.query)),  # noqa: S308
                }
            )
    ctx = {**_base_context(request, f), "result": result, "hits": hits}
    return render(request, "disclosure/search.html", ctx, status=400 if f.errors else 200)


@require_GET
@_errors_as_pages
def atom_feed(request: HttpRequest) -> HttpResponse:
    f = selectors.parse_filters(request.GET)
    if f.errors:
        raise DomainError(ErrorCode.VALIDATION, detail=f.errors)
    items = selectors.notice_search(f).items if f.q else selectors.notice_page(f).items
    base = request.build_absolute_uri("/").rstrip("/")
    feed = Atom1Feed(
        title=f"{_('公告')} · {_describe(f)}",
        link=base + reverse("disclosure:notices"),
        description=_("公共资源交易公告"),
        feed_url=request.build_absolute_uri(),
        language="zh-hans",
        feed_guid=base
        + reverse("disclosure:feed")
        + ("?" + request.GET.urlencode() if request.GET else ""),
    )
    for n in items:
        url = base + reverse("disclosure:notice", args=[n.pk])
        feed.add_item(
            title=n.title,
            link=url,
            description=f"{n.get_stage_display()} · {n.subject_code}",
            unique_id=f"tag:ggzy,2026:notice/{n.pk}",
            pubdate=n.published_at,
            updateddate=n.published_at,
            categories=[n.stage, n.trade_type, n.region_code],
        )
    return HttpResponse(
        feed.writeString("utf-8"), content_type="application/atom+xml; charset=utf-8"
    )


def _describe(f: selectors.Filters) -> str:
    stage_names = dict(Stage.choices)
    parts = [
        f.q,
        trade_type_names().get(f.trade_type, f.trade_type),
        str(stage_names.get(f.stage, "")),
        f.region_code,
    ]
    return " · ".join(p for p in parts if p) or _("全部")


# --------------------------------------------------------------------------- subscriptions


@require_http_methods(["GET", "POST"])
@_errors_as_pages
def subscriptions(request: HttpRequest) -> HttpResponse:
    names = trade_type_names()
    ctx: dict[str, Any] = {"trade_types": sorted(names.items()), "form": {}, "error": None}
    status = 200
    if request.method == "POST":
        form = {
            k: request.POST.get(k, "")
            for k in (
                "channel",
                "email",
                "webhook_url",
                "keyword",
                "trade_type",
                "region_code",
                "industry",
            )
        }
        ctx["form"] = form
        try:
            sub, secret = services.subscription_create(actor=request.user, **form)
        except DomainError as exc:
            ctx["error"] = exc
            status = exc.status
        else:
            if sub.channel == Channel.EMAIL:
                messages.success(request, _("确认邮件已发送，请打开邮件中的链接完成订阅"))
            else:
                ctx["secret"] = secret
                ctx["created"] = sub
            if not secret:
                return HttpResponseRedirect(reverse("disclosure:subscriptions"))
    if request.user.is_authenticated:
        ctx["mine"] = (
            Subscription.objects.filter(user=request.user)
            .exclude(status=SubscriptionStatus.CANCELLED)
            .order_by("-created_at")
        )
        ctx["reminders"] = Reminder.objects.filter(user=request.user)[:50]
    return render(request, "disclosure/subscriptions.html", ctx, status=status)


@require_http_methods(["GET", "POST"])
@_errors_as_pages
def subscription_confirm(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "GET":  # a mail scanner following the link confirms nothing
        return render(request, "disclosure/token_action.html", {"action": "confirm"})
    sub = services.subscription_confirm(token=token)
    return render(
        request,
        "disclosure/token_done.html",
        {
            "sub": sub,
            "text": _("订阅已确认，符合条件的公告将推送到您的邮箱。"),
            "describe": services.describe(sub),
        },
    )


@require_http_methods(["GET", "POST"])
@_errors_as_pages
def subscription_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "GET":
        return render(request, "disclosure/token_action.html", {"action": "unsubscribe"})
    sub = services.subscription_unsubscribe(token=token)
    return render(
        request,
        "disclosure/token_done.html",
        {
            "sub": sub,
            "text": _("已退订，您不会再收到此订阅的推送。"),
            "describe": services.describe(sub),
        },
    )


@login_required
@require_POST
@_errors_as_pages
def subscription_cancel(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    sub = Subscription.objects.filter(pk=pk, user_id=request.user.pk or 0).first()
    if sub is None:
        raise DomainError(ErrorCode.SUBSCRIPTION_NOT_FOUND)
    services.subscription_cancel(actor=request.user, subscription=sub)
    messages.success(request, _("已退订"))
    return HttpResponseRedirect(reverse("disclosure:subscriptions"))


# --------------------------------------------------------------------------- statistics


def _stats_rows(request: HttpRequest) -> list[stats.Row]:
    f = selectors.parse_filters(request.GET)
    return stats.compute(trade_type=f.trade_type, region_code=f.region_code)


@require_GET
def stats_page(request: HttpRequest) -> HttpResponse:
    rows = _stats_rows(request)
    return render(
        request,
        "disclosure/stats.html",
        {
            "rows": rows,
            "columns": stats.COLUMNS,
            "series": stats.by_month(rows),
            "query": request.GET.urlencode(),
            "tt_names": trade_type_names(),
        },
    )


@require_GET
def stats_export(request: HttpRequest, fmt: str) -> HttpResponse:
    rows = _stats_rows(request)
    stamp = f"{clock.now():%Y%m%d}"
    if fmt == "csv":
        body, kind = stats.to_csv(rows), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = stats.to_xlsx(rows)
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise Http404
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="ggzy-stats-{stamp}.{fmt}"'
    return response
