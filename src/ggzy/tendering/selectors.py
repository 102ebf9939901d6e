"""Reads for tendering, scoped to who is asking."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from ggzy.core.errors import DomainError, ErrorCode
from ggzy.projects.services import can_manage_tender
from ggzy.registry.models import Membership, MembershipStatus, Organization, Role
from ggzy.rules import selectors as rules
from ggzy.rules import timecalc
from ggzy.tendering.models import Bid, Deposit, Tender, TenderStatus


def ruleset_of(tender: Tender) -> rules.RuleSetView:
    """The rule set in force for the tender's trade type (规则集)."""
    return rules.ruleset_for(tender.section.tender_project.trade_type_code)


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


# --------------------------------------------------------------------------- publish schedule

DOCS_UNTIL_TIME = dt.time(17, 0)
BID_DEADLINE_TIME = dt.time(9, 30)


@dataclass(frozen=True)
class Schedule:
    """The three dates of a tender announcement (招标公告): documents on issue from
    ``docs_from`` to ``docs_until`` (招标文件发售期), bids due at ``bid_deadline`` (投标截止)."""

    docs_from: dt.datetime
    docs_until: dt.datetime
    bid_deadline: dt.datetime


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=timecalc.LOCAL_TZ)


def earliest_schedule(
    tender: Tender,
    docs_from: dt.datetime,
    *,
    docs_days: int = 0,
    bid_days: int = 0,
) -> Schedule:
    """The earliest dates the tender's rule set in force allows for documents issued from
    ``docs_from``: the document period ends at 17:00 on the day its minimum
    (``doc_period_min_days``, 条例第十六条) ends, bids are due at 09:30 on the first working
    day on which the bid period's minimum (``bid_period_min_days``, 招标投标法第二十四条) has
    run. A period whose last day is a holiday ends on the next working day (民法典第二百零三条),
    so "20 days" can be 22 or, across the Spring Festival, more — which is why the form
    defaults, the demo and the tests take their dates from here instead of adding days.

    ``docs_days``/``bid_days`` ask for at least that many calendar days after ``docs_from``.
    The result passes ``services.tender_publish``'s time-limit checks.
    """
    rs = ruleset_of(tender)
    cal = rules.calendar()
    start = docs_from.astimezone(timecalc.LOCAL_TZ)
    docs_end = max(
        rules.min_period_end(rs, "doc_period_min_days", start, cal=cal),
        start + dt.timedelta(days=docs_days),
    )
    docs_until = _at(timecalc.local_date(docs_end), DOCS_UNTIL_TIME)
    if docs_until <= start:
        docs_until = _at(timecalc.local_date(start) + dt.timedelta(days=1), DOCS_UNTIL_TIME)
    bid_end = max(
        rules.min_period_end(rs, "bid_period_min_days", start, cal=cal),
        start + dt.timedelta(days=bid_days),
        docs_until,
    )
    day = timecalc.next_working_day(timecalc.local_date(bid_end), cal)
    if _at(day, BID_DEADLINE_TIME) < docs_until:
        day = timecalc.next_working_day(day + dt.timedelta(days=1), cal)
    return Schedule(start, docs_until, _at(day, BID_DEADLINE_TIME))
