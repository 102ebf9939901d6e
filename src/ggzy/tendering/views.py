"""Tendering pages (招标投标): the public tender page and list, the bidder's page (sealing in
the browser with seal.js, chunked upload through the API) and the opening console (不见面开标).
Thin: form → service → template; every write goes through ``services``/``bids``/``opening``."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ggzy import clock
from ggzy.accounts.permissions import is_centre_staff
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.projects.selectors import sees_everything
from ggzy.projects.services import can_manage_tender
from ggzy.registry.models import EntityKey, Membership, MembershipStatus, Organization
from ggzy.tendering import bids, opening, selectors
from ggzy.tendering.forms import AnswerForm, ConfirmForm, KeyReleaseForm
from ggzy.tendering.models import (
    Bid,
    BidOpening,
    BidStatus,
    Consistency,
    Deposit,
    OpeningSession,
    OpeningState,
    Tender,
    TenderStatus,
)
from ggzy.web.forms import attach_error

CONSISTENCY = dict(Consistency.choices)
PRICE_UNITS = {0: "元", 1: "万元"}


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "web/error.html", {"error": exc}, status=exc.status)


def _tender(request: HttpRequest, tender_id: int) -> Tender:
    tender = (
        Tender.objects.filter(pk=tender_id)
        .select_related("section", "section__tender_project")
        .first()
    )
    if tender is None:
        raise DomainError(ErrorCode.NOT_FOUND, "招标不存在")
    return selectors.tender_visible(tender, request.user)


def price_text(price: dict[str, Any] | None) -> str:
    """The price of the opening record as one line (报价)."""
    if not price:
        return "—"
    form = price.get("price_form")
    amount = price.get("amount")
    if form == 2 and amount is not None:
        text = f"{amount}%"
    elif amount is not None:
        text = f"{amount} {PRICE_UNITS.get(price.get('price_unit') or 0, '')}".strip()
    else:
        text = str(price.get("other_price") or "—")
    if price.get("duration_days"):
        text += " · " + _("工期 %(d)s 天") % {"d": price["duration_days"]}
    if price.get("quality"):
        text += " · " + str(price["quality"])
    return text


def _record_rows(session: OpeningSession | None) -> list[dict[str, Any]]:
    if session is None or not session.record:
        return []
    return [
        {
            **row,
            "consistency_label": CONSISTENCY.get(
                row.get("consistency", ""), row.get("consistency")
            ),
            "ok": row.get("consistency") == Consistency.CONSISTENT,
            "price_text": price_text(row.get("price")),
        }
        for row in session.record.get("rows", [])
    ]


# --------------------------------------------------------------------------- public pages


@require_GET
def tender_list(request: HttpRequest) -> HttpResponse:
    qs = (
        Tender.objects.exclude(status=TenderStatus.DRAFT)
        .select_related("section")
        .order_by("-announced_at", "-id")
    )
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(request, "tendering/tender_list.html", {"page": page})


@require_GET
def tender_detail(request: HttpRequest, tender_id: int) -> HttpResponse:
    try:
        tender = _tender(request, tender_id)
    except DomainError as exc:
        return _error(request, exc)
    session = OpeningSession.objects.filter(tender=tender).first()
    return render(
        request,
        "tendering/tender_detail.html",
        {
            "tender": tender,
            "documents": list(tender.documents.all()),
            "clarifications": list(tender.clarifications.order_by("issued_at")),
            "session": session,
            "record_rows": _record_rows(session),
            "failed": tender.status == TenderStatus.FAILED,
            "can_manage": can_manage_tender(request.user, tender.section.tender_project),
            "sees_deposits": sees_everything(request.user),
            "is_staff": is_centre_staff(request.user),
        },
    )


# --------------------------------------------------------------------------- bidder page


def _bidder(request: HttpRequest) -> Organization:
    return selectors.bidder_for(request.user, request.GET.get("bidder") or None)


@login_required
@require_GET
def bid_page(request: HttpRequest, tender_id: int) -> HttpResponse:
    try:
        tender = _tender(request, tender_id)
        org = _bidder(request)
    except DomainError as exc:
        return _error(request, exc)
    if tender.status == TenderStatus.DRAFT:
        return _error(request, DomainError(ErrorCode.TENDER_STATE, "招标尚未发布"))
    history = list(Bid.objects.filter(tender=tender, bidder=org).order_by("-received_at"))
    current = next((b for b in history if b.status == BidStatus.SUBMITTED), None)
    open_for_bids = (
        tender.status == TenderStatus.ANNOUNCED
        and tender.bid_deadline is not None
        and clock.now() < tender.bid_deadline
    )
    sign_keys = list(
        EntityKey.objects.filter(organization=org, purpose="sign", revoked_at__isnull=True)
    )
    deposit = Deposit.objects.filter(tender=tender, bidder=org).first()
    return render(
        request,
        "tendering/bid.html",
        {
            "tender": tender,
            "org": org,
            "current": current,
            "history": history,
            "open_for_bids": open_for_bids,
            "sign_keys": sign_keys,
            "deposit": deposit,
        },
    )


@login_required
@require_POST
def bid_withdraw(request: HttpRequest, tender_id: int, bid_id: uuid.UUID) -> HttpResponse:
    try:
        bid = selectors.own_bid(request.user, bid_id)
        if bid.tender_id != tender_id:
            raise DomainError(ErrorCode.NOT_FOUND, "投标文件不存在")
        bids.bid_withdraw(actor=request.user, bid=bid)
    except DomainError as exc:
        return _error(request, exc)
    messages.success(request, _("投标文件已撤回"))
    return redirect("tendering:bid", tender_id=tender_id)


# --------------------------------------------------------------------------- opening console


def _my_org_ids(user: Any) -> set[int]:
    return set(
        Membership.objects.filter(person__user=user, status=MembershipStatus.ACTIVE).values_list(
            "organization_id", flat=True
        )
    )


def _console_access(user: Any, tender: Tender) -> dict[str, bool]:
    staff = is_centre_staff(user)
    manager = can_manage_tender(user, tender.section.tender_project)
    bidder = Bid.objects.filter(tender=tender, bidder_id__in=_my_org_ids(user)).exists()
    if not (staff or manager or bidder):
        raise DomainError(ErrorCode.PERMISSION_DENIED, "开标大厅仅对交易中心、招标人和投标人开放")
    return {"is_staff": staff, "is_manager": manager, "is_bidder": bidder}


def _console_context(request: HttpRequest, tender: Tender) -> dict[str, Any]:
    access = _console_access(request.user, tender)
    session = OpeningSession.objects.filter(tender=tender).first()
    mine = _my_org_ids(request.user)
    rows: list[BidOpening] = []
    if session is not None:
        rows = list(
            BidOpening.objects.filter(session=session)
            .select_related("bid", "bid__bidder")
            .order_by("bid__received_at")
        )
    own = [r for r in rows if r.bid.bidder_id in mine]
    live_count = Bid.objects.filter(tender=tender, status=BidStatus.SUBMITTED).count()
    state = session.state if session else None
    return {
        "tender": tender,
        "session": session,
        "rows": rows,
        "mine": mine,
        "own_rows": own,
        "record_rows": _record_rows(session),
        "live_count": live_count,
        "now": clock.now(),
        "decrypting": state == OpeningState.DECRYPTING,
        "recorded": state == OpeningState.RECORDED,
        "can_start": access["is_staff"]
        and tender.status == TenderStatus.ANNOUNCED
        and session is None,
        "objections": [r for r in rows if r.objection and not r.objection_answer],
        "confirm_form": ConfirmForm(),
        "answer_form": AnswerForm(),
        **access,
    }


@login_required
@require_GET
def opening_console(request: HttpRequest, tender_id: int) -> HttpResponse:
    try:
        tender = _tender(request, tender_id)
        context = _console_context(request, tender)
    except DomainError as exc:
        return _error(request, exc)
    htmx = bool(getattr(request, "htmx", False))
    template = "tendering/opening.html#live" if htmx else "tendering/opening.html"
    return render(request, template, context)


def _console_error(
    request: HttpRequest, tender: Tender, exc: DomainError | None, status: int, **extra: Any
) -> HttpResponse:
    context = _console_context(request, tender)
    context.update(extra)
    if exc is not None:
        context["action_error"] = f"{exc.message}（{exc.code.value}）"
    return render(request, "tendering/opening.html", context, status=status)


@login_required
@require_POST
def opening_action(request: HttpRequest, tender_id: int, action: str) -> HttpResponse:
    """Staff: start the opening, make the record, close (开始开标 / 生成开标记录 / 结束开标)."""
    services = {
        "start": opening.opening_start,
        "record": opening.opening_record,
        "close": opening.opening_close,
    }
    try:
        tender = _tender(request, tender_id)
    except DomainError as exc:
        return _error(request, exc)
    service = services.get(action)
    if service is None:
        return _error(request, DomainError(ErrorCode.NOT_FOUND))
    try:
        _console_access(request.user, tender)
        service(actor=request.user, tender=tender)
    except DomainError as exc:
        if exc.code in (ErrorCode.PERMISSION_DENIED, ErrorCode.NOT_FOUND):
            return _error(request, exc)
        return _console_error(request, tender, exc, exc.status)
    messages.success(request, _("操作已完成"))
    return redirect("tendering:opening", tender_id=tender.pk)


BID_ACTIONS = frozenset({"sign-in", "release", "confirm", "decrypt", "answer"})
_FORMS: dict[str, type[Any]] = {
    "release": KeyReleaseForm,
    "confirm": ConfirmForm,
    "answer": AnswerForm,
}


def _bid_for(user: Any, tender: Tender, bid_id: uuid.UUID, action: str) -> Bid:
    if action in ("decrypt", "answer"):  # staff / tenderer act on any bid of this tender
        bid = Bid.objects.filter(pk=bid_id, tender=tender).select_related("tender").first()
    else:  # the bidder acts on its own bid only
        bid = selectors.own_bid(user, bid_id)
        bid = bid if bid.tender_id == tender.pk else None
    if bid is None:
        raise DomainError(ErrorCode.NOT_FOUND, "投标文件不存在")
    return bid


def _run_bid_action(request: HttpRequest, action: str, bid: Bid, data: dict[str, Any]) -> None:
    user = request.user
    if action == "sign-in":
        opening.sign_in(actor=user, bid=bid)
    elif action == "decrypt":
        opening.custodian_decrypt(actor=user, bid=bid)
    elif action == "release":
        row = opening.bid_key_release(actor=user, bid=bid, statement=data["parsed"])
        if row.consistency != Consistency.CONSISTENT:
            messages.warning(
                request,
                _("已解密，但一致性判断未通过：%(c)s")
                % {"c": CONSISTENCY.get(row.consistency, row.consistency)},
            )
    elif action == "confirm":
        opening.bidder_confirm(actor=user, bid=bid, objection=data["objection"])
    else:
        opening.objection_answer_on_spot(actor=user, bid=bid, answer=data["answer"])


@login_required
@require_POST
def bid_action(
    request: HttpRequest, tender_id: int, bid_id: uuid.UUID, action: str
) -> HttpResponse:
    """One bid at the opening: sign in, release the key, confirm/object (bidder); custodian
    decryption (staff); answer an objection (tenderer)."""
    try:
        tender = _tender(request, tender_id)
        _console_access(request.user, tender)
        if action not in BID_ACTIONS:
            raise DomainError(ErrorCode.NOT_FOUND)
        bid = _bid_for(request.user, tender, bid_id, action)
    except DomainError as exc:
        return _error(request, exc)
    form_class = _FORMS.get(action)
    form = form_class(request.POST, request.FILES) if form_class else None
    form_ctx = {f"{action}_form": form, "form_bid": bid.pk} if form is not None else {}
    if form is not None and not form.is_valid():
        return _console_error(request, tender, None, 400, **form_ctx)
    try:
        _run_bid_action(request, action, bid, form.cleaned_data if form is not None else {})
    except DomainError as exc:
        status = attach_error(form, exc) if form is not None else exc.status
        return _console_error(request, tender, exc, status, **form_ctx)
    messages.success(request, _("操作已完成"))
    return redirect("tendering:opening", tender_id=tender.pk)
