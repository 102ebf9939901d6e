"""Signed-in pages shared by every role: the dashboard (工作台) and the witness log view."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ggzy.accounts.permissions import Perm, active_roles, user_permissions
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.ledger import selectors as ledger_selectors
from ggzy.registry import selectors as registry_selectors


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "web/dashboard.html",
        {
            "person": registry_selectors.person_of(user),
            "memberships": registry_selectors.memberships_of(user),
            "roles": sorted(r.label for r in active_roles(user)),
            "can_read_ledger": Perm.LEDGER_ENTRY_READ in user_permissions(user),
        },
    )


@login_required
def ledger_view(request: HttpRequest) -> HttpResponse:
    if Perm.LEDGER_ENTRY_READ not in user_permissions(request.user):
        error = DomainError(ErrorCode.PERMISSION_DENIED)
        return render(request, "web/error.html", {"error": error}, status=403)
    subject_type = request.GET.get("subject_type", "")[:60]
    subject_id = request.GET.get("subject_id", "")[:100]
    entries = list(
        ledger_selectors.entries(subject_type=subject_type, subject_id=subject_id, limit=200)
    )
    return render(
        request,
        "web/ledger.html",
        {"entries": entries, "subject_type": subject_type, "subject_id": subject_id},
    )
