"""终止招标 (terminating a tender, DOMAIN T32; 招标投标法实施条例第三十一条).

The tenderer, its agency or centre staff may terminate a tender that is announced (before or
after the bid deadline) or whose opening is still in its decryption window; never once the
opening record is made (every price read out), nor one whose opening ended (开标完成, then
evaluation and award), one that failed (流标) or one already terminated. In one transaction:

* the status moves to ``terminated`` by compare-and-set, with the reason and the time;
* an opening in progress is stopped (``OpeningState.TERMINATED``): bids not yet decrypted are
  never decrypted — every decryption step checks the session state;
* every deposit received is marked refund-due (保证金及银行同期存款利息应当退还);
* the ledger entry carries the reason, the rule basis, the deposits and the bids affected;
* the 终止公告 is published on the portal (``disclosure.sources.tender_terminated``);
* every bidder that submitted (or paid a deposit) gets a 进度提醒 (written notice).

Bids are refused afterwards by the submission path itself (status is not ``announced``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import transaction
from django.db.models import F

from ggzy import clock, ledger
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.tendering.models import (
    Bid,
    BidStatus,
    Deposit,
    OpeningSession,
    OpeningState,
    Tender,
    TenderStatus,
)
from ggzy.tendering.services import _manage

RULE_BASIS = "招标投标法实施条例第三十一条"
TERMINABLE = frozenset({TenderStatus.ANNOUNCED, TenderStatus.OPENING})
REASON_MAX = 2000
REFUND_REASON = "招标终止，退还投标保证金及银行同期存款利息（实施条例第三十一条）"


def can_terminate(tender: Tender, actor: Any) -> bool:
    """The guard the page uses to show the action (the service checks the same)."""
    from ggzy.accounts.permissions import Perm, has_perm
    from ggzy.projects.services import can_manage_tender

    return (
        tender.status in TERMINABLE
        and has_perm(actor, Perm.TENDERING_TENDER_WRITE)
        and can_manage_tender(actor, tender.section.tender_project)
        and not _prices_read(tender)
    )


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            ErrorCode.VALIDATION,
            f"请填写终止招标的原因（{RULE_BASIS}：终止招标应当及时发布公告）",
            field="reason",
        )
    if len(reason) > REASON_MAX:
        raise DomainError(ErrorCode.VALIDATION, f"终止原因不能超过 {REASON_MAX} 字", field="reason")
    if any(ord(c) < 32 and c not in "\n\r\t" for c in reason):
        raise DomainError(ErrorCode.VALIDATION, "终止原因含有不可见的控制字符", field="reason")
    return reason


def _prices_read(tender: Tender) -> bool:
    """The opening record is made (开标记录: every price read out): too late to terminate — a
    tenderer who has seen the prices cannot call the tender off (实施条例第三十一条)."""
    return OpeningSession.objects.filter(
        tender=tender, state__in=[OpeningState.RECORDED, OpeningState.CLOSED]
    ).exists()


def _notify_bidders(tender: Tender, org_ids: set[int], now: Any) -> int:
    """进度提醒 to every active member of the organisations that bid or paid a deposit."""
    from ggzy.disclosure.models import Reminder, ReminderKind
    from ggzy.registry.models import Membership, MembershipStatus

    users = set(
        Membership.objects.filter(
            organization_id__in=org_ids,
            status=MembershipStatus.ACTIVE,
            person__user__isnull=False,
        ).values_list("person__user_id", flat=True)
    )
    message = f"您参与的「{tender.title}」已终止招标，投标保证金及银行同期存款利息将予退还"
    Reminder.objects.bulk_create(
        [
            Reminder(
                user_id=u,
                tender_id=tender.pk,
                kind=ReminderKind.TERMINATED,
                ref=str(tender.pk),
                message=message[:500],
                created_at=now,
            )
            for u in sorted(users)
        ],
        ignore_conflicts=True,
    )
    return len(users)


def tender_terminate(*, actor: Any, tender: Tender, reason: str) -> Tender:
    """终止招标: see the module docstring. Raises ``tender_state`` (409) when the tender is
    not announced or in opening, ``permission_denied`` (403) for anyone but the tenderer, its
    agency or centre staff, ``validation_error`` (400) without a reason."""
    _manage(actor, tender)
    reason = _check_reason(reason)
    if tender.status not in TERMINABLE:
        raise DomainError(
            ErrorCode.TENDER_STATE,
            "只有已发布或开标中的招标可以终止（开标完成、流标或已终止的招标不能终止）",
            field="status",
            detail={"status": tender.status},
        )
    now = clock.now()
    with transaction.atomic():
        locked = Tender.objects.select_for_update().get(pk=tender.pk)
        before = locked.status
        changed = Tender.objects.filter(pk=tender.pk, status__in=list(TERMINABLE)).update(
            status=TenderStatus.TERMINATED,
            terminated_at=now,
            termination_reason=reason,
            version=F("version") + 1,
        )
        if changed != 1:
            raise DomainError(
                ErrorCode.TENDER_STATE,
                "该招标已不在可终止的阶段（可能已开标完成、流标或已终止）",
                field="status",
                detail={"status": locked.status},
            )
        if _prices_read(tender):
            raise DomainError(
                ErrorCode.TENDER_STATE,
                f"开标记录已形成，投标报价已公开，不能再终止招标（{RULE_BASIS}）",
                field="status",
                detail={"status": before},
            )
        stopped = OpeningSession.objects.filter(
            tender=tender, state=OpeningState.DECRYPTING
        ).update(state=OpeningState.TERMINATED, version=F("version") + 1)
        Deposit.objects.filter(tender=tender, refund_due_at__isnull=True).update(
            refund_due_at=now, refund_reason=REFUND_REASON
        )
        deposits = list(
            Deposit.objects.filter(tender=tender).select_related("bidder").order_by("pk")
        )
        bids = list(
            Bid.objects.filter(tender=tender, status=BidStatus.SUBMITTED).order_by(
                "received_at", "pk"
            )
        )
        tender.refresh_from_db()
        ledger.record(
            "tendering:tender:terminated",
            tender,
            actor,
            {
                "section": tender.section.code,
                "unified_deal_code": tender.section.unified_deal_code,
                "from_status": before,
                "reason": reason,
                "reason_sha256": hashlib.sha256(reason.encode()).hexdigest(),
                "rule_basis": RULE_BASIS,
                "opening_stopped": bool(stopped),
                "sealed_bids": [b.envelope_sha256 for b in bids],
                "deposits_refund_due": [
                    {"bidder": d.bidder.uscc, "amount": d.amount} for d in deposits
                ],
                "terminated_at": now,
            },
            rule_version=tender.ruleset_label,
        )
        from ggzy.disclosure import sources as disclosure  # 终止公告 → public notice index

        disclosure.tender_terminated(tender, actor)  # reason and time as stored above
        _notify_bidders(tender, {b.bidder_id for b in bids} | {d.bidder_id for d in deposits}, now)
    return tender


def demo(log: Any) -> Tender:
    """A works tender announced, then terminated by its tenderer with the 终止公告."""
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile

    from ggzy.accounts.models import User
    from ggzy.projects import services as projects
    from ggzy.registry.models import Membership, Role, TradingCentre
    from ggzy.tendering import services
    from ggzy.tendering.selectors import earliest_schedule

    tenderer = User.objects.get(username="tenderer")
    org = Membership.objects.get(person__user=tenderer, role=Role.TENDERER).organization
    centre = TradingCentre.objects.order_by("pk").first()
    assert org is not None
    assert centre is not None
    project = projects.project_register(
        actor=tenderer,
        centre=centre,
        name="平川区体育中心看台改造工程",
        region_code="620403",
        legal_person=org,
        budget=Decimal("12000000"),
    )
    tp = projects.tender_project_create(
        actor=tenderer,
        project=project,
        name="平川区体育中心看台改造工程施工招标",
        trade_type_code="works.open",
        tenderer=org,
    )
    section = projects.section_create(
        actor=tenderer,
        tender_project=tp,
        name="施工标段",
        estimated_price=Decimal("9800000"),
        max_price=Decimal("9600000"),
        classify_codes="A08",
    )
    tender = services.tender_create(
        actor=tenderer,
        section=section,
        title="平川区体育中心看台改造工程施工招标公告",
        announcement_html="<p>本项目已批准建设，现公开招标。</p>",
    )
    services.document_add(
        actor=tenderer,
        tender=tender,
        upload=SimpleUploadedFile("招标文件.pdf", b"%PDF-1.7 demo tender documents"),
    )
    dates = earliest_schedule(
        tender, clock.now() + dt.timedelta(minutes=5), docs_days=7, bid_days=25
    )
    services.tender_publish(
        actor=tenderer,
        tender=tender,
        docs_from=dates.docs_from,
        docs_until=dates.docs_until,
        bid_deadline=dates.bid_deadline,
        custodians={
            "centre": User.objects.get(username="staff"),
            "supervisor": User.objects.get(username="fgw"),
            "tenderer": tenderer,
        },
    )
    tender.refresh_from_db()
    tender_terminate(
        actor=tenderer, tender=tender, reason="项目设计方案重大调整，原招标内容不再实施"
    )
    log(f"termination: {tender.title} terminated, 终止公告 published")
    return tender
