"""The experts API over real HTTP (live server), and the pages through the test client."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from tests.conftest import Api
from tests.experts.conftest import ExpertWorld

from ggzy import clock
from ggzy.accounts import services as accounts
from ggzy.accounts.permissions import user_permissions
from ggzy.experts.models import DrawRequest, Invitation
from ggzy.ledger.models import Entry


def api_for(live_server: Any, user: Any) -> Api:
    scopes = sorted(p.value for p in user_permissions(user))
    _token, raw = accounts.token_create(actor=user, name="t", scopes=scopes)
    return Api(live_server.url, raw)


def body(xw: ExpertWorld, **kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "section": xw.section.code,
        "evaluation_start": xw.start().isoformat(),
        "lines": [{"specialty": "A02", "count": 3, "reserves": 1}],
    }
    data.update(kw)
    return data


def test_draw_flow_over_http(live_server: Any, xw: ExpertWorld, api_as: Any) -> None:
    tenderer, staff = api_as("tenderer"), api_as("staff")
    key = {"Idempotency-Key": "draw-1"}
    r = tenderer.post("/experts/draws", json=body(xw), headers=key)
    assert r.status_code == 201, r.text
    draw = r.json()
    again = tenderer.post("/experts/draws", json=body(xw), headers=key)
    assert again.json()["id"] == draw["id"]  # a retried request does not draw twice
    assert DrawRequest.objects.count() == 1
    assert draw["algorithm"] == "draw/v1"
    assert draw["spec"] is None  # conditions published with the names
    assert len(draw["seed"]) == 64
    r = tenderer.post(f"/experts/draws/{draw['id']}/run")
    assert r.status_code == 200, r.text
    assert r.json()["members"] == 3
    assert r.json()["invitations"] == {"invited": 3}
    for client in (tenderer, staff):
        r = client.get(f"/experts/draws/{draw['id']}/list")
        assert r.status_code == 403
        assert r.json()["code"] == "draw_list_sealed"
        r = client.get(f"/experts/draws/{draw['id']}")
        assert "专家" not in r.text  # no names anywhere before release
    r = staff.get(f"/experts/draws/{draw['id']}/verify")
    assert r.json()["code"] == "draw_list_sealed"
    invs = list(Invitation.objects.select_related("expert__user"))
    expert_api = api_for(live_server, invs[0].expert.user)
    r = expert_api.get("/experts/invitations")
    assert [i["id"] for i in r.json()] == [invs[0].pk]
    r = expert_api.post(f"/experts/invitations/{invs[0].pk}/confirm")
    assert r.json()["status"] == "confirmed"
    r = expert_api.post(f"/experts/invitations/{invs[1].pk}/decline", json={"reason": "x"})
    assert r.status_code == 404
    other = api_for(live_server, invs[1].expert.user)
    r = other.post(f"/experts/invitations/{invs[1].pk}/decline", json={"reason": "出差"})
    assert r.json()["status"] == "declined"
    assert len(tenderer.get(f"/experts/draws/{draw['id']}").json()["commitments"]) == 2
    with clock.frozen(DrawRequest.objects.get(pk=draw["id"]).release_at):
        r = staff.get(f"/experts/draws/{draw['id']}/list")
        assert r.status_code == 200
        assert len(r.json()) == 3
        assert all(m["name"].startswith("专家") for m in r.json())
        r = staff.get(f"/experts/draws/{draw['id']}/verify")
        assert r.json()["ok"] is True
        assert tenderer.get(f"/experts/draws/{draw['id']}").json()["spec"]["section"] == (
            xw.section.code
        )
    assert expert_api.get("/experts/notifications").json()[0]["title"] == "评标邀请"


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        ("bidder", 403, "token_scope_denied"),
        ("expert", 403, "token_scope_denied"),
        ("regulator", 403, "token_scope_denied"),
        ("anonymous", 401, "not_authenticated"),
    ],
)
def test_draw_request_refused(
    live_server: Any, xw: ExpertWorld, api_as: Any, role: str, status: int, code: str
) -> None:
    client = api_as(role)
    n = Entry.objects.count()
    r = client.post("/experts/draws", json=body(xw))
    assert (r.status_code, r.json()["code"]) == (status, code)
    assert Entry.objects.count() == n


def test_bad_input_is_4xx(live_server: Any, xw: ExpertWorld, api_as: Any) -> None:
    tenderer = api_as("tenderer")
    cases = [
        (body(xw, lines=[{"specialty": "A02", "count": 0}]), 422, "validation_error"),
        (body(xw, section="NOPE"), 404, "section_not_found"),
        (body(xw, lines=[{"specialty": "Q9", "count": 1}]), 400, "specialty_unknown"),
        (body(xw, evaluation_start="2020-01-01T00:00:00+08:00"), 400, "draw_invalid"),
        (body(xw, venues=[{"code": "BY1", "main": True, "seats": 3}]), 400, "draw_invalid"),
        (body(xw, extra_party_usccs=["91620402XXXXXXXXXX"]), 400, "uscc_invalid"),
        (body(xw, lines=[{"specialty": "A0201", "count": 9}]), 201, None),
    ]
    for data, status, code in cases:
        r = tenderer.post("/experts/draws", json=data)
        assert r.status_code == status, (data, r.text)
        if code:
            assert r.json()["code"] == code
    r = tenderer.post(f"/experts/draws/{r.json()['id']}/run")
    assert r.status_code == 409
    assert r.json()["code"] == "draw_not_enough_experts"
    assert r.json()["detail"]["needed"] == 9
    assert tenderer.get("/experts/draws/999999").json()["code"] == "draw_not_found"
    latest = DrawRequest.objects.latest("id").pk
    assert api_as("bidder").get(f"/experts/draws/{latest}").status_code == 404
    assert tenderer.post("/experts/draws", json=body(xw)).json()["code"] == "draw_state"
    r = tenderer.post(f"/experts/draws/{latest}/cancel", json={"reason": ""})
    assert r.status_code == 422
    r = tenderer.post(f"/experts/draws/{latest}/cancel", json={"reason": "专家不足，调整条件"})
    assert r.json()["status"] == "cancelled"
    assert tenderer.post("/experts/draws", json=body(xw)).status_code == 201


def test_pool_api_is_staff_only(live_server: Any, xw: ExpertWorld, api_as: Any) -> None:
    staff = api_as("staff")
    r = staff.get("/experts/pool", params={"specialty": "A05"})
    assert r.status_code == 200
    assert len(r.json()) == 8
    assert api_as("tenderer").get("/experts/pool").status_code == 403
    r = staff.post(
        "/experts/pool/import",
        files={"file": ("e.csv", b"name,id_number\n\xe5\xbc\xa0,123\n", "text/csv")},
    )
    assert r.status_code == 422
    assert r.json()["code"] == "experts_import_invalid"
    assert r.json()["detail"]["errors"][0]["row"] == 2
    r = staff.get("/experts/pool/export", params={"format": "csv"})
    assert r.status_code == 200
    assert r.content.decode("utf-8-sig").startswith("name,id_number")
    assert staff.get("/experts/pool/export", params={"format": "pdf"}).status_code == 400
    e = xw.experts[0]
    r = staff.post(
        f"/experts/pool/{e.pk}/status",
        json={"status": "suspended", "version": e.version, "reason": "年度考核"},
    )
    assert r.json()["status"] == "suspended"
    r = staff.post(f"/experts/pool/{e.pk}/status", json={"status": "active", "version": e.version})
    assert r.status_code == 409
    assert api_as("expert").post(f"/experts/pool/{e.pk}/unavailable", json={}).status_code == 403
    assert len(staff.get("/experts/specialties").json()) > 30


pytestmark = pytest.mark.django_db(transaction=True)


def test_pages(xw: ExpertWorld) -> None:
    staff, tenderer = Client(), Client()
    staff.force_login(xw.world.staff)
    tenderer.force_login(xw.world.tenderer)
    r = staff.get("/experts/pool/?specialty=A05")
    assert r.status_code == 200
    assert "专家8" in r.content.decode()
    assert tenderer.get("/experts/pool/").status_code == 403
    r = tenderer.post(
        "/experts/draws/new/",
        {
            "section": xw.section.code,
            "evaluation_start": xw.start()
            .astimezone(clock.now().tzinfo)
            .strftime("%Y-%m-%dT%H:%M"),
            "lines": "A02:3:1",
        },
    )
    assert r.status_code == 302, r.content.decode()[:500]
    req = DrawRequest.objects.get()
    assert tenderer.post(f"/experts/draws/{req.pk}/run/").status_code == 302
    page = tenderer.get(f"/experts/draws/{req.pk}/").content.decode()
    assert 'id="sealed"' in page
    for invitation in Invitation.objects.select_related("expert__user__person"):
        assert invitation.expert.user.person.name not in page
    with clock.frozen(req.release_at):
        page = tenderer.get(f"/experts/draws/{req.pk}/?verify=1").content.decode()
        assert 'id="verify"' in page
        assert "不一致" not in page
    inv = Invitation.objects.select_related("expert__user").first()
    assert inv is not None
    expert = Client()
    expert.force_login(inv.expert.user)
    assert "确认参加" in expert.get("/experts/invitations/").content.decode()
    assert expert.post(f"/experts/invitations/{inv.pk}/confirm/").status_code == 302
    inv.refresh_from_db()
    assert inv.status == "confirmed"
    r = staff.post("/experts/pool/import/", {"file": _bad_csv()})
    assert r.status_code == 422
    assert "import-errors" in r.content.decode()


def _bad_csv() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("e.csv", b"name,id_number\nx,1\n", content_type="text/csv")


ROLES = ["anonymous", "public", "tenderer", "agency", "bidder", "expert", "regulator", "staff"]


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(live_server: Any, xw: ExpertWorld, api_as: Any, role: str) -> None:
    from ggzy.experts.models import Venue

    client = api_as(role)
    before = (Entry.objects.count(), Venue.objects.count())
    staff_only = 200 if role == "staff" else (401 if role == "anonymous" else 403)
    assert client.get("/experts/pool").status_code == staff_only
    venue = {"code": "X9", "centre": "620400", "name": "x", "region_code": "620400", "seats": 3}
    r = client.post("/experts/venues", json=venue)
    assert r.status_code == (201 if role == "staff" else staff_only), r.text
    if role != "staff":
        assert (Entry.objects.count(), Venue.objects.count()) == before
    signed_in = 401 if role == "anonymous" else 200
    assert client.get("/experts/invitations").status_code == signed_in
    assert client.get("/experts/specialties").status_code == 200
