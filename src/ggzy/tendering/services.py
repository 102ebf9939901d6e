"""Announcement side of a tender (招标公告, 招标文件, 澄清, 异议). Every write runs in one
transaction with its ledger entry; time limits come from the rule set in force (rules/)."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F

from ggzy import clock, ledger
from ggzy.accounts.permissions import Perm, is_centre_staff, require
from ggzy.core import fieldcrypt
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.projects.models import Section
from ggzy.projects.services import can_manage_tender
from ggzy.registry.models import Membership, MembershipStatus, Organization, Role
from ggzy.rules import selectors as rules
from ggzy.tendering import keyshare
from ggzy.tendering.html import sanitise
from ggzy.tendering.models import (
    TERMINAL,
    Clarification,
    DocumentDownload,
    DocumentKind,
    Objection,
    ObjectionStatus,
    Tender,
    TenderDocument,
    TenderStatus,
)
from ggzy.tendering.selectors import ruleset_of

DOWNLOAD_CONTEXT = "tendering.download"


def _manage(actor: Any, tender: Tender) -> None:
    require(actor, Perm.TENDERING_TENDER_WRITE)
    if not can_manage_tender(actor, tender.section.tender_project):
        raise DomainError(
            ErrorCode.PERMISSION_DENIED, "只有招标人、其招标代理机构或交易中心工作人员可以操作"
        )


def tender_create(*, actor: Any, section: Section, title: str, announcement_html: str) -> Tender:
    """A draft tender for ``section``; nothing is public until ``tender_publish``."""
    require(actor, Perm.TENDERING_TENDER_WRITE)
    if not can_manage_tender(actor, section.tender_project):
        raise DomainError(ErrorCode.PERMISSION_DENIED)
    title = (title or "").strip()
    if not title or len(title) > 600:
        raise DomainError(ErrorCode.VALIDATION, "请填写公告标题（不超过 600 字）", field="title")
    content = sanitise(announcement_html or "")
    if not content.strip():
        raise DomainError(ErrorCode.VALIDATION, "请填写公告内容", field="announcement_html")
    if Tender.objects.filter(section=section).exists():
        raise DomainError(ErrorCode.CONFLICT, "该标段已有招标", field="section")
    with transaction.atomic():
        tender = Tender.objects.create(
            section=section, title=title, announcement_html=content, created_at=clock.now()
        )
        ledger.record(
            "tendering:tender:drafted",
            tender,
            actor,
            {"section": section.code, "title": title},
        )
    return tender


def document_add(
    *, actor: Any, tender: Tender, upload: UploadedFile, kind: str = DocumentKind.TENDER
) -> TenderDocument:
    """招标文件/澄清文件: stored, hashed, and the hash recorded on the ledger."""
    _manage(actor, tender)
    if tender.status in {TenderStatus.OPENING, TenderStatus.OPENED, *TERMINAL}:
        raise DomainError(ErrorCode.TENDER_STATE, field="status")
    if kind not in DocumentKind.values:
        raise DomainError(ErrorCode.VALIDATION, "文件类型无效", field="kind")
    limit = settings.GGZY_MAX_DOCUMENT_BYTES
    if upload.size is None or upload.size == 0 or upload.size > limit:
        raise DomainError(
            ErrorCode.FILE_TOO_LARGE,
            f"文件为空或过大（上限 {limit // 1024 // 1024} MB）",
            field="file",
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = (upload.name or "document")[-255:]
    with transaction.atomic():
        doc = TenderDocument(
            tender=tender,
            kind=kind,
            name=name,
            sha256=digest.hexdigest(),
            size=upload.size,
            uploaded_at=clock.now(),
        )
        doc.file.save(name, upload, save=False)
        doc.save()
        ledger.record(
            "tendering:document:added",
            doc,
            actor,
            {
                "tender": tender.pk,
                "kind": kind,
                "name": name,
                "file_sha256": doc.sha256,
                "size": doc.size,
            },
        )
    return doc


def _custodian_users(tender: Tender, custodians: dict[str, Any]) -> dict[str, Any]:
    """Check each custodian holds the role its share stands for."""
    from ggzy.tendering.models import CustodianRole

    expected = {CustodianRole.CENTRE, CustodianRole.SUPERVISOR, CustodianRole.TENDERER}
    if set(custodians) != expected:
        raise DomainError(
            ErrorCode.VALIDATION,
            "开标密钥须由交易中心、监督部门、招标人（或代理机构）三方分持",
            field="custodians",
        )
    tp = tender.section.tender_project
    checks: dict[str, Any] = {
        CustodianRole.CENTRE: is_centre_staff,
        CustodianRole.SUPERVISOR: lambda u: Membership.objects.filter(
            person__user=u, role=Role.REGULATOR, status=MembershipStatus.ACTIVE
        ).exists(),
        CustodianRole.TENDERER: lambda u: can_manage_tender(u, tp) and not is_centre_staff(u),
    }
    for role, user in custodians.items():
        if user is None or not checks[role](user):
            raise DomainError(
                ErrorCode.VALIDATION, f"开标密钥保管人角色不符：{role}", field="custodians"
            )
    return custodians


def tender_publish(
    *,
    actor: Any,
    tender: Tender,
    docs_from: dt.datetime,
    docs_until: dt.datetime,
    bid_deadline: dt.datetime,
    custodians: dict[str, Any],
    deposit_amount: Decimal | None = None,
    deposit_account: str = "",
    threshold: int = 2,
) -> Tender:
    """发布招标公告: checks the time limits of the rule set in force (T6, T8), the deposit
    cap (T11), generates the opening key and splits it k-of-n among custodians, and records
    the rule-set version and its hash with the announcement on the ledger."""
    _manage(actor, tender)
    now = clock.now()
    rs = ruleset_of(tender)
    if not tender.documents.filter(kind=DocumentKind.TENDER).exists():
        raise DomainError(ErrorCode.VALIDATION, "请先上传招标文件", field="documents")
    if docs_from < now - dt.timedelta(minutes=5):
        raise DomainError(ErrorCode.VALIDATION, "文件获取开始时间不能早于现在", field="docs_from")
    if not docs_from < docs_until <= bid_deadline:
        raise DomainError(
            ErrorCode.VALIDATION, "时间顺序应为：获取开始 < 获取截止 ≤ 投标截止", field="docs_until"
        )
    rules.check_min_period(rs, "doc_period_min_days", docs_from, docs_until)
    rules.check_min_period(rs, "bid_period_min_days", docs_from, bid_deadline)
    if deposit_amount is not None:
        _check_deposit(rs, tender.section, deposit_amount)
    custodians = _custodian_users(tender, custodians)
    if not 2 <= threshold <= len(custodians):
        raise DomainError(ErrorCode.VALIDATION, "门限应在 2 到保管人数之间", field="threshold")
    opening = keyshare.create_opening_key(tender, custodians, threshold)
    with transaction.atomic():
        changed = Tender.objects.filter(
            pk=tender.pk, status=TenderStatus.DRAFT, version=tender.version
        ).update(
            status=TenderStatus.ANNOUNCED,
            docs_from=docs_from,
            docs_until=docs_until,
            bid_deadline=bid_deadline,
            deposit_amount=deposit_amount,
            deposit_account=deposit_account.strip(),
            opening_public_key=opening.public_key_text,
            opening_key_id=opening.key_id,
            custodian_threshold=threshold,
            ruleset_label=rs.label,
            ruleset_sha256=rs.sha256,
            announced_at=now,
            version=F("version") + 1,
        )
        if changed != 1:
            raise DomainError(ErrorCode.TENDER_STATE, "该招标已发布或已被修改", field="status")
        keyshare.store_shares(tender, opening)
        tender.refresh_from_db()
        ledger.record(
            "tendering:tender:announced",
            tender,
            actor,
            {
                "section": tender.section.code,
                "unified_deal_code": tender.section.unified_deal_code,
                "title": tender.title,
                "announcement_sha256": hashlib.sha256(
                    tender.announcement_html.encode()
                ).hexdigest(),
                "documents": list(tender.documents.values_list("sha256", flat=True)),
                "docs_from": docs_from,
                "docs_until": docs_until,
                "bid_deadline": bid_deadline,
                "opening_public_key": opening.public_key_text,
                "custodians": {role: u.pk for role, u in custodians.items()},
                "threshold": threshold,
                "ruleset": rs.label,
                "ruleset_sha256": rs.sha256,
            },
            rule_version=rs.label,
        )
        from ggzy.disclosure import sources as disclosure  # 招标公告 → public notice index

        disclosure.tender_announced(tender, actor)
    return tender


def _check_deposit(rs: rules.RuleSetView, section: Section, amount: Decimal) -> None:
    if amount <= 0:
        raise DomainError(ErrorCode.VALIDATION, "保证金应大于 0", field="deposit_amount")
    ratio = Decimal(str(rs.get("deposit_cap_ratio")))
    cap = section.estimated_price * ratio
    cap_amount = rs.get("deposit_cap_amount")
    if cap_amount is not None:
        cap = min(cap, Decimal(str(cap_amount)))
    if amount > cap:
        raise DomainError(
            ErrorCode.DEPOSIT_OVER_CAP,
            f"投标保证金不得超过 {cap:.2f} 元（规则 {rs.label}：估算价的 {ratio:%}"
            + ("" if cap_amount is None else f"，且不超过 {Decimal(str(cap_amount)):.2f} 元")
            + "；招标投标法实施条例第二十六条）",
            field="deposit_amount",
            detail={"cap": str(cap), "ruleset": rs.label},
        )


def document_download(*, actor: Any, document: TenderDocument) -> TenderDocument:
    """Anyone may download without registering (no 投标报名, 电子招标投标办法 Art 20); who
    downloaded stays confidential until the deadline: the ledger gets only a keyed
    commitment of the downloader, never their identity."""
    tender = document.tender
    now = clock.now()
    if tender.status != TenderStatus.ANNOUNCED or (tender.docs_from and now < tender.docs_from):
        raise DomainError(ErrorCode.TENDER_STATE, "当前不在招标文件获取期内")
    user = actor if getattr(actor, "is_authenticated", False) else None
    who = f"user:{user.pk}" if user else "anonymous"
    with transaction.atomic():
        DocumentDownload.objects.create(document=document, user=user, at=now)
        ledger.record(
            "tendering:document:downloaded",
            document,
            "system:download",
            {
                "tender": tender.pk,
                "file_sha256": document.sha256,
                "downloader_commitment": fieldcrypt.blind_index(
                    f"{who}:{now.isoformat()}", context=DOWNLOAD_CONTEXT
                ),
            },
        )
    return document


def clarification_issue(
    *,
    actor: Any,
    tender: Tender,
    content_html: str,
    upload: UploadedFile | None = None,
    new_deadline: dt.datetime | None = None,
) -> Clarification:
    """澄清或修改 (T9): issued less than the rule's minimum before the deadline, the deadline
    moves to the earliest allowed time (or ``new_deadline`` if later)."""
    _manage(actor, tender)
    if tender.status != TenderStatus.ANNOUNCED:
        raise DomainError(ErrorCode.TENDER_STATE, "只有发布中的招标可以澄清或修改")
    content = sanitise(content_html or "")
    if not content.strip():
        raise DomainError(ErrorCode.VALIDATION, "请填写澄清内容", field="content_html")
    rs = ruleset_of(tender)
    now = clock.now()
    old = tender.bid_deadline
    assert old is not None
    earliest = rules.min_period_end(rs, "clarification_min_days", now)
    deadline = old
    if earliest > old:
        deadline = earliest
    if new_deadline is not None:
        if new_deadline < deadline:
            raise DomainError(
                ErrorCode.PERIOD_TOO_SHORT,
                f"澄清发出后至投标截止不得少于 {rs.get('clarification_min_days')} 日"
                f"（规则 {rs.label}；招标投标法实施条例第二十一条），"
                f"最早为 {deadline:%Y-%m-%d %H:%M} UTC",
                field="new_deadline",
            )
        deadline = new_deadline
    doc = (
        document_add(actor=actor, tender=tender, upload=upload, kind=DocumentKind.CLARIFICATION)
        if upload is not None
        else None
    )
    with transaction.atomic():
        if deadline != old:
            changed = Tender.objects.filter(
                pk=tender.pk, status=TenderStatus.ANNOUNCED, bid_deadline=old
            ).update(bid_deadline=deadline, version=F("version") + 1)
            if changed != 1:
                raise DomainError(ErrorCode.CONFLICT)
            tender.refresh_from_db()
        clar = Clarification.objects.create(
            tender=tender,
            content_html=content,
            document=doc,
            issued_at=now,
            old_deadline=old,
            new_deadline=deadline,
        )
        ledger.record(
            "tendering:clarification:issued",
            clar,
            actor,
            {
                "tender": tender.pk,
                "content_sha256": hashlib.sha256(content.encode()).hexdigest(),
                "file_sha256": doc.sha256 if doc else None,
                "old_deadline": old,
                "new_deadline": deadline,
                "postponed": deadline != old,
            },
            rule_version=rs.label,
        )
        from ggzy.disclosure import sources as disclosure  # 澄清公告 → public notice index

        disclosure.clarification_issued(clar, actor)
    return clar


def objection_raise(
    *, actor: Any, tender: Tender, organization: Organization, content: str
) -> Objection:
    """异议 to the tender documents (T10): no later than N days before the deadline; the
    opening waits until it is answered."""
    require(actor, Perm.REGISTRY_ENTITY_READ)
    if not Membership.objects.filter(
        organization=organization, person__user=actor, status=MembershipStatus.ACTIVE
    ).exists():
        raise DomainError(ErrorCode.PERMISSION_DENIED, "只能以本单位名义提出异议")
    if tender.status != TenderStatus.ANNOUNCED:
        raise DomainError(ErrorCode.TENDER_STATE)
    content = (content or "").strip()
    if not content or len(content) > 20000:
        raise DomainError(ErrorCode.VALIDATION, "请填写异议内容", field="content")
    rs = ruleset_of(tender)
    now = clock.now()
    assert tender.bid_deadline is not None
    key = "objection_docs_days_before_deadline"
    if now > rules.latest_start_for(rs, key, tender.bid_deadline):
        raise DomainError(
            ErrorCode.PERIOD_TOO_SHORT,
            f"对招标文件的异议应在投标截止时间 {rs.get(key)} 日前提出"
            f"（规则 {rs.label} {key}；{rs.basis_for(key) or '招标投标法实施条例第二十二条'}）",
            field="content",
        )
    due = rules.period_end_for(rs, "objection_answer_days", now)
    with transaction.atomic():
        obj = Objection.objects.create(
            tender=tender, raised_by=organization, content=content, raised_at=now, answer_due=due
        )
        ledger.record(
            "tendering:objection:raised",
            obj,
            actor,
            {
                "tender": tender.pk,
                "by": organization.uscc,
                "content_sha256": hashlib.sha256(content.encode()).hexdigest(),
                "answer_due": due,
            },
            rule_version=rs.label,
        )
    return obj


def objection_answer(*, actor: Any, objection: Objection, answer: str) -> Objection:
    _manage(actor, objection.tender)
    answer = (answer or "").strip()
    if not answer:
        raise DomainError(ErrorCode.VALIDATION, "请填写答复内容", field="answer")
    now = clock.now()
    with transaction.atomic():
        if (
            Objection.objects.filter(pk=objection.pk, status=ObjectionStatus.OPEN).update(
                status=ObjectionStatus.ANSWERED, answer=answer, answered_at=now
            )
            != 1
        ):
            raise DomainError(ErrorCode.CONFLICT, "该异议已答复")
        objection.refresh_from_db()
        ledger.record(
            "tendering:objection:answered",
            objection,
            actor,
            {
                "answer_sha256": hashlib.sha256(answer.encode()).hexdigest(),
                "late": now > objection.answer_due,
            },
        )
    return objection
