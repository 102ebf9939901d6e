"""Expert scoring (独立评分): per criterion, per bid, each change one ledger entry; refused
after the report is signed."""

from __future__ import annotations

import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from ggzy import clock
from ggzy.core.canonical import canonical_json
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.evaluation.compute import template_of
from ggzy.evaluation.models import (
    BidReview,
    CommitteeMember,
    EvaluationSession,
    Score,
    ScoreSheet,
    Step,
)
from ggzy.evaluation.scoring import price
from ggzy.evaluation.scoring.template import ScoringTemplate
from ggzy.evaluation.services import _at, _event, member_of


def _score_value(tpl: ScoringTemplate, code: str, raw: Any) -> Decimal:
    crit = {c.code: c for c in tpl.criteria}.get(code)
    if crit is None:
        raise DomainError(ErrorCode.SCORE_INVALID, f"评分项 {code} 不在评分办法中", field=code)
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(ErrorCode.SCORE_INVALID, f"{crit.name}：分值无效", field=code) from exc
    if not value.is_finite() or value < 0 or value > crit.max or value != price.q2(value):
        raise DomainError(
            ErrorCode.SCORE_INVALID,
            f"{crit.name}：分值应在 0 到 {crit.max} 之间，最多两位小数",
            field=code,
        )
    return value


def scores_set(
    *, actor: Any, review: BidReview, scores: dict[str, Any], submit: bool = False
) -> list[Score]:
    """An expert scores one bid per criterion, independently (独立评分); ``submit`` hands in
    the sheet (all criteria required). A change is one ledger entry with old → new values;
    after the report is signed every change is refused (REPORT_SIGNED)."""
    return scores_set_many(
        actor=actor, session=review.session, sheets=[(review, scores)], submit=submit
    )[0]


def scores_set_many(
    *,
    actor: Any,
    session: EvaluationSession,
    sheets: list[tuple[BidReview, dict[str, Any]]],
    submit: bool = False,
) -> list[list[Score]]:
    """Several sheets of one expert in one transaction (the workspace's "submit all"); each
    sheet is still its own ledger entry. All or nothing."""
    me = member_of(actor, session)
    if session.step != Step.DETAILED:
        _at(session, Step.DETAILED)
    tpl = template_of(session)
    checked = []
    for review, scores in sheets:
        if review.session_id != session.pk:
            raise DomainError(ErrorCode.NOT_FOUND, "投标评审不存在")
        if review.rejected:
            raise DomainError(ErrorCode.EVALUATION_STATE, "该投标已被否决，不再评分")
        checked.append(
            (review, {code: _score_value(tpl, code, raw) for code, raw in scores.items()})
        )
    now = clock.now()
    out = []
    with transaction.atomic():
        # the step is re-checked under the write: a sign-off that raced us wins
        if not EvaluationSession.objects.filter(pk=session.pk, step=Step.DETAILED).exists():
            raise DomainError(ErrorCode.REPORT_SIGNED)
        for review, values in checked:
            out.append(_sheet(actor, session, me, tpl, review, values, submit, now))
    return out


def _sheet(
    actor: Any,
    session: EvaluationSession,
    me: CommitteeMember,
    tpl: ScoringTemplate,
    review: BidReview,
    values: dict[str, Decimal],
    submit: bool,
    now: Any,
) -> list[Score]:
    existing = {s.criterion: s for s in Score.objects.filter(member=me, review=review)}
    changes = []
    new_rows = []
    for code, value in values.items():
        old = existing.get(code)
        if old is None:
            row = Score(member=me, review=review, criterion=code, value=value, updated_at=now)
            new_rows.append(row)
            existing[code] = row
            changes.append({"criterion": code, "old": None, "new": str(value)})
        elif old.value != value:
            changes.append({"criterion": code, "old": str(old.value), "new": str(value)})
            Score.objects.filter(pk=old.pk).update(value=value, updated_at=now)
            old.value = value
    Score.objects.bulk_create(new_rows)
    sheet_sha = None
    if submit:
        missing = [c.code for c in tpl.criteria if c.code not in existing]
        if missing:
            raise DomainError(
                ErrorCode.SCORE_INVALID,
                "尚有评分项未评分：" + "、".join(missing),
                field=missing[0],
            )
        sheet = {c.code: str(existing[c.code].value) for c in tpl.criteria}
        sheet_sha = hashlib.sha256(canonical_json(sheet)).hexdigest()
        ScoreSheet.objects.update_or_create(
            member=me, review=review, defaults={"submitted_at": now, "sha256": sheet_sha}
        )
    if changes or submit:
        _event(
            "score:changed",
            review,
            actor,
            {
                "member": f"user:{me.user_id}",
                "bidder": review.bidder.uscc,
                "changes": changes,
                "submitted": submit,
                "sheet_sha256": sheet_sha,
            },
            session,
        )
    return list(existing.values())
