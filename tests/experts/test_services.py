"""Draw services over the database: ledger, avoidance, protected list, replacement, verify."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from tests.experts.conftest import ExpertWorld

from ggzy import clock
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.experts import draws, selectors, services
from ggzy.experts.models import (
    Draw,
    DrawRequest,
    Invitation,
    InvitationStatus,
    Notification,
    RelationKind,
)
from ggzy.ledger.models import Entry

pytestmark = pytest.mark.django_db


TENDERER = object()


def request(xw: ExpertWorld, actor: Any = TENDERER, **kw: Any) -> DrawRequest:
    args: dict[str, Any] = {
        "actor": xw.world.tenderer if actor is TENDERER else actor,
        "section": xw.section,
        "lines": [{"specialty": "A02", "count": 3, "reserves": 1}],
        "evaluation_start": xw.start(),
    }
    args.update(kw)
    return draws.draw_request(**args)


def verify_cli(req: DrawRequest) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("experts", "verify-draw", str(req.pk), stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_request_and_run_are_on_the_ledger_and_verifiable(xw: ExpertWorld) -> None:
    req = request(xw)
    entry = Entry.objects.get(event_type="experts:draw:requested", subject_id=str(req.pk))
    assert entry.payload["seed"] == req.seed
    assert entry.payload["pool_sha256"] == req.pool_sha256
    assert entry.payload["request_sha256"] == req.request_sha256
    assert entry.payload["algorithm"] == "draw/v1"
    assert entry.payload["checkpoint_root"] == req.checkpoint_root
    assert req.pool_size == 12  # own 8 + Lanzhou's 4 under the default sharing policy
    draw = draws.draw_run(actor=xw.world.tenderer, request=req)
    ran = Entry.objects.get(event_type="experts:draw:drawn", subject_id=str(draw.pk))
    assert ran.payload["result_commitment"] == draw.commitment
    assert draw.members == 3
    assert Invitation.objects.filter(draw=draw, status="invited").count() == 3
    code, out = verify_cli(req)
    assert code == 0, out
    assert out.strip().endswith("OK")
    with pytest.raises(DomainError) as info:
        draws.draw_run(actor=xw.world.tenderer, request=req)
    assert info.value.code == ErrorCode.DRAW_STATE


def test_tampering_is_detected_by_verify(xw: ExpertWorld) -> None:
    req = request(xw)
    draw = draws.draw_run(actor=xw.world.tenderer, request=req)
    Draw.objects.filter(pk=draw.pk).update(commitments=["0" * 64])
    code, out = verify_cli(req)
    assert code == 1
    assert "BAD result_commitments" in out
    assert "MISMATCH" in out
    Draw.objects.filter(pk=draw.pk).update(commitments=[draw.commitment])
    spec = dict(req.spec)
    spec["regions_exclude"] = ["6201"]
    DrawRequest.objects.filter(pk=req.pk).update(spec=spec)
    code, out = verify_cli(req)
    assert code == 1
    assert "BAD request_sha256" in out


def test_avoidance_excludes_party_staff_relatives_and_former_employees(xw: ExpertWorld) -> None:
    w = xw.world
    staff = w.staff
    e0, e2, e4 = xw.experts[0], xw.experts[2], xw.experts[4]
    # e0 works for the tenderer; e2's relative is a bidder's member; e4 left the bidder in 2025
    type(e0).objects.filter(pk=e0.pk).update(employer_uscc=w.tenderer_org.uscc)
    from ggzy.registry.services import person_reveal_id

    services.relation_add(
        actor=staff,
        expert=e2,
        kind=RelationKind.RELATIVE,
        relative_id_number=person_reveal_id(viewer=staff, person=w.bidder.person),
    )
    services.relation_add(
        actor=e4.user,  # self-declared
        expert=e4,
        kind=RelationKind.EMPLOYMENT,
        org_uscc=w.bidder_org.uscc,
        until=dt.date(2025, 3, 1),
    )
    parties = [w.bidder_org.uscc]
    kw = {"lines": [{"specialty": "A0201", "count": 6}], "extra_party_usccs": parties}
    first = request(xw, **kw)
    with pytest.raises(DomainError) as info:  # asking for one more visits every candidate
        draws.draw_run(actor=w.tenderer, request=first)
    assert info.value.detail["eligible"] == 5
    assert info.value.detail["reasons"] == {
        "employee_of_party": 1,
        "former_employee_within_window": 1,
        "relative_of_party": 1,
    }
    draws.draw_cancel(actor=w.tenderer, request=first, reason="调整抽取人数")
    kw = {"lines": [{"specialty": "A0201", "count": 5}], "extra_party_usccs": parties}
    draw = draws.draw_run(actor=w.tenderer, request=request(xw, **kw))
    drawn = set(Invitation.objects.filter(draw=draw).values_list("expert_id", flat=True))
    assert drawn == {e.pk for e in xw.experts[:8]} - {e0.pk, e2.pk, e4.pk}


def test_not_enough_experts_names_the_condition(xw: ExpertWorld) -> None:
    req = request(xw, lines=[{"specialty": "A0201", "count": 9}], regions_exclude=["610113"])
    n_ledger = Entry.objects.count()
    with pytest.raises(DomainError) as info:
        draws.draw_run(actor=xw.world.tenderer, request=req)
    assert info.value.code == ErrorCode.DRAW_NOT_ENOUGH
    assert info.value.message == (
        "专业 A0201（工程类 / 市政公用工程 / 道路与桥梁）需要评标专家 9 名，"
        "符合条件的仅 8 名，排除地区 610113"
    )
    assert info.value.detail["needed"] == 9
    assert info.value.detail["eligible"] == 8
    assert info.value.detail["reasons"] == {}
    assert Entry.objects.count() == n_ledger
    assert not Draw.objects.exists()


def test_list_is_sealed_until_release_even_for_staff(xw: ExpertWorld) -> None:
    req = request(xw)
    draws.draw_run(actor=xw.world.tenderer, request=req)
    for user in (xw.world.staff, xw.world.tenderer, xw.world.regulator):
        with pytest.raises(DomainError) as info:
            selectors.protected_list(user, req)
        assert info.value.code == ErrorCode.DRAW_LIST_SEALED
    assert selectors.committee_experts(xw.section) == []
    with clock.frozen(req.release_at):
        names = [m["name"] for m in selectors.protected_list(xw.world.staff, req)]
    assert len(names) == 3
    assert all(n.startswith("专家") for n in names)


def test_decline_replenishes_from_the_same_sequence(
    xw: ExpertWorld, django_capture_on_commit_callbacks: Any
) -> None:
    for e in xw.experts:
        e.user.email = f"{e.user.username}@example.cn"
        e.user.save(update_fields=["email"])
    req = request(xw)
    with django_capture_on_commit_callbacks(execute=True):
        draw = draws.draw_run(actor=xw.world.tenderer, request=req)
    assert len(mail.outbox) == 3
    assert "评标邀请" in mail.outbox[0].subject
    assert "道路" not in mail.outbox[0].body  # no project details in notices
    assert Notification.objects.count() == 3
    first, second, third = Invitation.objects.filter(draw=draw).order_by("id")
    draws.invitation_confirm(actor=first.expert.user, invitation=first)
    with django_capture_on_commit_callbacks(execute=True):
        draws.invitation_decline(actor=second.expert.user, invitation=second, reason="出差")
    draws.invitation_decline(actor=third.expert.user, invitation=third)
    draw.refresh_from_db()
    assert len(draw.commitments) == 3
    assert Entry.objects.filter(event_type="experts:draw:replenished").count() == 2
    live = Invitation.objects.filter(draw=draw).exclude(status=InvitationStatus.DECLINED)
    assert live.count() == 3
    assert len(mail.outbox) == 4
    code, out = verify_cli(req)
    assert code == 0, out
    declined = Entry.objects.get(
        event_type="experts:invitation:declined", subject_id=str(second.pk)
    )
    assert declined.actor == f"invitation:{second.pk}"  # not the expert's user id
    for inv in live.exclude(pk=first.pk):
        draws.invitation_confirm(actor=inv.expert.user, invitation=inv)
    with clock.frozen(req.release_at + dt.timedelta(minutes=1)):
        users = selectors.committee_experts(xw.section)
        assert {u.pk for u in users} == {i.expert.user_id for i in live}
        with pytest.raises(DomainError) as info:
            draws.invitation_confirm(actor=first.expert.user, invitation=first)
        assert info.value.code == ErrorCode.INVITATION_STATE


def test_only_the_invited_expert_may_respond(xw: ExpertWorld) -> None:
    draw = draws.draw_run(actor=xw.world.tenderer, request=request(xw))
    inv = Invitation.objects.filter(draw=draw).first()
    assert inv is not None
    n = Entry.objects.count()
    for user in (xw.world.staff, xw.world.tenderer, xw.world.expert):
        with pytest.raises(DomainError) as info:
            draws.invitation_decline(actor=user, invitation=inv)
        assert info.value.code == ErrorCode.PERMISSION_DENIED
    assert Entry.objects.count() == n
    inv.refresh_from_db()
    assert inv.status == InvitationStatus.INVITED


def test_remote_draw_allocates_venues_and_check_in(xw: ExpertWorld) -> None:
    req = request(
        xw,
        lines=[{"specialty": "A05", "count": 4, "reserves": 0}],
        venues=[draws.VenueChoice("BY1", True, 2), draws.VenueChoice("LZ1", False, 2)],
    )
    draw = draws.draw_run(actor=xw.world.tenderer, request=req)
    invs = list(Invitation.objects.filter(draw=draw).select_related("expert"))
    assert sorted(i.venue_code for i in invs) == ["BY1", "BY1", "LZ1", "LZ1"]
    for i in invs:
        assert i.expert.region_code.startswith("6204" if i.venue_code == "BY1" else "6201")
    inv = invs[0]
    draws.invitation_confirm(actor=inv.expert.user, invitation=inv)
    with pytest.raises(DomainError) as info:
        draws.invitation_check_in(actor=inv.expert.user, invitation=inv, declaration=True)
    assert info.value.code == ErrorCode.CHECKIN_NOT_OPEN
    with clock.frozen(req.release_at):
        with pytest.raises(DomainError) as info:
            draws.invitation_check_in(actor=inv.expert.user, invitation=inv, declaration=False)
        assert info.value.field == "declaration"
        expert = services.expert_set_status(
            actor=xw.world.staff, expert=inv.expert, status="suspended", reason="被投诉"
        )
        with pytest.raises(DomainError) as info:
            draws.invitation_check_in(actor=inv.expert.user, invitation=inv, declaration=True)
        assert info.value.code == ErrorCode.INVITATION_STATE
        services.expert_set_status(actor=xw.world.staff, expert=expert, status="active")
        done = draws.invitation_check_in(actor=inv.expert.user, invitation=inv, declaration=True)
    assert done.checked_in_at is not None
    assert Entry.objects.filter(event_type="experts:invitation:checked_in").count() == 1


def test_sharing_policy_keeps_other_pools_out(xw: ExpertWorld) -> None:
    services.sharing_policy_set(
        actor=xw.world.staff, centre=xw.other_centre, shares_out=False, draws_from=[]
    )
    req = request(xw)
    assert req.pool_size == 8


@pytest.mark.parametrize("role", ["bidder", "expert", "public", "regulator", "anonymous"])
def test_draw_request_refused_for_wrong_roles(xw: ExpertWorld, role: str) -> None:
    n = Entry.objects.count()
    with pytest.raises(DomainError) as info:
        request(xw, actor=xw.world.user(role))
    assert info.value.code in {ErrorCode.PERMISSION_DENIED, ErrorCode.NOT_AUTHENTICATED}
    assert Entry.objects.count() == n
    assert not DrawRequest.objects.exists()


@pytest.mark.parametrize("role", ["tenderer", "agency", "bidder", "expert", "regulator"])
def test_pool_writes_are_staff_only(xw: ExpertWorld, role: str) -> None:
    n = Entry.objects.count()
    with pytest.raises(DomainError) as info:
        services.venue_create(
            actor=xw.world.user(role),
            code="X1",
            centre=xw.world.centre,
            name="x",
            region_code="620400",
            seats=3,
        )
    assert info.value.code == ErrorCode.PERMISSION_DENIED
    with pytest.raises(DomainError):
        selectors.pool_search(xw.world.user(role))
    assert Entry.objects.count() == n


def test_register_checks_eligibility(xw: ExpertWorld) -> None:
    from tests.factories import signup

    from ggzy.registry import services as registry
    from ggzy.registry.models import Role

    user = signup("newexpert", "新专家")
    kw: dict[str, Any] = {
        "actor": xw.world.staff,
        "user": user,
        "specialties": ["A0201"],
        "region_code": "620402",
        "employer_uscc": xw.world.bidder_org.uscc,
        "employer_name": "某单位",
        "title": "senior",
        "years": 10,
        "home_centre": xw.world.centre,
    }
    with pytest.raises(DomainError) as info:
        services.expert_register(**kw)
    assert info.value.code == ErrorCode.EXPERT_ROLE_REQUIRED
    registry.membership_grant(actor=xw.world.staff, person=user.person, role=Role.EXPERT)
    for bad, code in (
        ({"years": 5}, ErrorCode.EXPERT_NOT_ELIGIBLE),
        ({"specialties": ["Z99"]}, ErrorCode.SPECIALTY_UNKNOWN),
        ({"employer_uscc": "123"}, ErrorCode.USCC_INVALID),
    ):
        with pytest.raises(DomainError) as info:
            services.expert_register(**{**kw, **bad})
        assert info.value.code == code
    expert = services.expert_register(**kw)
    assert expert.specialties == ["A0201"]
    with pytest.raises(DomainError) as info:
        services.expert_register(**kw)
    assert info.value.code == ErrorCode.EXPERT_DUPLICATE


def test_penalty_and_unavailability_exclude(xw: ExpertWorld) -> None:
    start = xw.start()
    day = start.astimezone(draws.TZ).date()
    e1, e3 = xw.experts[1], xw.experts[3]
    services.expert_set_status(
        actor=xw.world.staff,
        expert=e1,
        status="penalised",
        penalty_until=day + dt.timedelta(days=1),
    )
    services.unavailability_set(actor=e3.user, expert=e3, add=[day])
    first = request(xw, lines=[{"specialty": "A0201", "count": 7}], evaluation_start=start)
    with pytest.raises(DomainError) as info:
        draws.draw_run(actor=xw.world.tenderer, request=first)
    assert info.value.detail["reasons"] == {"penalised": 1, "unavailable_on_date": 1}
    draws.draw_cancel(actor=xw.world.tenderer, request=first, reason="专家不足，调整条件")
    draw = draws.draw_run(
        actor=xw.world.tenderer,
        request=request(xw, lines=[{"specialty": "A0201", "count": 6}], evaluation_start=start),
    )
    drawn = set(Invitation.objects.filter(draw=draw).values_list("expert_id", flat=True))
    assert drawn == {e.pk for e in xw.experts[:8]} - {e1.pk, e3.pk}


def test_venue_desk_shows_names_only_after_release(xw: ExpertWorld) -> None:
    from django.test import Client

    req = request(
        xw,
        lines=[{"specialty": "A05", "count": 4, "reserves": 0}],
        venues=[draws.VenueChoice("BY1", True, 2), draws.VenueChoice("LZ1", False, 2)],
    )
    draw = draws.draw_run(actor=xw.world.tenderer, request=req)
    invs = list(Invitation.objects.filter(draw=draw, venue_code="BY1").select_related("expert"))
    for inv in invs:
        draws.invitation_confirm(actor=inv.expert.user, invitation=inv)
    staff = Client()
    staff.force_login(xw.world.staff)
    page = staff.get("/experts/venues/BY1/").content.decode()
    assert "暂无待签到的专家" in page
    tenderer = Client()
    tenderer.force_login(xw.world.tenderer)
    assert tenderer.get("/experts/venues/BY1/").status_code == 403
    with clock.frozen(req.release_at):
        page = staff.get("/experts/venues/BY1/").content.decode()
        name = invs[0].expert.user.person.name
        assert name in page
        r = staff.post(f"/experts/invitations/{invs[0].pk}/check-in/", {"declaration": "1"})
        assert r.status_code == 302
    invs[0].refresh_from_db()
    assert invs[0].checked_in_at is not None


def test_decline_without_replacement_leaves_a_recorded_vacancy(xw: ExpertWorld) -> None:
    req = request(xw, lines=[{"specialty": "A0501", "count": 4}], regions_include=["620400"])
    draw = draws.draw_run(actor=xw.world.tenderer, request=req)
    inv = Invitation.objects.filter(draw=draw).first()
    assert inv is not None
    draws.invitation_decline(actor=inv.expert.user, invitation=inv, reason="生病")
    inv.refresh_from_db()
    assert inv.status == InvitationStatus.DECLINED
    entry = Entry.objects.get(event_type="experts:draw:shortfall")
    assert entry.payload["shortfall"]["phase"] == "replacement"
    assert entry.payload["message"].startswith("专业 A0501")
    assert Invitation.objects.filter(draw=draw).exclude(status="declined").count() == 3
    code, out = verify_cli(req)
    assert code == 0, out


def test_one_live_draw_per_section_and_cancel(xw: ExpertWorld) -> None:
    req = request(xw)
    with pytest.raises(DomainError) as info:
        request(xw)
    assert info.value.code == ErrorCode.DRAW_STATE
    draws.draw_run(actor=xw.world.tenderer, request=req)
    with pytest.raises(DomainError) as info:  # a drawn committee: staff only, with a reason
        draws.draw_cancel(actor=xw.world.tenderer, request=req, reason="想换人")
    assert info.value.code == ErrorCode.PERMISSION_DENIED
    with pytest.raises(DomainError) as info:
        draws.draw_cancel(actor=xw.world.staff, request=req, reason="")
    assert info.value.field == "reason"
    draws.draw_cancel(actor=xw.world.staff, request=req, reason="项目暂停（监督部门通知）")
    assert set(Invitation.objects.values_list("status", flat=True)) == {"cancelled"}
    assert Notification.objects.filter(title="评标邀请已取消").count() == 3
    entry = Entry.objects.get(event_type="experts:draw:cancelled")
    assert entry.payload["invitations_cancelled"] == 3
    with clock.frozen(req.release_at):
        assert selectors.committee_experts(xw.section) == []
    request(xw)  # a new draw is possible now


def test_calendar_page(xw: ExpertWorld) -> None:
    from django.test import Client

    e = xw.experts[0]
    client = Client()
    client.force_login(e.user)
    day = (xw.start() + dt.timedelta(days=3)).date()
    r = client.post("/experts/me/calendar/", {"action": "add", "day": day.isoformat()})
    assert r.status_code == 302
    assert list(e.unavailable.values_list("day", flat=True)) == [day]
    assert day.isoformat() in client.get("/experts/me/calendar/").content.decode()
    client.post("/experts/me/calendar/", {"action": "remove", "day": day.isoformat()})
    assert not e.unavailable.exists()
    assert client.post("/experts/me/calendar/", {"action": "add", "day": "x"}).status_code == 400
    other = Client()
    other.force_login(xw.world.tenderer)
    assert other.get("/experts/me/calendar/").status_code == 404
