"""Public portal pages (门户): read through selectors only."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ggzy.accounts.permissions import Perm, user_permissions
from ggzy.core.errors import DomainError
from ggzy.registry import selectors, services
from ggzy.registry.models import Membership, Organization, OrgKind, Person, Qualification, Role


def home(request: HttpRequest) -> HttpResponse:
    stats = {
        "organizations": Organization.objects.count(),
        "people": Person.objects.count(),
        "qualifications": Qualification.objects.count(),
        "bidders": Membership.objects.filter(role=Role.BIDDER, status="active")
        .values("organization")
        .distinct()
        .count(),
    }
    recent = Organization.objects.order_by("-registered_at", "-id")[:8]
    return render(request, "portal/home.html", {"stats": stats, "recent": recent})


def entity_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:100]
    kind = request.GET.get("kind", "")
    kind = kind if kind in OrgKind.values else ""
    role = request.GET.get("role", "")
    role = role if role in Role.values else ""
    qs = selectors.organization_search(q=q, kind=kind, role=role)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": q,
        "kind": kind,
        "role": role,
        "kinds": OrgKind.choices,
        "roles": [(r.value, r.label) for r in (Role.TENDERER, Role.AGENCY, Role.BIDDER)],
    }
    template = "portal/entity_list.html#results" if request.htmx else "portal/entity_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def entity_detail(request: HttpRequest, uscc: str) -> HttpResponse:
    try:
        org = selectors.organization_get(uscc)
    except DomainError as exc:
        return render(request, "web/error.html", {"error": exc}, status=exc.status)
    can_manage = services.can_manage_organization(request.user, org)  # type: ignore[arg-type]
    profile = services.public_profile(org)
    return render(
        request,
        "portal/entity_detail.html",
        {
            "org": org,
            "profile": profile,
            "can_manage": can_manage,
            "members": selectors.organization_members(org) if can_manage else None,
            "performances": org.performances.all()[:20],
            "can_read_ledger": Perm.LEDGER_ENTRY_READ in user_permissions(request.user),
        },
    )
