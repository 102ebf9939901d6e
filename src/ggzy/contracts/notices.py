"""Contracts → public notices (信息公开): the contract notice (合同公告 / 合同订立信息) and its
corrections, published through the disclosure index inside the contract's own transaction.
Stage ``contract`` of ``disclosure.models.Stage``; the disclosure catalogue item of that stage
(合同订立信息, 政府采购合同公告) turns 已公开 with the first one.

Each version is its own notice (key ``contracts:contract:<id>:v<n>``): a correction names the
version it corrects and its reason, so the portal's project history shows the contract as
first published and as corrected, newest first."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.html import escape

from ggzy.contracts.models import Contract, ContractVersion, PriceForm
from ggzy.disclosure.models import Notice, Stage
from ggzy.disclosure.services import notice_publish

SOURCE = "contracts"


def key_for(contract: Contract, number: int) -> str:
    return f"contracts:contract:{contract.pk}:v{number}"


def _money(text: str) -> str:
    from decimal import Decimal

    return f"{Decimal(text):,.2f}"


def contract_published(contract: Contract, version: ContractVersion, actor: Any) -> Notice:
    """合同公告 (version 1) or 合同更正公告 (version ≥ 2) on the portal."""
    d = version.data
    tender = contract.tender
    section = tender.section
    tp = section.tender_project
    corrected = version.number > 1
    price_note = (
        f"（与中标价 {_money(d['award_price'])} 元不一致，理由：{escape(d['price_reason'])}）"
        if d["price_reason"]
        else "（与中标价一致）"
    )
    rows = [
        ("合同编号", escape(d["code"])),
        ("合同名称", escape(d["name"])),
        ("项目及标段（包）", escape(f"{tender.title} {section.name}（{section.code}）")),
        ("招标人（采购人）", escape(f"{d['tenderer']['name']}（{d['tenderer']['uscc']}）")),
        ("中标人（供应商）", escape(f"{d['winner']['name']}（{d['winner']['uscc']}）")),
        ("合同金额", f"{_money(d['price'])} 元{price_note}"),
        ("价款形式", escape(PriceForm(d["price_form"]).label)),
        ("合同期限", f"{d['term_days']} 日"),
        ("质量要求", escape(d["quality"] or "—")),
        ("合同签订日期", escape(d["signed_on"])),
        ("合同主要内容", escape(d["content"])),
        ("合同文件 SHA-256", escape(d["file"]["sha256"] or "—")),
    ]
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    head = (
        f"<p><strong>更正公告（第 {version.number - 1} 次更正）</strong>："
        f"本公告更正此前发布的合同公告，更正原因：{escape(version.reason)}。"
        "以本公告为准。</p>"
        if corrected
        else ""
    )
    body = (
        head + f"<p>{escape(tender.title)}已于 {escape(d['signed_on'])} 订立书面合同，"
        "现将合同信息公告如下：</p>"
        f"<table><tbody>{table}</tbody></table>"
        "<p>合同文件的 SHA-256 已记录在本平台存证日志中，可在“存证核验”页面核验。</p>"
    )
    suffix = "合同更正公告" if corrected else "合同公告"
    return notice_publish(
        actor=actor,
        key=key_for(contract, version.number),
        trade_type=tp.trade_type_code,
        stage=Stage.CONTRACT,
        region_code=section.region_code or tp.region_code,
        title=f"{tender.title}（{suffix}）"[:600],
        body_html=body,
        subject_code=section.code,
        project_code=tp.project.code,
        source_app=SOURCE,
        public_url=reverse("contracts:tender", args=[tender.pk]),
        facts={
            "contract_code": d["code"],
            "contract_price": d["price"],
            "award_price": d["award_price"],
            "winner_code": d["winner"]["uscc"],
            "version": version.number,
            "corrected": corrected,
            "file_sha256": d["file"]["sha256"],
        },
        published_at=version.created_at,
    )
