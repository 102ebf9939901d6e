"""A whole tender from the opening record to the award notice through the API over real HTTP,
with the wrong roles refused (and nothing changed) and bad input answered 4xx."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

import requests
from pypdf import PdfReader
from tests.conftest import Api

from ggzy import clock
from ggzy.accounts import services as accounts
from ggzy.accounts.permissions import user_permissions
from ggzy.evaluation.models import EvaluationSession, Score
from ggzy.ledger.models import Entry

SHEET = {"T1": "8.5", "T2": "7", "T3": "6", "B1": "9", "C1": "5"}


def _api(live_server, user):
    scopes = sorted(p.value for p in user_permissions(user))
    _t, raw = accounts.token_create(actor=user, name="t", scopes=scopes)
    return Api(live_server.url, raw)


def _ok(r, status=200):
    assert r.status_code == status, r.text
    return r.json()


def test_evaluation_to_award_over_http(opened, api_as, live_server):
    o = opened
    staff, regulator, anon = api_as("staff"), api_as("regulator"), api_as("anonymous")
    tenderer, bidder = api_as("tenderer"), api_as("bidder")
    # wrong roles cannot start; bad template is 400; then staff starts
    assert tenderer.post(f"/evaluation/tenders/{o.tender.pk}/start", json={}).status_code == 403
    assert anon.post(f"/evaluation/tenders/{o.tender.pk}/start", json={}).status_code == 401
    r = staff.post(f"/evaluation/tenders/{o.tender.pk}/start", json={"template": {"code": "x"}})
    assert (r.status_code, r.json()["code"]) == (400, "scoring_template_invalid")
    assert not EvaluationSession.objects.exists()
    s = _ok(staff.post(f"/evaluation/tenders/{o.tender.pk}/start", json={}), 201)
    sid = s["id"]
    # a committee of 4 experts is refused (T18); the right one is formed
    usernames = [u.username for u in o.experts]
    r = staff.post(f"/evaluation/sessions/{sid}/committee", json={"experts": usernames})
    assert (r.status_code, r.json()["code"]) == (400, "committee_invalid")
    r = staff.post(
        f"/evaluation/sessions/{sid}/committee", json={"experts": ["nobody"], "representatives": []}
    )
    assert (r.status_code, r.json()["field"]) == (400, "experts")
    members = _ok(
        staff.post(
            f"/evaluation/sessions/{sid}/committee",
            json={"experts": usernames, "representatives": ["tenderer"]},
        ),
        201,
    )["members"]
    users = {u.username: u for u in [*o.experts, o.world.tenderer]}
    apis = {m["user"]: _api(live_server, users[m["user"]]) for m in members}
    chair = members[1]["id"]
    for m in members:
        _ok(
            apis[m["user"]].post(
                f"/evaluation/sessions/{sid}/chair-vote", json={"candidate": chair}
            )
        )
    assert bidder.post(
        f"/evaluation/sessions/{sid}/chair-vote", json={"candidate": chair}
    ).status_code in (403, 404)
    for step in ("qualification", "preliminary", "detailed"):
        assert (
            regulator.post(f"/evaluation/sessions/{sid}/advance", json={"to": step}).status_code
            == 403
        )
        _ok(staff.post(f"/evaluation/sessions/{sid}/advance", json={"to": step}))
    r = staff.post(f"/evaluation/sessions/{sid}/advance", json={"to": "awarded"})
    assert (r.status_code, r.json()["code"]) == (409, "evaluation_state")
    reviews = _ok(staff.get(f"/evaluation/sessions/{sid}"))["reviews"]
    # clarification: a member asks, the bidder sees and answers it in writing
    mine = next(rv for rv in reviews if rv["bidder_code"] == o.world.bidder_org.uscc)
    first_api = apis[members[0]["user"]]
    c = _ok(
        first_api.post(
            f"/evaluation/reviews/{mine['id']}/clarifications", json={"question": "请澄清工期"}
        ),
        201,
    )
    seen = _ok(bidder.get(f"/evaluation/sessions/{sid}/clarifications"))
    assert [x["question"] for x in seen] == ["请澄清工期"]
    assert (
        _ok(api_as("bidder").get(f"/evaluation/sessions/{sid}"))["reviews"][0]["bidder_code"]
        == o.world.bidder_org.uscc
    )
    assert api_as("public").get(f"/evaluation/sessions/{sid}").status_code == 404
    _ok(
        bidder.post(
            f"/evaluation/clarifications/{c['id']}/answer", json={"answer": "工期 365 日历天"}
        )
    )
    # scoring: outsiders refused; bad scores 400/422; every member submits
    r = bidder.put(f"/evaluation/reviews/{mine['id']}/scores", json={"scores": SHEET})
    assert r.status_code == 403
    r = first_api.put(f"/evaluation/reviews/{mine['id']}/scores", json={"scores": {"T1": "99"}})
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (400, "score_invalid", "T1")
    r = first_api.put(f"/evaluation/reviews/{mine['id']}/scores", json={"scores": {"T1": "abc"}})
    assert r.status_code == 422
    r = first_api.put(
        f"/evaluation/reviews/{mine['id']}/scores", json={"scores": {"T1": "5"}, "submit": True}
    )
    assert (r.status_code, r.json()["code"]) == (400, "score_invalid")
    for i, m in enumerate(members):
        for rv in reviews:
            sheet = dict(SHEET, T1=str(6 + (i + rv["id"]) % 4))
            _ok(
                apis[m["user"]].put(
                    f"/evaluation/reviews/{rv['id']}/scores", json={"scores": sheet, "submit": True}
                )
            )
    changes = _ok(regulator.get(f"/evaluation/sessions/{sid}/score-changes"))
    assert len(changes) == len(members) * len(reviews)  # the refused submit left nothing
    assert bidder.get(f"/evaluation/sessions/{sid}/score-changes").status_code == 403
    for step in ("price", "totals", "ranking", "report"):
        _ok(staff.post(f"/evaluation/sessions/{sid}/advance", json={"to": step}))
    rep = _ok(regulator.get(f"/evaluation/sessions/{sid}/report"))
    assert len(rep["report"]["candidates"]) == 3
    assert bidder.get(f"/evaluation/sessions/{sid}/report").status_code == 404
    for m in members:
        _ok(
            apis[m["user"]].post(
                f"/evaluation/sessions/{sid}/sign", json={"report_sha256": rep["report_sha256"]}
            )
        )
    rep = _ok(regulator.get(f"/evaluation/sessions/{sid}/report"))
    assert rep["verified"] is True
    # after signing: score change refused, nothing changed
    before = (
        Score.objects.count(),
        Entry.objects.filter(event_type="evaluation:score:changed").count(),
    )
    r = first_api.put(f"/evaluation/reviews/{mine['id']}/scores", json={"scores": {"T1": "1"}})
    assert (r.status_code, r.json()["code"]) == (409, "report_signed")
    assert (
        Score.objects.count(),
        Entry.objects.filter(event_type="evaluation:score:changed").count(),
    ) == before
    assert set(Score.objects.filter(criterion="T1").values_list("value", flat=True)) != {1}
    # publicity; the public now sees the candidates; an objection pauses the award
    assert bidder.post(f"/evaluation/sessions/{sid}/publicity").status_code == 403
    pub = _ok(tenderer.post(f"/evaluation/sessions/{sid}/publicity"))
    assert [c["rank"] for c in _ok(anon.get(f"/evaluation/sessions/{sid}"))["candidates"]] == [
        1,
        2,
        3,
    ]
    r = tenderer.post(f"/evaluation/sessions/{sid}/award")
    assert (r.status_code, r.json()["code"]) == (409, "publicity_not_ended")
    obj = _ok(
        bidder.post(f"/evaluation/sessions/{sid}/objections", json={"content": "对排序有异议"}), 201
    )
    assert (
        api_as("public")
        .post(f"/evaluation/sessions/{sid}/objections", json={"content": "x"})
        .status_code
        == 403
    )
    until = dt.datetime.fromisoformat(pub["publicity_until"])
    with clock.frozen(until + dt.timedelta(seconds=1)):
        r = tenderer.post(f"/evaluation/sessions/{sid}/award")
        assert (r.status_code, r.json()["code"]) == (409, "evaluation_objection_pending")
        assert (
            bidder.post(
                f"/evaluation/objections/{obj['id']}/answer", json={"answer": "x"}
            ).status_code
            == 403
        )
        _ok(
            tenderer.post(
                f"/evaluation/objections/{obj['id']}/answer", json={"answer": "经复核无误"}
            )
        )
        done = _ok(tenderer.post(f"/evaluation/sessions/{sid}/award"))
    assert done["step"] == "awarded"
    # every bidder gets its own notice; the PDF reads back with hash and signature
    notices = _ok(bidder.get(f"/evaluation/sessions/{sid}/notices"))
    assert len(notices) == 1
    n = notices[0]
    r = bidder.get(f"/evaluation/notices/{n['id']}/pdf")
    assert r.status_code == 200
    assert hashlib.sha256(r.content).hexdigest() == n["pdf_sha256"] == r.headers["X-Content-SHA256"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    assert n["content_sha256"] in text
    assert n["signature"]["signature"]["value"][:60] in text
    all_notices = _ok(staff.get(f"/evaluation/sessions/{sid}/notices"))
    other = next(x for x in all_notices if x["id"] != n["id"])
    assert bidder.get(f"/evaluation/notices/{other['id']}/pdf").status_code == 404
    # the public verify page finds the PDF by its SHA-256 (upload)
    web = requests.Session()
    page = web.get(live_server.url + "/ledger/verify/", timeout=30).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    verify = web.post(
        live_server.url + "/ledger/verify/",
        data={"csrfmiddlewaretoken": token},
        files={"file": ("n.pdf", r.content)},
        headers={"Referer": live_server.url + "/ledger/verify/"},
        timeout=30,
    )
    assert verify.status_code == 200
    assert "evaluation:notice:issued" in verify.text
    assert "pdf_sha256" in verify.text
    # reminders for the tenderer: 15-day written report and 30-day contract
    kinds = {x["kind"] for x in _ok(tenderer.get("/evaluation/reminders"))}
    assert kinds == {"written_report", "contract"}
