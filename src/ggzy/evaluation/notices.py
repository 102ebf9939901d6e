"""Evaluation → public notices (信息公开): 中标候选人公示 when the publicity starts and
中标结果公告 at the award, published through the disclosure index inside the evaluation's own
transaction (DOMAIN §3.6, T21, T24). Only what the law makes public: ranked candidates with
names, prices, quality and duration, the evaluation result, and the objection channel."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from ggzy.disclosure.models import Notice, Stage
from ggzy.disclosure.services import derived_title, notice_publish
from ggzy.evaluation.models import EvaluationSession

SOURCE = "evaluation"


def _common(session: EvaluationSession) -> dict[str, Any]:
    section = session.tender.section
    tp = section.tender_project
    return {
        "trade_type": tp.trade_type_code,
        "region_code": section.region_code or tp.region_code,
        "subject_code": section.code,
        "project_code": tp.project.code,
        "source_app": SOURCE,
        "public_url": reverse("evaluation:session", args=[session.pk]),
    }


def _money(value: Any) -> str | None:
    return None if value in (None, "") else str(Decimal(str(value)).quantize(Decimal("0.01")))


def _when(value: Any) -> str:
    return "—" if value is None else f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


def _budget(session: EvaluationSession) -> str | None:
    section = session.tender.section
    return _money(section.max_price or section.estimated_price)


def _price_terms(session: EvaluationSession) -> dict[str, dict[str, Any]]:
    """Quality and duration each candidate offered, from its opened price form (开标一览表)."""
    rows = session.tender.bids.filter(opening__isnull=False).select_related("bidder", "opening")
    return {b.bidder.uscc: dict(b.opening.price or {}) for b in rows}


def candidates_publicised(session: EvaluationSession, actor: Any) -> Notice:
    """中标候选人公示: ranked candidates, their offers and the objection channel and period."""
    tender = session.tender
    terms = _price_terms(session)
    candidates = sorted(session.report.get("candidates", []), key=lambda c: c["rank"])
    rows = "".join(
        "<tr>"
        f"<td>{c['rank']}</td><td>{escape(c['bidder'])}</td>"
        f"<td>{escape(c['bidder_code'])}</td><td>{escape(_money(c['price']) or '')}</td>"
        f"<td>{escape(str(terms.get(c['bidder_code'], {}).get('quality') or '—'))}</td>"
        f"<td>{escape(str(terms.get(c['bidder_code'], {}).get('duration_days') or '—'))}</td>"
        f"<td>{escape(c.get('total') or '—')}</td>"
        "</tr>"
        for c in candidates
    )
    body = (
        f"<p>{escape(tender.title)}已于 {_when(session.publicity_from)} 完成评标，"
        "现将中标候选人公示如下：</p>"
        "<table><thead><tr><th>排序</th><th>中标候选人</th><th>统一社会信用代码</th>"
        "<th>投标报价（元）</th><th>质量</th><th>工期（日历天）</th><th>评标得分</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        f"<p>公示期：{_when(session.publicity_from)} 至 {_when(session.publicity_until)}。</p>"
        "<p>投标人或者其他利害关系人对评标结果有异议的，应当在公示期间通过本平台“异议”"
        "功能以书面形式向招标人提出；招标人应当自收到异议之日起 3 日内作出答复，"
        "作出答复前暂停招标投标活动（招标投标法实施条例第五十四条）。</p>"
    )
    return notice_publish(
        actor=actor,
        key=f"evaluation:session:{session.pk}:candidates",
        stage=Stage.CANDIDATE_PUBLICITY,
        title=derived_title(tender.title, "中标候选人公示"),
        body_html=body,
        facts={
            "budget": _budget(session),
            "candidates": [
                {"rank": c["rank"], "bidder_code": c["bidder_code"], "price": _money(c["price"])}
                for c in candidates
            ],
            "publicity_until": session.publicity_until.isoformat()
            if session.publicity_until
            else None,
            "report_sha256": session.report_sha256,
        },
        published_at=session.publicity_from,
        **_common(session),
    )


def award_published(session: EvaluationSession, actor: Any) -> Notice:
    """中标结果公告: the winner and its price; ``facts`` carry what the statistics read
    (budget, winning price, bidder count, time from announcement to award)."""
    tender = session.tender
    winner = session.winner
    assert winner is not None  # called after the award is set
    price = _money(session.reviews.get(bid=winner).price)
    bidders = len(session.report.get("bids", []))
    days = (
        (session.awarded_at - tender.announced_at).days
        if session.awarded_at and tender.announced_at
        else None
    )
    body = (
        f"<p>{escape(tender.title)}的中标人为 <strong>{escape(winner.bidder.name)}</strong>"
        f"（统一社会信用代码 {escape(winner.bidder.uscc)}），中标价 {escape(price or '—')} 元。"
        f"定标时间：{_when(session.awarded_at)}。</p>"
        "<p>中标通知书和中标结果通知书已通过本平台发出，均带平台签名和核验二维码。</p>"
    )
    return notice_publish(
        actor=actor,
        key=f"evaluation:session:{session.pk}:award",
        stage=Stage.AWARD_RESULT,
        title=derived_title(tender.title, "中标结果公告"),
        body_html=body,
        facts={
            "budget": _budget(session),
            "winning_price": price,
            "winner_code": winner.bidder.uscc,
            "bidder_count": bidders,
            "days_to_award": days,
        },
        published_at=session.awarded_at,
        **_common(session),
    )
