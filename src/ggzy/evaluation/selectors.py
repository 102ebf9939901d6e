"""Reads of the evaluation, scoped to the user (who may see what, and when)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from ggzy import clock
from ggzy.accounts.permissions import Perm, has_perm, is_centre_staff
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.evaluation.models import (
    BidClarification,
    BidReview,
    CommitteeMember,
    EvaluationSession,
    Notice,
    Reminder,
    Step,
)
from ggzy.ledger.models import Entry
from ggzy.projects.services import can_manage_tender
from ggzy.registry.models import MembershipStatus, Role

PUBLIC_STEPS = frozenset({Step.PUBLICITY, Step.AWARDED})


def session_get(session_id: int) -> EvaluationSession:
    s = (
        EvaluationSession.objects.filter(pk=session_id)
        .select_related("tender", "tender__section", "tender__section__tender_project")
        .first()
    )
    if s is None:
        raise DomainError(ErrorCode.NOT_FOUND, "评标不存在")
    return s


def is_member(user: Any, session: EvaluationSession) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and CommitteeMember.objects.filter(session=session, user=user).exists()
    )


def bidder_orgs(user: Any, session: EvaluationSession) -> list[int]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        BidReview.objects.filter(
            session=session,
            bidder__memberships__person__user=user,
            bidder__memberships__role=Role.BIDDER,
            bidder__memberships__status=MembershipStatus.ACTIVE,
        ).values_list("bidder_id", flat=True)
    )


def can_watch(user: Any, session: EvaluationSession) -> bool:
    """Live read-only view: staff, regulators (evaluation:session:read), committee members,
    the tenderer/agency."""
    return (
        is_centre_staff(user)
        or has_perm(user, Perm.EVALUATION_SESSION_READ)
        or is_member(user, session)
        or can_manage_tender(user, session.tender.section.tender_project)
    )


def session_visible(session: EvaluationSession, user: Any) -> EvaluationSession:
    """Watchers always; bidders of this tender see their own part; the public once the
    candidates are publicised."""
    if can_watch(user, session) or bidder_orgs(user, session) or session.step in PUBLIC_STEPS:
        return session
    raise DomainError(ErrorCode.NOT_FOUND, "评标不存在")


def _score_entries(session: EvaluationSession) -> QuerySet[Entry]:
    review_ids = [str(pk) for pk in session.reviews.values_list("pk", flat=True)]
    return Entry.objects.filter(
        event_type="evaluation:score:changed",
        subject_type="evaluation.bidreview",
        subject_id__in=review_ids,
    )


def score_changes(
    session: EvaluationSession, *, after: int = 0, limit: int = 200
) -> QuerySet[Entry]:
    """Every score change on the ledger for this session, oldest first (regulators see all)."""
    return _score_entries(session).filter(pk__gt=after).order_by("pk")[:limit]


def recent_score_changes(session: EvaluationSession, *, limit: int = 50) -> list[Entry]:
    return list(_score_entries(session).order_by("-pk")[:limit])


def events(session: EvaluationSession, *, limit: int = 200) -> list[Entry]:
    review_ids = [str(pk) for pk in session.reviews.values_list("pk", flat=True)]
    return list(
        Entry.objects.filter(event_type__startswith="evaluation:")
        .filter(
            subject_type__in=["evaluation.evaluationsession", "evaluation.bidreview"],
            subject_id__in=[str(session.pk), *review_ids],
        )
        .order_by("-pk")[:limit]
    )


def clarifications_for_bidder(user: Any, session: EvaluationSession) -> QuerySet[BidClarification]:
    return BidClarification.objects.filter(
        review__session=session, review__bidder_id__in=bidder_orgs(user, session)
    ).select_related("review", "review__bidder")


def notices_for(user: Any, session: EvaluationSession) -> QuerySet[Notice]:
    qs = Notice.objects.filter(session=session).select_related("review", "review__bidder")
    if can_watch(user, session):
        return qs
    return qs.filter(review__bidder_id__in=bidder_orgs(user, session))


def notice_visible(notice: Notice, user: Any) -> Notice:
    if notices_for(user, notice.session).filter(pk=notice.pk).exists():
        return notice
    raise DomainError(ErrorCode.NOT_FOUND, "通知书不存在")


@dataclass(frozen=True)
class DueItem:
    reminder: Reminder
    overdue: bool
    days_left: int


def due_items(
    user: Any = None, *, at: dt.datetime | None = None, include_done: bool = False
) -> list[DueItem]:
    """Post-award duties (书面报告 15 日, 合同 30 日) with overdue flags; one user or all."""
    now = at or clock.now()
    qs = Reminder.objects.select_related("session", "session__tender", "user")
    if user is not None:
        qs = qs.filter(user=user)
    if not include_done:
        qs = qs.filter(done_at__isnull=True)
    return [
        DueItem(r, r.done_at is None and r.due_at < now, (r.due_at - now).days)
        for r in qs.order_by("due_at", "id")
    ]
