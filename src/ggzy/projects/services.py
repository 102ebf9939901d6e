"""Writes for project entry (项目入场): each in one transaction with its ledger entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F

from ggzy import clock, ledger
from ggzy.accounts.permissions import is_centre_staff
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.projects import codes
from ggzy.projects.models import (
    CodeSequence,
    OrganizeForm,
    Project,
    Section,
    TenderMode,
    TenderProject,
)
from ggzy.registry import identifiers as ids
from ggzy.registry.models import (
    Department,
    EntityStatus,
    Membership,
    MembershipStatus,
    Organization,
    Role,
    TradingCentre,
)

_LOCAL = ZoneInfo("Asia/Shanghai")


def next_sequence(scope: str) -> int:
    """Next value of a named counter; call inside the transaction that uses it."""
    CodeSequence.objects.get_or_create(scope=scope)
    CodeSequence.objects.filter(scope=scope).update(value=F("value") + 1)
    return int(CodeSequence.objects.values_list("value", flat=True).get(scope=scope))


def _member(user: Any, org: Organization | None, role: Role) -> bool:
    if org is None or user is None or not getattr(user, "is_authenticated", False):
        return False
    return Membership.objects.filter(
        organization=org, person__user=user, role=role, status=MembershipStatus.ACTIVE
    ).exists()


def can_register_project(user: Any, legal_person: Organization) -> bool:
    """Centre staff, the owner's own tenderer staff, or an agency (委托招标)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if is_centre_staff(user) or _member(user, legal_person, Role.TENDERER):
        return True
    return Membership.objects.filter(
        person__user=user, role=Role.AGENCY, status=MembershipStatus.ACTIVE
    ).exists()


def can_manage_tender(user: Any, tender: TenderProject) -> bool:
    """招标人 or its 招标代理机构 for this tender project, or centre staff."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        is_centre_staff(user)
        or _member(user, tender.tenderer, Role.TENDERER)
        or _member(user, tender.agency, Role.AGENCY)
    )


def _deny() -> DomainError:
    return DomainError(
        ErrorCode.PERMISSION_DENIED, "只有招标人、其招标代理机构或交易中心工作人员可以操作"
    )


def _text(value: str, field: str, label: str, max_length: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(ErrorCode.VALIDATION, f"请填写{label}", field=field)
    if len(value) > max_length:
        raise DomainError(ErrorCode.VALIDATION, f"{label}不能超过 {max_length} 字", field=field)
    return value


def _region(value: str, field: str = "region_code") -> str:
    if not ids.is_valid_region_code(value or ""):
        raise DomainError(ErrorCode.REGION_CODE_INVALID, field=field)
    return value


def _money(value: Decimal | None, field: str, label: str, *, required: bool) -> Decimal | None:
    if value is None:
        if required:
            raise DomainError(ErrorCode.VALIDATION, f"请填写{label}", field=field)
        return None
    if value <= 0 or value.as_tuple().exponent < -6 or value >= Decimal(10) ** 14:  # type: ignore[operator]
        raise DomainError(
            ErrorCode.VALIDATION, f"{label}应为大于 0、最多 14 位整数和 6 位小数的金额", field=field
        )
    return value


PROJECT_FIELDS = (
    "invest_project_code",
    "address",
    "industries_type",
    "fund_source",
    "project_scale",
    "contactor",
    "contact_information",
    "approval_name",
    "approval_number",
    "approval_authority",
    "approval_result",
)


def project_register(
    *,
    actor: Any,
    centre: TradingCentre,
    name: str,
    region_code: str,
    legal_person: Organization,
    budget: Decimal | None = None,
    approval_date: dt.date | None = None,
    source: str = "manual",
    source_ref: str = "",
    **details: str,
) -> Project:
    """进场登记: register a project with its approval data; issues the 17-character code."""
    if not can_register_project(actor, legal_person):
        raise _deny()
    if legal_person.status != EntityStatus.ACTIVE:
        raise DomainError(ErrorCode.PROJECT_LEGAL_PERSON_INACTIVE, field="legal_person")
    unknown = set(details) - set(PROJECT_FIELDS)
    if unknown:
        raise DomainError(ErrorCode.VALIDATION, f"未知字段：{', '.join(sorted(unknown))}")
    name = _text(name, "name", "项目名称", 600)
    _region(region_code)
    budget = _money(budget, "budget", "项目预算", required=False)
    invest = (details.get("invest_project_code") or "").strip()
    if invest and len(invest) > 24:
        raise DomainError(
            ErrorCode.VALIDATION, "投资项目统一代码最长 24 位", field="invest_project_code"
        )
    clean = {k: (v or "").strip() for k, v in details.items()}
    now = clock.now()
    try:
        with transaction.atomic():
            day = now.astimezone(_LOCAL).date()
            seq = next_sequence(f"project:{region_code}:{day:%Y%m%d}")
            project = Project.objects.create(
                code=codes.project_code(region_code, day, seq),
                name=name,
                centre=centre,
                region_code=region_code,
                legal_person=legal_person,
                budget=budget,
                approval_date=approval_date,
                source=source,
                source_ref=source_ref,
                created_at=now,
                created_by=actor if getattr(actor, "pk", None) else None,
                **clean,
            )
            ledger.record(
                "projects:project:registered",
                project,
                actor,
                {
                    "code": project.code,
                    "name": name,
                    "legal_person": legal_person.uscc,
                    "region_code": region_code,
                    "budget": budget,
                    "approval_number": project.approval_number,
                    "source": source,
                    "source_ref": source_ref,
                },
            )
    except IntegrityError as exc:
        if source_ref and Project.objects.filter(source=source, source_ref=source_ref).exists():
            raise DomainError(ErrorCode.CONFLICT, "该来源记录已导入", field="source_ref") from exc
        raise DomainError(ErrorCode.CONFLICT) from exc
    return project


def tender_project_create(
    *,
    actor: Any,
    project: Project,
    name: str,
    trade_type_code: str,
    tenderer: Organization,
    tender_mode: str = TenderMode.OPEN,
    organize_form: str = OrganizeForm.SELF,
    agency: Organization | None = None,
    supervise_dept: Department | None = None,
    tender_content: str = "",
    is_to_law: bool = True,
) -> TenderProject:
    """招标项目: one procurement under ``project``, run under ``trade_type_code``'s rules."""
    if not (
        is_centre_staff(actor)
        or _member(actor, tenderer, Role.TENDERER)
        or _member(actor, agency, Role.AGENCY)
    ):
        raise _deny()
    name = _text(name, "name", "招标项目名称", 600)
    if tender_mode not in TenderMode.values:
        raise DomainError(ErrorCode.VALIDATION, "招标方式无效", field="tender_mode")
    if organize_form not in OrganizeForm.values:
        raise DomainError(ErrorCode.VALIDATION, "招标组织形式无效", field="organize_form")
    if organize_form == OrganizeForm.ENTRUSTED and agency is None:
        raise DomainError(ErrorCode.VALIDATION, "委托招标须指定招标代理机构", field="agency")
    if (
        agency is not None
        and not Membership.objects.filter(
            organization=agency, role=Role.AGENCY, status=MembershipStatus.ACTIVE
        ).exists()
    ):
        raise DomainError(ErrorCode.VALIDATION, "所选机构不是登记的招标代理机构", field="agency")
    _require_trade_type(trade_type_code)
    now = clock.now()
    with transaction.atomic():
        seq = next_sequence(f"tender:{project.code}")
        tender = TenderProject.objects.create(
            code=codes.tender_project_code(project.code, seq),
            project=project,
            name=name,
            trade_type_code=trade_type_code,
            tender_mode=tender_mode,
            organize_form=organize_form,
            is_to_law=is_to_law,
            tender_content=tender_content.strip(),
            tenderer=tenderer,
            agency=agency,
            supervise_dept=supervise_dept,
            region_code=project.region_code,
            created_at=now,
        )
        ledger.record(
            "projects:tender:created",
            tender,
            actor,
            {
                "code": tender.code,
                "project": project.code,
                "trade_type": trade_type_code,
                "tenderer": tenderer.uscc,
                "agency": agency.uscc if agency else None,
                "tender_mode": tender_mode,
            },
        )
    return tender


