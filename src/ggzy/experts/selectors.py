"""Reads for the expert pool and draws. Names of drawn experts leave only after release."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from ggzy import clock
from ggzy.accounts.permissions import Perm, is_centre_staff, require
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.experts.models import (
    Draw,
    DrawRequest,
    DrawStatus,
    Expert,
    Invitation,
    InvitationStatus,
    Notification,
    Venue,
)
from ggzy.projects.models import Section


def pool_search(
    actor: Any, *, q: str = "", specialty: str = "", region: str = "", status: str = ""
) -> QuerySet[Expert]:
    """专家库 search for centre staff."""
    require(actor, Perm.EXPERTS_POOL_WRITE)
    if not is_centre_staff(actor):
        raise DomainError(ErrorCode.PERMISSION_DENIED, "只有交易中心工作人员可以查看专家库")
    qs = Expert.objects.select_related("user__person", "home_centre").order_by("id")
    if q:
        qs = qs.filter(
            Q(user__person__name__icontains=q) | Q(employer_name__icontains=q) | Q(employer_uscc=q)
        )
    if specialty:
        qs = qs.filter(specialty_codes__contains=" " + specialty.strip().upper())
    if region:
        from ggzy.experts.draw import region_prefix

        qs = qs.filter(region_code__startswith=region_prefix(region))
    if status:
        qs = qs.filter(status=status)
    return qs


def released(req: DrawRequest) -> bool:
    return clock.now() >= req.release_at


def draw_for(actor: Any, request_id: int) -> DrawRequest:
    from ggzy.experts.draws import can_view_draw

    req = (
        DrawRequest.objects.select_related("section__tender_project", "centre")
        .filter(pk=request_id)
        .first()
    )
    if req is None or not can_view_draw(actor, req):
        raise DomainError(ErrorCode.DRAW_NOT_FOUND)
    return req


def protected_list(actor: Any, req: DrawRequest) -> list[dict[str, Any]]:
    """The committee list with names (信源加密): refused before the release time, for
    everybody — staff included. Reads the encrypted list, not the invitations."""
    from ggzy.experts.draws import can_view_draw, load_state

    if not can_view_draw(actor, req):
        raise DomainError(ErrorCode.DRAW_NOT_FOUND)
    if not released(req):
        raise DomainError(
            ErrorCode.DRAW_LIST_SEALED, detail={"release_at": req.release_at.isoformat()}
        )
    draw = Draw.objects.filter(request=req).first()
    if draw is None:
        return []
    state = load_state(draw)
    experts = Expert.objects.select_related("user__person").in_bulk(
        [int(m[1]) for m in state["members"]]
    )
    invitations = {i.expert_id: i for i in Invitation.objects.filter(draw=draw)}
    spec_lines = req.spec["lines"]
    out = []
    for line, expert_id, venue in state["members"]:
        e = experts[int(expert_id)]
        inv = invitations.get(e.pk)
        out.append(
            {
                "expert": e.pk,
                "name": e.user.person.name,
                "specialty": spec_lines[int(line)]["specialty"],
                "employer": e.employer_name,
                "venue": venue,
                "status": inv.status if inv else "",
                "status_label": inv.get_status_display() if inv else "",
                "checked_in": bool(inv and inv.checked_in_at),
            }
        )
    return out


def committee_experts(section: Section) -> list[Any]:
    """Users of the confirmed drawn experts of ``section`` once the list is released
    (empty list if there is no released draw). Interface for the evaluation app."""
    req = (
        DrawRequest.objects.filter(section=section, status=DrawStatus.DRAWN)
        .order_by("-created_at", "-id")
        .first()
    )
    if req is None or not released(req):
        return []
    draw = Draw.objects.filter(request=req).first()
    if draw is None:
        return []
    from ggzy.experts.draws import load_state

    order = [int(m[1]) for m in load_state(draw)["members"]]
    confirmed = {
        i.expert_id: i.expert.user
        for i in Invitation.objects.filter(
            draw=draw, status=InvitationStatus.CONFIRMED, expert_id__in=order
        ).select_related("expert__user")
    }
    return [confirmed[e] for e in order if e in confirmed]


def my_invitations(user: Any) -> QuerySet[Invitation]:
    if user is None or not getattr(user, "is_authenticated", False):
        raise DomainError(ErrorCode.NOT_AUTHENTICATED)
    return Invitation.objects.filter(expert__user=user).select_related("draw__request")


def invitation_of(user: Any, invitation_id: int) -> Invitation:
    inv = (
        Invitation.objects.select_related("draw__request", "expert")
        .filter(pk=invitation_id)
        .first()
    )
    if inv is None:
        raise DomainError(ErrorCode.NOT_FOUND, "评标邀请不存在")
    if inv.expert.user_id != getattr(user, "pk", None) and not (
        is_centre_staff(user) and released(inv.draw.request)
    ):
        raise DomainError(ErrorCode.NOT_FOUND, "评标邀请不存在")
    return inv


def notifications(user: Any) -> QuerySet[Notification]:
    if user is None or not getattr(user, "is_authenticated", False):
        raise DomainError(ErrorCode.NOT_AUTHENTICATED)
    return Notification.objects.filter(user=user)


def venue_desk(user: Any, code: str) -> tuple[Venue, list[Invitation]]:
    """A venue's check-in desk: its released, live invitations (names may show: released)."""
    venue = Venue.objects.select_related("centre").filter(code=code).first()
    if venue is None:
        raise DomainError(ErrorCode.NOT_FOUND, "评标场地不存在")
    if not is_centre_staff(user):
        raise DomainError(ErrorCode.PERMISSION_DENIED, "只有交易中心工作人员可以使用签到台")
    invitations = list(
        Invitation.objects.filter(
            venue_code=code,
            draw__request__release_at__lte=clock.now(),
            status=InvitationStatus.CONFIRMED,
        ).select_related("expert__user__person", "draw__request__section")[:200]
    )
    return venue, invitations
