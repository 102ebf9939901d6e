"""Registry pages for signed-in users: register an organisation, add qualifications."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ggzy.core.errors import DomainError, ErrorCode
from ggzy.registry import selectors, services
from ggzy.registry.forms import OrganizationForm, PerformanceForm, QualificationForm
from ggzy.web.forms import attach_error


@login_required
@require_http_methods(["GET", "POST"])
def register_view(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                org = services.organization_register(
                    actor=request.user,  # type: ignore[arg-type]  # login_required
                    **form.cleaned_data,
                )
            except DomainError as exc:
                status = attach_error(form, exc)
            else:
                messages.success(request, _("注册成功：%(name)s") % {"name": org.name})
                return redirect("portal:entity_detail", uscc=org.uscc)
    has_person = selectors.person_of(request.user) is not None
    return render(
        request,
        "registry/register.html",
        {"form": form, "has_person": has_person},
        status=status,
    )


def _entity_form_view(
    request: HttpRequest, uscc: str, form_class: type, service: object, title: str
) -> HttpResponse:
    try:
        org = selectors.organization_get(uscc)
    except DomainError as exc:
        return render(request, "web/error.html", {"error": exc}, status=exc.status)
    if not services.can_manage_organization(request.user, org):  # type: ignore[arg-type]
        denied = DomainError(ErrorCode.PERMISSION_DENIED)
        return render(request, "web/error.html", {"error": denied}, status=403)
    form = form_class(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                service(actor=request.user, organization=org, **form.cleaned_data)  # type: ignore[operator]
            except DomainError as exc:
                status = attach_error(form, exc)
            else:
                messages.success(request, _("已登记"))
                return redirect("portal:entity_detail", uscc=org.uscc)
    return render(
        request,
        "registry/entity_form.html",
        {"form": form, "org": org, "title": title},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def qualification_new(request: HttpRequest, uscc: str) -> HttpResponse:
    return _entity_form_view(
        request, uscc, QualificationForm, services.qualification_add, _("登记资质")
    )


@login_required
@require_http_methods(["GET", "POST"])
def performance_new(request: HttpRequest, uscc: str) -> HttpResponse:
    return _entity_form_view(
        request, uscc, PerformanceForm, services.performance_add, _("登记业绩")
    )
