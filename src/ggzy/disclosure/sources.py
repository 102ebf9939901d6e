"""Tendering → notices: what each tendering event publishes. Called (one line each) from the
tendering services inside their transaction, and by ``ggzy disclosure reindex`` to rebuild
notices from existing data. Nothing sealed is read here: the opening record is published
only from a closed or failed opening session, i.e. after the bids were opened in public."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.html import escape

from ggzy.disclosure.models import Notice, Stage
from ggzy.disclosure.services import derived_title, notice_publish
from ggzy.tendering.models import (
    Clarification,
    OpeningSession,
    OpeningState,
    Tender,
    TenderStatus,
)

SOURCE = "tendering"
CONSISTENCY = {
    "consistent": "一致",
    "commitment_mismatch": "与签名承诺不一致",
    "tampered": "密文被篡改",
    "receipt_mismatch": "与回执摘要不一致",
    "not_decrypted": "未解密",
    "pending": "待解密",
}


def _local(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    from django.utils import timezone

    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.01")))


def _common(tender: Tender) -> dict[str, Any]:
    section = tender.section
    tp = section.tender_project
    return {
        "trade_type": tp.trade_type_code,
        "region_code": section.region_code or tp.region_code,
        "subject_code": section.code,
        "project_code": tp.project.code,
        "source_app": SOURCE,
        "public_url": reverse("tendering:detail", args=[tender.pk]),
    }


def tender_announced(tender: Tender, actor: Any) -> Notice:
    """招标公告: the announcement text plus its key dates."""
    section = tender.section
    facts = {
        "section_code": section.code,
        "section_name": section.name,
        "unified_deal_code": section.unified_deal_code,
        "budget": _money(section.max_price or section.estimated_price),
        "estimated_price": _money(section.estimated_price),
        "max_price": _money(section.max_price),
        "bid_deadline": tender.bid_deadline.isoformat() if tender.bid_deadline else None,
    }
    dates = (
        "<h3>招标文件获取与投标</h3><ul>"
        f"<li>招标文件获取时间：{_local(tender.docs_from)} 至 {_local(tender.docs_until)}</li>"
        f"<li>投标截止时间（开标时间）：{_local(tender.bid_deadline)}</li>"
        f"<li>开标地点：{escape(tender.opening_place)}</li>"
        f"<li>标段（包）：{escape(section.code)} {escape(section.name)}</li></ul>"
    )
    return notice_publish(
        actor=actor,
        key=f"tendering:tender:{tender.pk}:announcement",
        stage=Stage.TENDER_ANNOUNCEMENT,
        title=tender.title,
        body_html=tender.announcement_html + dates,
        facts=facts,
        published_at=tender.announced_at,
        **_common(tender),
    )


def clarification_issued(clar: Clarification, actor: Any) -> Notice:
    tender = clar.tender
    moved = (
        f"<p>投标截止时间由 {_local(clar.old_deadline)} 调整为 {_local(clar.new_deadline)}。</p>"
        if clar.new_deadline != clar.old_deadline
        else ""
    )
    return notice_publish(
        actor=actor,
        key=f"tendering:clarification:{clar.pk}",
        stage=Stage.CLARIFICATION,
        title=derived_title(tender.title, "澄清或修改"),
        body_html=clar.content_html + moved,
        facts={"new_deadline": clar.new_deadline.isoformat()},
        published_at=clar.issued_at,
        **_common(tender),
    )


def _record_table(record: dict[str, Any]) -> str:
    rows = []
    for i, row in enumerate(record.get("rows") or [], 1):
        price = row.get("price") or {}
        amount = price.get("amount")
        rows.append(
            "<tr>"
            f"<td>{i}</td><td>{escape(row.get('bidder', ''))}</td>"
            f"<td>{escape(str(amount) if amount is not None else '—')}</td>"
            f"<td>{escape(str(price.get('duration_days') or '—'))}</td>"
            f"<td>{escape(CONSISTENCY.get(row.get('consistency', ''), ''))}</td>"
            "</tr>"
        )
    if not rows:
        return ""
    return (
        "<table><thead><tr><th>序号</th><th>投标人</th><th>投标报价（元）</th><th>工期（天）</th>"
        "<th>一致性</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _prices(record: dict[str, Any]) -> list[str]:
    out = []
    for row in record.get("rows") or []:
        amount = (row.get("price") or {}).get("amount")
        if row.get("consistency") == "consistent" and amount is not None:
            out.append(str(amount))
    return out


def opening_closed(session: OpeningSession, actor: Any) -> Notice | None:
    """开标记录 (closed session) or 流标公告 (failed session); nothing before either."""
    tender = session.tender
    record = session.record or {}
    bidders = len(record.get("rows") or [])
    if session.state == OpeningState.CLOSED:
        return notice_publish(
            actor=actor,
            key=f"tendering:opening:{session.pk}:record",
            stage=Stage.OPENING_RECORD,
            title=derived_title(tender.title, "开标记录"),
            body_html=(
                f"<p>开标时间：{_local(session.started_at)}；开标地点："
                f"{escape(tender.opening_place)}；有效投标 {record.get('valid_bids', 0)} 家。</p>"
                + _record_table(record)
            ),
            facts={
                "bidder_count": bidders,
                "valid_bids": record.get("valid_bids", 0),
                "prices": _prices(record),
                "record_sha256": session.record_sha256,
            },
            published_at=session.closed_at,
            **_common(tender),
        )
    if session.state == OpeningState.FAILED:
        return tender_failed(tender, actor, session=session)
    return None


def tender_failed(tender: Tender, actor: Any, *, session: OpeningSession | None = None) -> Notice:
    record = (session.record if session else None) or {}
    count = len(record.get("rows") or []) or (
        session.bids.count() if session else tender.bids.filter(status="submitted").count()
    )
    reason = (
        f"有效投标人 {record.get('valid_bids', 0)} 家，不足法定数量"
        if record
        else "递交投标文件的投标人少于 3 个"
    )
    when = session.started_at if session else tender.bid_deadline
    return notice_publish(
        actor=actor,
        key=f"tendering:tender:{tender.pk}:failed",
        stage=Stage.FAILED,
        title=derived_title(tender.title, "流标公告"),
        body_html=f"<p>本标段招标失败（流标）：{escape(reason)}"
        "（招标投标法第二十八条、实施条例第四十四条）。招标人将依法重新招标。</p>"
        + _record_table(record),
        facts={"bidder_count": count, "valid_bids": record.get("valid_bids", 0)},
        published_at=when,
        **_common(tender),
    )


def tender_terminated(tender: Tender, actor: Any) -> Notice:
    """终止公告, from what the termination stored on the tender (``termination_reason``,
    ``terminated_at``): the live call and ``reindex`` publish the same notice."""
    reason = tender.termination_reason.strip()
    said = f"终止原因：{reason}。" if reason else ""
    return notice_publish(
        actor=actor,
        key=f"tendering:tender:{tender.pk}:terminated",
        stage=Stage.TERMINATION,
        title=derived_title(tender.title, "终止公告"),
        body_html=f"<p>本招标已终止。{escape(said)}招标人将退还招标文件费用及投标保证金和银行同期存款利息"
        "（实施条例第三十一条）。</p>",
        facts={},
        published_at=tender.terminated_at,
        **_common(tender),
    )


def reindex(actor: Any) -> int:
    """Publish every notice tendering data implies and the index lacks (idempotent)."""
    before = Notice.objects.count()
    tenders = (
        Tender.objects.exclude(status=TenderStatus.DRAFT)
        .select_related("section", "section__tender_project", "section__tender_project__project")
        .order_by("pk")
    )
    for tender in tenders:
        if tender.announced_at is None:
            continue
        tender_announced(tender, actor)
        for clar in Clarification.objects.filter(tender=tender).order_by("issued_at", "pk"):
            clar.tender = tender
            clarification_issued(clar, actor)
        session = OpeningSession.objects.filter(tender=tender).first()
        if session is not None:
            session.tender = tender
            opening_closed(session, actor)
        elif tender.status == TenderStatus.FAILED:
            tender_failed(tender, actor)
        if tender.status == TenderStatus.TERMINATED:
            tender_terminated(tender, actor)
    return Notice.objects.count() - before
