"""Project pages (项目入场): list, detail, register a project, create a tender project and a
section, and the import page for centre staff. Thin: form → service → template."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ggzy.accounts.permissions import active_roles, is_centre_staff
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.projects import importers, selectors, services
from ggzy.projects.forms import ImportForm, ProjectForm, SectionForm, TenderForm
from ggzy.projects.models import Project, TenderProject
from ggzy.registry import selectors as registry
from ggzy.registry.models import Organization, Role
from ggzy.web.forms import attach_error


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "web/error.html", {"error": exc}, status=exc.status)


def _may_register(user: Any) -> bool:
    return is_centre_staff(user) or bool(active_roles(user) & {Role.TENDERER, Role.AGENCY})


def _org(uscc: str, field: str) -> Organization:
    try:
        return registry.organization_get(uscc)
    except DomainError as exc:
        raise DomainError(exc.code, exc.message, field=field) from exc


def _own_org(user: Any, role: Role) -> str:
    """The USCC to pre-fill when the user acts for exactly one organisation in ``role``."""
    orgs = {
        m.organization.uscc
        for m in registry.memberships_of(user)
        if m.role == role and m.organization
    }
    return orgs.pop() if len(orgs) == 1 else ""


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:100]
    region_code = request.GET.get("region_code", "")[:6]
    try:
        qs = selectors.project_search(request.user, q=q, region_code=region_code)
    except DomainError as exc:
        return _error(request, exc)
    context = {
        "page": Paginator(qs, 20).get_page(request.GET.get("page")),
        "q": q,
        "region_code": region_code,
        "can_register": _may_register(request.user),
        "can_import": importers.can_import(request.user),
    }
    htmx = bool(getattr(request, "htmx", False))
    template = "projects/project_list.html#results" if htmx else "projects/project_list.html"
    return render(request, template, context)


@login_required
def project_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = request.user
    try:
        project = selectors.project_get(user, code)
    except DomainError as exc:
        return _error(request, exc)
    tenders = [
        (t, services.can_manage_tender(user, t)) for t in selectors.project_tenders(user, project)
    ]
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "tenders": tenders,
            "can_add_tender": _may_register(user),
        },
    )


def _form_page(
    request: HttpRequest, template: str, form: Any, status: int, **context: Any
) -> HttpResponse:
    return render(request, f"projects/{template}", {"form": form, **context}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def project_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not _may_register(user):
        return _error(request, DomainError(ErrorCode.PERMISSION_DENIED))
    centres = [(c.code, c.name) for c in selectors.centres()]
    initial = {"legal_person_uscc": _own_org(user, Role.TENDERER)}
    form = ProjectForm(request.POST or None, centres=centres, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                project = services.project_register(
                    actor=user,
                    centre=selectors.centre_for(user, data.pop("centre_code") or None),
                    legal_person=_org(data.pop("legal_person_uscc"), "legal_person_uscc"),
                    **data,
                )
            except DomainError as exc:
                status = attach_error(form, exc)
            else:
                messages.success(request, _("项目已登记：%(code)s") % {"code": project.code})
                return redirect("projects:detail", code=project.code)
    return _form_page(request, "project_form.html", form, status)


def _trade_types() -> list[tuple[str, str]]:
    from ggzy.rules import selectors as rules

    return [(t.code, f"{t.name}（{t.code}）") for t in rules.trade_types()]


@login_required
@require_http_methods(["GET", "POST"])
def tender_new(request: HttpRequest, code: str) -> HttpResponse:
    user = request.user
    try:
        project: Project = selectors.project_get(user, code)
    except DomainError as exc:
        return _error(request, exc)
    if not _may_register(user):
        return _error(request, DomainError(ErrorCode.PERMISSION_DENIED))
    form = TenderForm(
        request.POST or None,
        trade_types=_trade_types(),
        departments=[(d.code, d.name) for d in selectors.departments()],
        initial={
            "tenderer_uscc": project.legal_person.uscc,
            "agency_uscc": _own_org(user, Role.AGENCY),
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                dept = data.pop("supervise_dept_code")
                agency = data.pop("agency_uscc")
                tender = services.tender_project_create(
                    actor=user,
                    project=project,
                    tenderer=_org(data.pop("tenderer_uscc"), "tenderer_uscc"),
                    agency=_org(agency, "agency_uscc") if agency else None,
                    supervise_dept=registry.department_get(dept) if dept else None,
                    **data,
                )
            except DomainError as exc:
                status = attach_error(form, exc)
            else:
                messages.success(request, _("招标项目已创建：%(code)s") % {"code": tender.code})
                return redirect("projects:detail", code=project.code)
    return _form_page(request, "tender_form.html", form, status, project=project)


@login_required
@require_http_methods(["GET", "POST"])
def section_new(request: HttpRequest, code: str) -> HttpResponse:
    user = request.user
    try:
        tender: TenderProject = selectors.tender_get(user, code)
    except DomainError as exc:
        return _error(request, exc)
    if not services.can_manage_tender(user, tender):
        return _error(request, DomainError(ErrorCode.PERMISSION_DENIED))
    form = SectionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                section = services.section_create(
                    actor=user, tender_project=tender, **form.cleaned_data
                )
            except DomainError as exc:
                status = attach_error(form, exc)
            else:
                messages.success(request, _("标段（包）已创建：%(code)s") % {"code": section.code})
                return redirect("projects:detail", code=tender.project.code)
    return _form_page(request, "section_form.html", form, status, tender=tender)


@login_required
@require_http_methods(["GET", "POST"])
def project_import(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not importers.can_import(user):
        denied = DomainError(ErrorCode.PERMISSION_DENIED, _("只有交易中心工作人员可以批量导入项目"))
        return _error(request, denied)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                source = importers.FileSource(
                    content=upload.read(),
                    filename=upload.name or "",
                    name=form.cleaned_data["source"],
                )
                report = importers.run_import(
                    source,
                    actor=user,
                    centre=selectors.centre_for(user),
                    all_or_nothing=form.cleaned_data["all_or_nothing"],
                    dry_run=form.cleaned_data["dry_run"],
                )
            except DomainError as exc:
                status = attach_error(form, exc)
            else:
                status = 200 if report.error is None else 400
                if report.error is not None:
                    form.add_error("file", f"{report.error.message}（{report.error.code}）")
    counts = {s.value: report.count(s) for s in importers.Status} if report else {}
    context = {"form": form, "report": report, "counts": counts, "fields": importers.FIELDS}
    return render(request, "projects/import.html", context, status=status)
