"""Reads for tendering, scoped to who is asking."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from ggzy.core.errors import DomainError, ErrorCode
from ggzy.projects.services import can_manage_tender
from ggzy.registry.models import Membership, MembershipStatus, Organization, Role
from ggzy.tendering.models import Bid, Deposit, Tender, TenderStatus


def tender_visible(tender: Tender, user: Any) -> Tender:
    """A draft is visible only to those who manage it; a published tender to everyone."""
    if tender.status == TenderStatus.DRAFT and not can_manage_tender(
        user, tender.section.tender_project
    ):
        raise DomainError(ErrorCode.NOT_FOUND, "招标不存在")
    return tender


def bidder_for(user: Any, uscc: str | None) -> Organization:
    """The organisation a user bids for: the one named, or their only bidder organisation."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise DomainError(ErrorCode.NOT_AUTHENTICATED)
    qs = Membership.objects.filter(
        person__user=user, role=Role.BIDDER, status=MembershipStatus.ACTIVE
    ).select_related("organization")
    if uscc:
        qs = qs.filter(organization__uscc=uscc.strip().upper())
    orgs = {m.organization for m in qs if m.organization is not None}
    if len(orgs) != 1:
        raise DomainError(
            ErrorCode.BID_NOT_MEMBER,
            "请指定您以哪个投标人单位投标" if len(orgs) > 1 else None,
            field="bidder",
        )
    return orgs.pop()


def own_bid(user: Any, bid_id: uuid.UUID) -> Bid:
    bid = Bid.objects.filter(pk=bid_id).select_related("tender", "bidder").first()
    if (
        bid is None
        or not Membership.objects.filter(
            organization=bid.bidder, person__user=user, status=MembershipStatus.ACTIVE
        ).exists()
    ):
        raise DomainError(ErrorCode.NOT_FOUND, "投标文件不存在")
    return bid


def deposits_for(actor: Any, tender: Tender) -> QuerySet[Deposit]:
    """投标保证金 received for ``tender``. Who paid reveals who bids: only centre staff and
    regulators may read the list, at any stage (never the tenderer or other bidders)."""
    from ggzy.projects.selectors import sees_everything

    if not sees_everything(actor):
        if not getattr(actor, "is_authenticated", False):
            raise DomainError(ErrorCode.NOT_AUTHENTICATED)
        raise DomainError(
            ErrorCode.PERMISSION_DENIED, "只有交易中心工作人员和监管部门可以查看保证金到账情况"
        )
    return Deposit.objects.filter(tender=tender).select_related("bidder").order_by("paid_at", "pk")
