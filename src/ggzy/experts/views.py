"""Expert pages: pool (staff), import, draw request/result, my invitations (phone-friendly)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ggzy.core.errors import DomainError, ErrorCode
from ggzy.experts import draws, selectors, services, transfer
from ggzy.experts.models import Draw, Expert
from ggzy.experts.specialties import classification
from ggzy.experts.verify import verify_request
from ggzy.projects.models import Section

TZ = ZoneInfo("Asia/Shanghai")


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "web/error.html", {"error": exc}, status=exc.status)


@login_required
def pool_view(request: HttpRequest) -> HttpResponse:
    try:
        qs = selectors.pool_search(
            request.user,
            q=request.GET.get("q", "")[:50],
            specialty=request.GET.get("specialty", "")[:10],
            region=request.GET.get("region", "")[:6],
        )
    except DomainError as exc:
        return _error(request, exc)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "experts/pool.html",
        {"page": page, "query": request.GET, "labels": classification()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    report: dict[str, Any] | None = None
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise DomainError(ErrorCode.VALIDATION, _("请选择文件"), field="file")
            result = transfer.pool_import(
                actor=request.user,
                data=upload.read(transfer.MAX_BYTES + 1),
                filename=upload.name or "",
            )
        except DomainError as exc:
            if exc.code in (ErrorCode.PERMISSION_DENIED, ErrorCode.NOT_AUTHENTICATED):
                return _error(request, exc)
            status = exc.status
            report = {"message": exc.message, **exc.detail}
        else:
            messages.success(request, _("已导入 %(n)d 名专家") % {"n": result.imported})
            return redirect("experts:pool")
    return render(
        request,
        "experts/import.html",
        {"report": report, "columns": transfer.COLUMNS},
        status=status,
    )


def _parse_lines(text: str) -> list[dict[str, Any]]:
    """ "A01:5:1, B02:2" → [{"specialty": "A01", "count": 5, "reserves": 1}, …]."""
    out = []
    for part in text.replace("，", ",").split(","):
        bits = [b.strip() for b in part.split(":")]
        if not bits or not bits[0]:
            continue
        try:
            out.append(
                {
                    "specialty": bits[0].upper(),
                    "count": int(bits[1]) if len(bits) > 1 else 1,
                    "reserves": int(bits[2]) if len(bits) > 2 else 0,
                }
            )
        except ValueError as exc:
            raise DomainError(
                ErrorCode.DRAW_INVALID, _("抽取专业格式应为 代码:人数:备选"), field="lines"
            ) from exc
    return out


def _parse_venues(text: str) -> list[draws.VenueChoice]:
    out = []
    for part in text.replace("，", ",").split(","):
        bits = [b.strip() for b in part.split(":")]
        if not bits or not bits[0]:
            continue
        try:
            out.append(draws.VenueChoice(bits[0], bits[1] in {"main", "主场"}, int(bits[2])))
        except (IndexError, ValueError) as exc:
            raise DomainError(
                ErrorCode.DRAW_INVALID, _("场地格式应为 编码:主场/副场:人数"), field="venues"
            ) from exc
    return out


@login_required
@require_http_methods(["GET", "POST"])
def draw_new(request: HttpRequest) -> HttpResponse:
    error: DomainError | None = None
    if request.method == "POST":
        p = request.POST
        try:
            section = Section.objects.filter(code=p.get("section", "").strip()).first()
            if section is None:
                raise DomainError(ErrorCode.SECTION_NOT_FOUND, field="section")
            try:
                start = dt.datetime.fromisoformat(p.get("evaluation_start", "")).replace(tzinfo=TZ)
            except ValueError as exc:
                raise DomainError(
                    ErrorCode.DRAW_INVALID, _("请填写评标开始时间"), field="evaluation_start"
                ) from exc
            req = draws.draw_request(
                actor=request.user,
                section=section,
                lines=_parse_lines(p.get("lines", "")),
                evaluation_start=start,
                regions_include=p.get("regions_include", "").split(),
                regions_exclude=p.get("regions_exclude", "").split(),
                venues=_parse_venues(p.get("venues", "")),
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("抽取申请已提交，抽取条件和随机种子已存证"))
            return redirect("experts:draw", draw_id=req.pk)
    return render(
        request,
        "experts/draw_new.html",
        {"error": error, "form": request.POST, "specialties": classification().items.values()},
        status=error.status if error else 200,
    )


@login_required
def draw_detail(request: HttpRequest, draw_id: int) -> HttpResponse:
    try:
        req = selectors.draw_for(request.user, draw_id)
    except DomainError as exc:
        return _error(request, exc)
    released = selectors.released(req)
    members = selectors.protected_list(request.user, req) if released else None
    # re-running a large pool takes seconds: only when asked for (?verify=1)
    report = verify_request(req) if released and request.GET.get("verify") == "1" else None
    return render(
        request,
        "experts/draw_detail.html",
        {
            "req": req,
            "draw": Draw.objects.filter(request=req).first(),
            "released": released,
            "members": members,
            "report": report,
        },
    )


@login_required
@require_POST
def draw_run_view(request: HttpRequest, draw_id: int) -> HttpResponse:
    try:
        req = selectors.draw_for(request.user, draw_id)
        draws.draw_run(actor=request.user, request=req)
    except DomainError as exc:
        return _error(request, exc)
    messages.success(request, _("抽取完成，名单已加密保存，评标开始时解密"))
    return redirect("experts:draw", draw_id=draw_id)


@login_required
def invitations_view(request: HttpRequest) -> HttpResponse:
    invitations = list(selectors.my_invitations(request.user)[:50])
    return render(request, "experts/invitations.html", {"invitations": invitations})


@login_required
@require_POST
def invitation_action(request: HttpRequest, inv_id: int, action: str) -> HttpResponse:
    try:
        inv = selectors.invitation_of(request.user, inv_id)
        if action == "confirm":
            draws.invitation_confirm(actor=request.user, invitation=inv)
            messages.success(request, _("已确认参加"))
        elif action == "decline":
            draws.invitation_decline(
                actor=request.user, invitation=inv, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("已拒绝，系统已按同一随机序列补抽"))
        elif action == "check-in":
            draws.invitation_check_in(
                actor=request.user,
                invitation=inv,
                declaration=request.POST.get("declaration") == "1",
            )
            messages.success(request, _("签到成功"))
            if inv.expert.user_id != request.user.pk:
                return redirect("experts:venue", code=inv.venue_code)
        else:
            raise DomainError(ErrorCode.NOT_FOUND)
    except DomainError as exc:
        return _error(request, exc)
    return redirect("experts:invitations")


@login_required
def venue_view(request: HttpRequest, code: str) -> HttpResponse:
    """场地签到台: staff of a venue's centre see the released invitations seated there."""
    try:
        venue, invitations = selectors.venue_desk(request.user, code)
    except DomainError as exc:
        return _error(request, exc)
    return render(request, "experts/venue.html", {"venue": venue, "invitations": invitations})


@login_required
@require_http_methods(["GET", "POST"])
def my_calendar(request: HttpRequest) -> HttpResponse:
    """My availability (不可参加评标的日期), for the expert on a phone."""
    expert = Expert.objects.filter(user_id=request.user.pk or 0).first()
    if expert is None:
        return _error(request, DomainError(ErrorCode.EXPERT_NOT_FOUND))
    if request.method == "POST":
        try:
            day = dt.date.fromisoformat(request.POST.get("day", ""))
        except ValueError:
            return _error(request, DomainError(ErrorCode.VALIDATION, _("日期格式不正确")))
        add, remove = ([day], []) if request.POST.get("action") == "add" else ([], [day])
        try:
            services.unavailability_set(actor=request.user, expert=expert, add=add, remove=remove)
        except DomainError as exc:
            return _error(request, exc)
        return redirect("experts:calendar")
    days = expert.unavailable.filter(day__gte=services.local_today()).order_by("day")
    return render(request, "experts/calendar.html", {"expert": expert, "days": days})