def _require_trade_type(code: str) -> str:
    """The trade type must have a rule set in force; returns its unified-deal class code."""
    from ggzy.rules import selectors as rules

    rules.ruleset_for(code)  # raises DomainError when none is in force
    return rules.deal_class_for(code)


def section_create(
    *,
    actor: Any,
    tender_project: TenderProject,
    name: str,
    estimated_price: Decimal,
    max_price: Decimal | None = None,
    content: str = "",
    qualification: str = "",
    classify_codes: str = "",
    begin_date: dt.date | None = None,
    limit_days: int | None = None,
    attempt: int = 1,
) -> Section:
    """标段（包）: issues the 23-character code and the 40-character unified deal code."""
    if not can_manage_tender(actor, tender_project):
        raise _deny()
    name = _text(name, "name", "标段（包）名称", 500)
    estimated = _money(estimated_price, "estimated_price", "合同估算价", required=True)
    assert estimated is not None  # required=True
    ceiling = _money(max_price, "max_price", "最高投标限价", required=False)
    if not 1 <= attempt <= 9:
        raise DomainError(ErrorCode.VALIDATION, "招标次数应为 1 到 9", field="attempt")
    deal_class = _require_trade_type(tender_project.trade_type_code)
    now = clock.now()
    day = now.astimezone(_LOCAL).date()
    uscc = tender_project.tenderer.uscc
    with transaction.atomic():
        seq = next_sequence(f"section:{tender_project.code}")
        deal_seq = next_sequence(f"deal:{deal_class}:{uscc}:{day:%Y%m%d}")
        section = Section.objects.create(
            code=codes.section_code(tender_project.code, seq),
            tender_project=tender_project,
            name=name,
            attempt=attempt,
            unified_deal_code=codes.unified_deal_code(deal_class, uscc, day, deal_seq),
            region_code=tender_project.region_code,
            tra_place_code=tender_project.project.centre.region_code,
            content=content.strip(),
            classify_codes=classify_codes.strip(),
            estimated_price=estimated,
            max_price=ceiling,
            qualification=qualification.strip(),
            begin_date=begin_date,
            limit_days=limit_days,
            created_at=now,
        )
        ledger.record(
            "projects:section:created",
            section,
            actor,
            {
                "code": section.code,
                "unified_deal_code": section.unified_deal_code,
                "tender_project": tender_project.code,
                "estimated_price": estimated,
                "max_price": ceiling,
                "attempt": attempt,
            },
        )
    return section
