"""Projects API (项目入场): register projects, tender projects and sections, and import
approved projects (一键获取). Mounted by ``ggzy/api.py`` at ``/projects``, ``/tenders`` and
``/sections``; reads through ``selectors`` (scoped to the caller), writes through ``services``."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Query, Router, Status

from ggzy.accounts.permissions import Perm, require
from ggzy.core.auth import request_user
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.projects import importers, selectors, services
from ggzy.projects.models import Project, Section, TenderProject
from ggzy.projects.schemas import (
    ImportIn,
    ImportReportOut,
    ProjectIn,
    ProjectOut,
    ProjectPage,
    SectionIn,
    SectionOut,
    TenderIn,
    TenderOut,
)
from ggzy.registry import selectors as registry
from ggzy.registry.models import Organization

router = Router(tags=["projects 项目"])
tenders_router = Router(tags=["projects 项目"])
sections_router = Router(tags=["projects 项目"])


def _org(uscc: str, field: str) -> Organization:
    try:
        return registry.organization_get(uscc)
    except DomainError as exc:
        raise DomainError(exc.code, exc.message, field=field) from exc


_MICRO = Decimal("0.000001")


def _money(value: Decimal | None) -> Decimal | None:
    """Money always with the 6 decimals of decimal(20,6), fresh or read back."""
    return None if value is None else Decimal(value).quantize(_MICRO)


def _org_ref(org: Organization | None) -> dict[str, str] | None:
    return {"uscc": org.uscc, "name": org.name} if org is not None else None


def _section_summary(s: Section) -> dict[str, Any]:
    return {
        "code": s.code,
        "name": s.name,
        "unified_deal_code": s.unified_deal_code,
        "estimated_price": _money(s.estimated_price),
    }


def _section_out(s: Section) -> dict[str, Any]:
    fields = (
        "code name attempt unified_deal_code region_code tra_place_code content classify_codes "
        "estimated_price max_price qualification begin_date limit_days created_at"
    )
    out = {name: getattr(s, name) for name in fields.split()}
    money = {"estimated_price": _money(s.estimated_price), "max_price": _money(s.max_price)}
    return {**out, **money, "tender_project_code": s.tender_project.code}


def _tender_out(t: TenderProject) -> dict[str, Any]:
    return {
        "code": t.code,
        "project_code": t.project.code,
        "name": t.name,
        "trade_type_code": t.trade_type_code,
        "tender_mode": t.tender_mode,
        "organize_form": t.organize_form,
        "is_to_law": t.is_to_law,
        "tender_content": t.tender_content,
        "tenderer": _org_ref(t.tenderer),
        "agency": _org_ref(t.agency),
        "supervise_dept_code": t.supervise_dept.code if t.supervise_dept else None,
        "region_code": t.region_code,
        "created_at": t.created_at,
        "sections": [_section_summary(s) for s in t.sections.order_by("code")],
    }


def _project_summary(p: Project) -> dict[str, Any]:
    return {
        "code": p.code,
        "name": p.name,
        "region_code": p.region_code,
        "legal_person": _org_ref(p.legal_person),
        "invest_project_code": p.invest_project_code,
        "source": p.source,
        "created_at": p.created_at,
    }


def _project_out(p: Project, user: Any) -> dict[str, Any]:
    details = {name: getattr(p, name) for name in services.PROJECT_FIELDS}
    tenders = [
        {
            "code": t.code,
            "name": t.name,
            "trade_type_code": t.trade_type_code,
            "tender_mode": t.tender_mode,
            "sections": [_section_summary(s) for s in t.sections.all()],
        }
        for t in selectors.project_tenders(user, p)
    ]
    return {
        **_project_summary(p),
        **details,
        "centre_code": p.centre.code,
        "budget": _money(p.budget),
        "approval_date": p.approval_date,
        "source_ref": p.source_ref,
        "tenders": tenders,
    }


@router.get("", response=ProjectPage, summary="项目列表 Search projects")
def list_projects(
    request: HttpRequest,
    q: str = "",
    region_code: str = "",
    page: int = Query(1, ge=1),  # type: ignore[type-arg]
    page_size: int = Query(20, ge=1, le=100),  # type: ignore[type-arg]
) -> dict[str, Any]:
    qs = selectors.project_search(request_user(request), q=q[:100], region_code=region_code[:6])
    pager = Paginator(qs, page_size)
    current = pager.get_page(page)
    return {
        "count": pager.count,
        "page": current.number,
        "page_size": page_size,
        "results": [_project_summary(p) for p in current.object_list],
    }


@router.post("", response={201: ProjectOut}, summary="进场登记 Register a project")
def register_project(request: HttpRequest, body: ProjectIn) -> Status[Any]:
    user = request_user(request)
    require(user, Perm.PROJECTS_PROJECT_WRITE)
    data = body.dict()
    legal_person = _org(data.pop("legal_person_uscc"), "legal_person_uscc")
    centre = selectors.centre_for(user, data.pop("centre_code"))
    project = services.project_register(
        actor=user, centre=centre, legal_person=legal_person, **data
    )
    return Status(201, _project_out(project, user))


@router.post(
    "/import",
    response=ImportReportOut,
    summary="一键获取 Import projects (centre staff)",
    description="Body `{records: [...], source, all_or_nothing, dry_run}`; each record uses the "
    "data-spec field names of table 500 (see docs/projects.md). Answers 200 with the report; "
    "`ok` is false when any record was rejected. Records of a `source` already imported "
    "(same record id) are `skipped`.",
)
def import_projects(request: HttpRequest, body: ImportIn) -> dict[str, Any]:
    user = request_user(request)
    require(user, Perm.PROJECTS_PROJECT_WRITE)
    if not importers.can_import(user):
        raise DomainError(ErrorCode.PERMISSION_DENIED, "只有交易中心工作人员可以批量导入项目")
    # Read the records again with Decimal numbers: a JSON float would lose money digits.
    records = json.loads(request.body, parse_float=Decimal)["records"]
    report = importers.run_import(
        importers.RecordsSource(records, name=body.source),
        actor=user,
        centre=selectors.centre_for(user),
        all_or_nothing=body.all_or_nothing,
        dry_run=body.dry_run,
    )
    return report.as_dict()


@router.get("/{code}", response=ProjectOut, summary="项目详情 Project")
def get_project(request: HttpRequest, code: str) -> dict[str, Any]:
    user = request_user(request)
    return _project_out(selectors.project_get(user, code), user)


@router.post(
    "/{code}/tenders", response={201: TenderOut}, summary="新建招标项目 Create a tender project"
)
def create_tender(request: HttpRequest, code: str, body: TenderIn) -> Status[Any]:
    user = request_user(request)
    require(user, Perm.PROJECTS_PROJECT_WRITE)
    project = selectors.project_get(user, code)
    tender = services.tender_project_create(
        actor=user,
        project=project,
        name=body.name,
        trade_type_code=body.trade_type_code,
        tenderer=(
            _org(body.tenderer_uscc, "tenderer_uscc")
            if body.tenderer_uscc
            else project.legal_person
        ),
        tender_mode=body.tender_mode,
        organize_form=body.organize_form,
        agency=_org(body.agency_uscc, "agency_uscc") if body.agency_uscc else None,
        supervise_dept=(
            registry.department_get(body.supervise_dept_code) if body.supervise_dept_code else None
        ),
        tender_content=body.tender_content,
        is_to_law=body.is_to_law,
    )
    return Status(201, _tender_out(tender))


@tenders_router.get("/{code}", response=TenderOut, summary="招标项目 Tender project")
def get_tender(request: HttpRequest, code: str) -> dict[str, Any]:
    return _tender_out(selectors.tender_get(request_user(request), code))


@tenders_router.post(
    "/{code}/sections", response={201: SectionOut}, summary="新建标段（包） Create a section"
)
def create_section(request: HttpRequest, code: str, body: SectionIn) -> Status[Any]:
    user = request_user(request)
    require(user, Perm.PROJECTS_PROJECT_WRITE)
    tender = selectors.tender_get(user, code)
    section = services.section_create(actor=user, tender_project=tender, **body.dict())
    return Status(201, _section_out(section))


@sections_router.get("/{code}", response=SectionOut, summary="标段（包） Section")
def get_section(request: HttpRequest, code: str) -> dict[str, Any]:
    return _section_out(selectors.section_get(request_user(request), code))
