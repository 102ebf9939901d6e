"""The computations of the price, totals, ranking and report steps (called inside
``services.session_advance``'s transaction)."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from ggzy.core.canonical import canonical_json
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.evaluation.models import BidClarification, EvaluationSession, Score, Step
from ggzy.evaluation.scoring import aggregate, price
from ggzy.evaluation.scoring.template import ScoringTemplate, parse_template
from ggzy.tendering.selectors import ruleset_of


def template_of(session: EvaluationSession) -> ScoringTemplate:
    return parse_template(session.template)


def compute_price(session: EvaluationSession) -> dict[str, Any]:
    tpl = template_of(session)
    reviews = list(session.reviews.filter(rejected=False))
    prices = {str(r.pk): r.price for r in reviews}
    payload: dict[str, Any] = {"formula": tpl.formula}
    if tpl.formula == price.LOWEST_EVALUATED_V1:
        adj = {str(r.pk): [Decimal(a["amount"]) for a in r.adjustments] for r in reviews}
        evaluated = price.evaluated_prices(prices, adj)
        # pass/fail criteria: a majority of members must pass each one (技术标合格制)
        members = session.members.count()
        for r in reviews:
            failed = [
                c.code
                for c in tpl.criteria
                if Score.objects.filter(review=r, criterion=c.code, value__gte=1).count() * 2
                <= members
            ]
            r.evaluated_price = evaluated[str(r.pk)]
            if failed:
                r.rejected, r.rejection_ground, r.rejected_step = True, "R51-6", Step.DETAILED
                r.rejection_reason = "详细评审多数评委认定不合格：" + "、".join(failed)
            r.save(
                update_fields=[
                    "evaluated_price",
                    "rejected",
                    "rejection_ground",
                    "rejected_step",
                    "rejection_reason",
                ]
            )
        payload["evaluated"] = {r.bidder.uscc: str(r.evaluated_price) for r in reviews}
        return payload
    if tpl.formula == price.DEVIATION_V1:
        result = price.deviation_scores(prices, tpl.deviation_params(session.k_value or Decimal(0)))
    else:
        result = price.lowest_ratio_scores(prices, Decimal(str(tpl.price["s_max"])))
    for r in reviews:
        r.price_score = result.scores[str(r.pk)]
        r.deviation = result.detail.get(str(r.pk))
        r.evaluated_price = r.price
        r.save(update_fields=["price_score", "deviation", "evaluated_price"])
    EvaluationSession.objects.filter(pk=session.pk).update(benchmark=result.benchmark)
    payload["benchmark"] = str(result.benchmark)
    payload["k"] = str(session.k_value) if session.k_value is not None else None
    payload["scores"] = {r.bidder.uscc: str(r.price_score) for r in reviews}
    return payload


def compute_totals(session: EvaluationSession) -> dict[str, Any]:
    tpl = template_of(session)
    reviews = list(session.reviews.filter(rejected=False))
    matrix: dict[str, dict[str, list[Decimal]]] = {str(r.pk): {} for r in reviews}
    for review_id, crit, value in Score.objects.filter(review__in=reviews).values_list(
        "review_id", "criterion", "value"
    ):
        matrix[str(review_id)].setdefault(crit, []).append(value)
    if tpl.scored:
        items, totals = aggregate.score_matrix_totals(
            matrix,
            tpl.weights,
            {str(r.pk): r.price_score or Decimal(0) for r in reviews},
            drop_extremes_min=tpl.drop_extremes_min,
        )
    else:
        items = {k: {c: aggregate.item_mean(v) for c, v in m.items()} for k, m in matrix.items()}
        totals = {str(r.pk): r.evaluated_price or r.price for r in reviews}
    for r in reviews:
        r.item_scores = {c: str(v) for c, v in items[str(r.pk)].items()}
        r.total = price.q2(totals[str(r.pk)]) if tpl.scored else None
        r.save(update_fields=["item_scores", "total"])
    return {"totals": {r.bidder.uscc: str(r.total) for r in reviews}}


def compute_ranking(session: EvaluationSession) -> dict[str, Any]:
    tpl = template_of(session)
    reviews = list(session.reviews.filter(rejected=False))
    if not reviews:
        raise DomainError(ErrorCode.EVALUATION_STATE, "没有有效投标，不能排序")
    keyed = {str(r.pk): r for r in reviews}
    if tpl.scored:
        totals = {k: r.total or Decimal(0) for k, r in keyed.items()}
    else:
        totals = {k: r.evaluated_price or r.price for k, r in keyed.items()}
    ranked = aggregate.rank(
        totals,
        {k: r.price for k, r in keyed.items()},
        {k: r.received_at for k, r in keyed.items()},
        ascending=not tpl.scored,
    )
    max_candidates = int(ruleset_of(session.tender).get("max_candidates") or 3)
    for item in ranked:
        r = keyed[item.key]
        r.rank, r.tied = item.rank, item.tied
        r.candidate_rank = item.rank if item.rank <= max_candidates else None
        r.save(update_fields=["rank", "tied", "candidate_rank"])
    return {"ranking": [keyed[i.key].bidder.uscc for i in ranked], "max_candidates": max_candidates}


def report_content(session: EvaluationSession) -> dict[str, Any]:
    tender = session.tender
    members = list(session.members.select_related("user", "user__person"))
    reviews = list(session.reviews.select_related("bidder").order_by("rank", "received_at"))
    return {
        "kind": "evaluation_report",
        "tender": tender.pk,
        "section": tender.section.code,
        "section_name": tender.section.name,
        "title": tender.title,
        "rule": tender.ruleset_label,
        "template": session.template_label,
        "template_sha256": session.template_sha256,
        "method": session.method,
        "k": str(session.k_value) if session.k_value is not None else None,
        "k_seed": session.k_seed or None,
        "benchmark": str(session.benchmark) if session.benchmark is not None else None,
        "committee": [
            {
                "user": f"user:{m.user_id}",
                "name": m.user.person.name if hasattr(m.user, "person") else m.user.username,
                "kind": m.kind,
                "chair": m.is_chair,
            }
            for m in members
        ],
        "bids": [
            {
                "bidder": r.bidder.name,
                "bidder_code": r.bidder.uscc,
                "price": str(r.price),
                "rejected": r.rejected,
                "ground": r.rejection_ground or None,
                "reason": r.rejection_reason or None,
                "evaluated_price": str(r.evaluated_price)
                if r.evaluated_price is not None
                else None,
                "deviation": str(r.deviation) if r.deviation is not None else None,
                "price_score": str(r.price_score) if r.price_score is not None else None,
                "items": r.item_scores,
                "total": str(r.total) if r.total is not None else None,
                "rank": r.rank,
                "tied": r.tied,
            }
            for r in reviews
        ],
        "candidates": [
            {
                "rank": r.candidate_rank,
                "bidder": r.bidder.name,
                "bidder_code": r.bidder.uscc,
                "price": str(r.price),
                "total": str(r.total) if r.total is not None else None,
            }
            for r in reviews
            if r.candidate_rank
        ],
        "clarifications": BidClarification.objects.filter(review__session=session).count(),
    }


def build_report(session: EvaluationSession) -> dict[str, Any]:
    content = report_content(session)
    canonical = canonical_json(content)
    sha = hashlib.sha256(canonical).hexdigest()
    EvaluationSession.objects.filter(pk=session.pk).update(
        report=json.loads(canonical), report_sha256=sha
    )
    session.report, session.report_sha256 = json.loads(canonical), sha
    return {"report_sha256": sha}
