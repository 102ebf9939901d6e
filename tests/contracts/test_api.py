"""The contract stage over real HTTP: from the award notice to a published contract notice on
the portal (catalogue item 已公开), with wrong roles refused, bad prices and a missing
reason answered 4xx with stable codes, the file hash on the ledger and a correction kept as
history."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from tests.conftest import Api
from tests.contracts.conftest import PDF, Awarded, record_args

from ggzy.accounts import services as accounts
from ggzy.accounts.permissions import user_permissions
from ggzy.contracts import services
from ggzy.contracts.models import Contract, ContractVersion
from ggzy.disclosure.models import Notice
from ggzy.evaluation.models import Reminder, ReminderKind
from ggzy.ledger.models import Entry


def _api(live_server, user):
    scopes = sorted(p.value for p in user_permissions(user))
    _t, raw = accounts.token_create(actor=user, name="t", scopes=scopes)
    return Api(live_server.url, raw)


def _ok(r, status=200):
    assert r.status_code == status, r.text
    return r.json()


def _code(r, status, code):
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    return r.json()


def _nothing_written():
    assert not Contract.objects.exists()
    assert not Entry.objects.filter(event_type__startswith="contracts:").exists()


def test_contract_from_award_to_portal_over_http(awarded: Awarded, api_as, live_server):
    a = awarded
    tid = a.tender.pk
    tenderer, bidder = api_as("tenderer"), api_as("bidder")
    regulator, anon = api_as("regulator"), api_as("anonymous")
    with a.after(1):
        # wrong roles: nothing written
        assert bidder.post(f"/contracts/tenders/{tid}", json=record_args(a)).status_code == 403
        assert regulator.post(f"/contracts/tenders/{tid}", json=record_args(a)).status_code == 403
        assert anon.post(f"/contracts/tenders/{tid}", json=record_args(a)).status_code == 401
        _nothing_written()
        # bad prices: zero, negative, huge, too many decimals, not a number
        for bad in ("0", "-5", "0.00", "100000000000000", "1e20", "12.1234567", "abc", "NaN"):
            r = tenderer.post(f"/contracts/tenders/{tid}", json=record_args(a, price=bad))
            err = _code(r, 400, "contract_price_invalid")
            assert err["field"] == "price"
        # a price differing from the award price needs a written reason (法46)
        lower = str(a.winner.price - Decimal("10000"))
        r = tenderer.post(f"/contracts/tenders/{tid}", json=record_args(a, price=lower))
        err = _code(r, 400, "contract_price_reason_required")
        assert err["detail"]["difference"] == "-10000"
        # a sign date before the award or in the future is refused; shape errors are 422
        r = tenderer.post(f"/contracts/tenders/{tid}", json=record_args(a, signed_on="2020-01-01"))
        _code(r, 400, "contract_sign_date_invalid")
        r = tenderer.post(f"/contracts/tenders/{tid}", json=record_args(a, term_days=0))
        _code(r, 422, "validation_error")
        _nothing_written()

        # recorded at the award price by the tenderer
        c = _ok(tenderer.post(f"/contracts/tenders/{tid}", json=record_args(a)), 201)
        assert c["status"] == "signed"
        assert Decimal(c["price"]) == a.winner.price
        assert c["winner"] == {"name": a.winner.bidder.name, "uscc": a.winner.bidder.uscc}
        assert c["tenderer"]["uscc"] == a.tender.section.tender_project.tenderer.uscc
        assert c["sign_overdue"] is False
        assert c["publish_due"] is None  # works: no contract notice deadline in the rules
        cid = c["id"]
        entry = Entry.objects.get(event_type="contracts:contract:recorded")
        assert entry.payload["winner"]["uscc"] == a.winner.bidder.uscc
        assert entry.rule_version == a.tender.ruleset_label
        # the post-award duty 签订书面合同 is fulfilled
        assert not Reminder.objects.filter(
            session=a.session, kind=ReminderKind.CONTRACT, done_at__isnull=True
        ).exists()
        _code(
            tenderer.post(f"/contracts/tenders/{tid}", json=record_args(a)), 409, "contract_exists"
        )
        # not public yet
        _code(anon.get(f"/contracts/{cid}"), 404, "contract_not_found")
        assert _ok(anon.get(f"/contracts/tenders/{tid}")) == []
        assert _ok(regulator.get(f"/contracts/{cid}"))["code"] == "HT-2026-001"
        winner = next(b for b in a.o.bidders if b.org.pk == a.winner.bidder_id)
        loser = next(b for b in a.o.bidders if b.org.pk != a.winner.bidder_id)
        assert _ok(_api(live_server, winner.user).get(f"/contracts/{cid}"))["id"] == cid
        r = _api(live_server, loser.user).get(f"/contracts/{cid}")
        _code(r, 404, "contract_not_found")  # another bidder does not, before publishing
        # publishing needs the signed file
        _code(tenderer.post(f"/contracts/{cid}/publish"), 409, "contract_file_missing")
        r = tenderer.post(f"/contracts/{cid}/file", files={"file": ("c.txt", b"plain text")})
        _code(r, 415, "file_type_not_allowed")
        c = _ok(tenderer.post(f"/contracts/{cid}/file", files={"file": ("合同.pdf", PDF)}))
        digest = hashlib.sha256(PDF).hexdigest()
        assert c["file"]["sha256"] == digest
        attached = Entry.objects.get(event_type="contracts:contract:file_attached")
        assert attached.payload["sha256"] == digest
        assert attached.payload["size"] == len(PDF)
        winner_api = _api(live_server, winner.user)
        _code(winner_api.post(f"/contracts/{cid}/publish"), 403, "token_scope_denied")
        loser_api = _api(live_server, loser.user)
        _code(loser_api.post(f"/contracts/{cid}/publish"), 404, "contract_not_found")
        c = _ok(tenderer.post(f"/contracts/{cid}/publish"))
        assert (c["status"], c["version"], c["corrected"]) == ("published", 1, False)
        _code(tenderer.post(f"/contracts/{cid}/publish"), 409, "contract_state")

        # public now: API, file download with its hash, portal notice and catalogue
        pub = _ok(anon.get(f"/contracts/{cid}"))
        assert "ledger" not in pub
        assert [v["number"] for v in pub["versions"]] == [1]
        assert [x["id"] for x in _ok(anon.get(f"/contracts/tenders/{tid}"))] == [cid]
        r = anon.get(f"/contracts/{cid}/file")
        assert r.status_code == 200
        assert hashlib.sha256(r.content).hexdigest() == r.headers["X-Content-SHA256"] == digest
        notice = Notice.objects.get(stage="contract")
        assert notice.key == f"contracts:contract:{cid}:v1"
        assert notice.title.endswith("（合同公告）")
        assert a.winner.bidder.name in notice.body_text
        assert digest in notice.body_text
        section = a.tender.section
        page = anon.http.get(f"{live_server.url}/notices/projects/{section.code}/")
        assert page.status_code == 200
        assert "合同订立信息" in page.text
        assert 'data-stage="contract" data-state="published"' in page.text
        html = anon.http.get(f"{live_server.url}/contracts/tender/{tid}/").text
        assert "HT-2026-001" in html
        assert 'data-status="published"' in html

        # a correction: reason required, a new price needs its reason, history is kept
        r = tenderer.post(f"/contracts/{cid}/amend", json={"reason": "", "term_days": 300})
        _code(r, 400, "validation_error")
        r = tenderer.post(f"/contracts/{cid}/amend", json={"reason": "工期调整", "price": lower})
        _code(r, 400, "contract_price_reason_required")
        r = tenderer.post(f"/contracts/{cid}/amend", json={"reason": "x", "term_days": 365})
        _code(r, 400, "validation_error")  # nothing changes
        assert bidder.post(f"/contracts/{cid}/amend", json={"reason": "x"}).status_code == 403
        assert winner_api.post(f"/contracts/{cid}/amend", json={"reason": "x"}).status_code == 403
        c = _ok(
            tenderer.post(
                f"/contracts/{cid}/amend",
                json={
                    "reason": "经双方协商核减暂列金额",
                    "price": lower,
                    "price_reason": "核减暂列金额 1 万元，不改变投标实质性内容",
                    "term_days": 330,
                },
            )
        )
    assert (c["version"], c["corrected"], c["term_days"]) == (2, True, 330)
    assert [v["number"] for v in c["versions"]] == [1, 2]
    assert c["versions"][0]["data"]["term_days"] == 365  # the first notice as published
    assert c["versions"][1]["reason"] == "经双方协商核减暂列金额"
    amended = Entry.objects.get(event_type="contracts:contract:amended")
    assert {ch["field"] for ch in amended.payload["changes"]} == {
        "price",
        "price_reason",
        "term_days",
    }
    assert ContractVersion.objects.filter(contract_id=cid).count() == 2
    notices = list(Notice.objects.filter(stage="contract").order_by("published_at", "pk"))
    assert [n.title.endswith("（合同更正公告）") for n in notices] == [False, True]
    assert "经双方协商核减暂列金额" in notices[1].body_text
    html = anon.http.get(f"{live_server.url}/contracts/tender/{tid}/").text
    assert 'id="contract-corrected"' in html
    full = _ok(regulator.get(f"/contracts/{cid}"))
    assert [e["event_type"] for e in full["ledger"]][:2] == [
        "contracts:contract:amended",
        "contracts:contract:published",
    ]


def test_refused_before_award_with_409(opened, api_as):
    """An opened tender whose evaluation has not reached the award notice."""
    o = opened
    tenderer = api_as("tenderer")
    body = {
        "code": "HT-1",
        "price": "100",
        "content": "x",
        "term_days": 10,
        "signed_on": "2026-01-05",
    }
    r = tenderer.post(f"/contracts/tenders/{o.tender.pk}", json=body)
    assert (r.status_code, r.json()["code"]) == (409, "contract_not_awarded")
    assert api_as("bidder").post(f"/contracts/tenders/{o.tender.pk}", json=body).status_code == 403
    assert tenderer.post("/contracts/tenders/999999", json=body).status_code == 404
    assert tenderer.get("/contracts/999999").json()["code"] == "contract_not_found"
    _nothing_written()


def test_update_before_publication_and_nul_over_http(awarded: Awarded, api_as):
    """POST /contracts/{id}/update (公告前修改): the full record body again; a price change
    needs its reason; NUL characters are 400 (never 500 on PostgreSQL); refused once
    published (409) and for other roles (nothing written)."""
    a = awarded
    tid = a.tender.pk
    tenderer, bidder, regulator = api_as("tenderer"), api_as("bidder"), api_as("regulator")
    with a.after(1):
        r = tenderer.post(f"/contracts/tenders/{tid}", json=record_args(a, content="a\x00b"))
        _code(r, 400, "validation_error")
        _nothing_written()
        cid = _ok(tenderer.post(f"/contracts/tenders/{tid}", json=record_args(a)), 201)["id"]
        entries = Entry.objects.count()
        lower = str(a.winner.price - Decimal("500"))
        url = f"/contracts/{cid}/update"
        won = a.winner.bidder_id == a.world.bidder_org.pk  # the winner may read, not write
        r = bidder.post(url, json=record_args(a, term_days=200))
        _code(r, *((403, "token_scope_denied") if won else (404, "contract_not_found")))
        assert regulator.post(url, json=record_args(a, term_days=200)).status_code == 403
        _code(
            tenderer.post(url, json=record_args(a, price=lower)),
            400,
            "contract_price_reason_required",
        )
        _code(tenderer.post(url, json=record_args(a, quality="优\x00良")), 400, "validation_error")
        _code(tenderer.post(url, json=record_args(a, code="HT\x00")), 400, "validation_error")
        _code(tenderer.post(url, json=record_args(a)), 400, "validation_error")  # no change
        assert Entry.objects.count() == entries
        c = _ok(tenderer.post(url, json=record_args(a, price=lower, price_reason="核减")))
        assert (c["status"], c["price"], c["price_reason"], c["version"]) == (
            "signed",
            services.dec(Decimal(lower)),
            "核减",
            0,
        )
        assert Entry.objects.filter(event_type="contracts:contract:updated").count() == 1
        _ok(tenderer.post(f"/contracts/{cid}/file", files={"file": ("合同.pdf", PDF)}))
        _ok(tenderer.post(f"/contracts/{cid}/publish"))
        entries = Entry.objects.count()
        _code(tenderer.post(url, json=record_args(a, term_days=100)), 409, "contract_state")
        # a published price corrected over the API: the earlier reason does not carry over
        r = tenderer.post(
            f"/contracts/{cid}/amend", json={"reason": "金额更正", "price": str(a.winner.price - 1)}
        )
        _code(r, 400, "contract_price_reason_required")
        r = tenderer.post(f"/contracts/{cid}/amend", json={"reason": "更正\x00", "quality": "优"})
        _code(r, 400, "validation_error")
    assert Entry.objects.count() == entries
    assert Contract.objects.get().term_days == 365
