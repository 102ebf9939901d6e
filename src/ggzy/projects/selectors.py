"""Reads of projects (项目), tender projects (招标项目) and sections (标段（包）), scoped to
who is asking.

Before a tender is announced its project is not public: centre staff and regulators see every
project; a tenderer (招标人) sees its own organisation's projects and tenders; an agency
(招标代理机构) sees the tenders it was entrusted with; whoever registered a project sees it.
Anything outside that scope answers "not found" so codes do not leak.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from ggzy.accounts.permissions import active_roles, is_centre_staff
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.projects.models import Project, Section, TenderProject
from ggzy.registry.models import Department, Membership, MembershipStatus, Role, TradingCentre

#: Roles that may use the project pages and read endpoints at all.
READER_ROLES = frozenset({Role.CENTRE_STAFF, Role.REGULATOR, Role.TENDERER, Role.AGENCY})


def _authenticated(user: Any) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def sees_everything(user: Any) -> bool:
    """Centre staff and regulators (监管部门) see every project of the node."""
    return is_centre_staff(user) or Role.REGULATOR in active_roles(user)


def is_project_reader(user: Any) -> bool:
    if not _authenticated(user):
        return False
    return is_centre_staff(user) or bool(active_roles(user) & READER_ROLES)


def require_project_reader(user: Any) -> None:
    """401 for anonymous callers, 403 for people with no project role (bidders, experts …)."""
    if not _authenticated(user):
        raise DomainError(ErrorCode.NOT_AUTHENTICATED)
    if not is_project_reader(user):
        raise DomainError(
            ErrorCode.PERMISSION_DENIED,
            "只有交易中心工作人员、监管部门、招标人和招标代理机构可以查看项目",
        )


def _org_ids(user: Any, role: Role) -> list[int]:
    return list(
        Membership.objects.filter(
            person__user=user, role=role, status=MembershipStatus.ACTIVE
        ).values_list("organization_id", flat=True)
    )


def _tender_scope(user: Any, prefix: str = "") -> Q:
    """Q over TenderProject (``prefix`` = path to it) for what ``user`` may see."""
    owner = _org_ids(user, Role.TENDERER)
    agency = _org_ids(user, Role.AGENCY)
    return (
        Q(**{f"{prefix}project__legal_person_id__in": owner})
        | Q(**{f"{prefix}tenderer_id__in": owner})
        | Q(**{f"{prefix}agency_id__in": agency})
        | Q(**{f"{prefix}project__created_by": user})
    )


def projects_visible(user: Any) -> QuerySet[Project]:
    if not is_project_reader(user):
        return Project.objects.none()
    qs = Project.objects.select_related("legal_person", "centre")
    if sees_everything(user):
        return qs
    owner = _org_ids(user, Role.TENDERER)
    agency = _org_ids(user, Role.AGENCY)
    ids = Project.objects.filter(
        Q(legal_person_id__in=owner)
        | Q(created_by=user)
        | Q(tenders__tenderer_id__in=owner)
        | Q(tenders__agency_id__in=agency)
    ).values("id")
    return qs.filter(id__in=ids)


def tenders_visible(user: Any) -> QuerySet[TenderProject]:
    if not is_project_reader(user):
        return TenderProject.objects.none()
    qs = TenderProject.objects.select_related(
        "project", "project__centre", "tenderer", "agency", "supervise_dept"
    )
    if sees_everything(user):
        return qs
    return qs.filter(_tender_scope(user)).distinct()


def sections_visible(user: Any) -> QuerySet[Section]:
    if not is_project_reader(user):
        return Section.objects.none()
    qs = Section.objects.select_related("tender_project", "tender_project__project")
    if sees_everything(user):
        return qs
    return qs.filter(_tender_scope(user, "tender_project__")).distinct()


def project_search(user: Any, *, q: str = "", region_code: str = "") -> QuerySet[Project]:
    """项目列表: name contains ``q``, or ``q`` is a project / investment-project code."""
    require_project_reader(user)
    qs = projects_visible(user)
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(code__iexact=q)
            | Q(invest_project_code__iexact=q)
            | Q(legal_person__name__icontains=q)
        )
    region_code = region_code.strip()
    if region_code:
        qs = qs.filter(region_code__startswith=region_code.rstrip("0") or region_code)
    return qs.order_by("-created_at", "-id")


def project_get(user: Any, code: str) -> Project:
    require_project_reader(user)
    project = projects_visible(user).filter(code=code.strip()).first()
    if project is None:
        raise DomainError(ErrorCode.PROJECT_NOT_FOUND)
    return project


def tender_get(user: Any, code: str) -> TenderProject:
    require_project_reader(user)
    tender = tenders_visible(user).filter(code=code.strip()).first()
    if tender is None:
        raise DomainError(ErrorCode.TENDER_PROJECT_NOT_FOUND)
    return tender


def section_get(user: Any, code: str) -> Section:
    require_project_reader(user)
    section = sections_visible(user).filter(code=code.strip()).first()
    if section is None:
        raise DomainError(ErrorCode.SECTION_NOT_FOUND)
    return section


def project_tenders(user: Any, project: Project) -> QuerySet[TenderProject]:
    """The tender projects of ``project`` that ``user`` may see, with their sections."""
    return (
        tenders_visible(user).filter(project=project).prefetch_related("sections").order_by("code")
    )


def project_by_source(source: str, source_ref: str) -> Project | None:
    """Unscoped lookup for the importer's duplicate check (same source + record id)."""
    if not source_ref:
        return None
    return Project.objects.filter(source=source, source_ref=source_ref).only("code").first()


def centres() -> QuerySet[TradingCentre]:
    return TradingCentre.objects.order_by("code")


def departments() -> QuerySet[Department]:
    """监管部门 to choose from when creating a tender project."""
    return Department.objects.order_by("code")


def centre_for(user: Any, code: str | None = None) -> TradingCentre:
    """The trading centre a project is registered at: the one named, else the staff member's
    own centre, else the node's only centre."""
    if code:
        centre = TradingCentre.objects.filter(code=code.strip()).first()
        if centre is None:
            raise DomainError(ErrorCode.NOT_FOUND, "交易中心不存在", field="centre_code")
        return centre
    if _authenticated(user):
        own = (
            Membership.objects.filter(
                person__user=user, role=Role.CENTRE_STAFF, status=MembershipStatus.ACTIVE
            )
            .exclude(centre=None)
            .select_related("centre")
            .first()
        )
        if own is not None and own.centre is not None:
            return own.centre
    all_centres = list(TradingCentre.objects.order_by("code")[:2])
    if len(all_centres) == 1:
        return all_centres[0]
    raise DomainError(ErrorCode.VALIDATION, "请指定交易中心", field="centre_code")
