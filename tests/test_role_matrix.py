"""Every endpoint and page tried as every role over real HTTP.

A refusal must change nothing: no ledger entry, no row.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from tests.contracts.conftest import PDF, Awarded, awarded, record_args  # noqa: F401  # fixture
from tests.factories import citizen_id, login_session, signup, uscc
from tests.tendering.conftest import tw  # noqa: F401  # fixture

from ggzy.contracts import services as contracts
from ggzy.contracts.models import Contract
from ggzy.disclosure.models import Notice
from ggzy.ledger.models import Entry
from ggzy.registry.models import Membership, Organization, Performance
from ggzy.tendering.models import Deposit, Tender

ROLES = ["anonymous", "public", "tenderer", "agency", "bidder", "expert", "regulator", "staff"]
MANAGERS = {"bidder", "staff"}  # admin of bidder_org, and centre staff


def _state() -> tuple[int, ...]:
    return (
        Entry.objects.count(),
        Organization.objects.count(),
        Performance.objects.count(),
        Membership.objects.count(),
        sum(Organization.objects.values_list("version", flat=True)),
    )


def _expect(role: str, allowed: set[str], ok: int, *, anon: int = 401, other: int = 403) -> int:
    if role in allowed:
        return ok
    return anon if role == "anonymous" else other


@pytest.mark.parametrize("role", ROLES)
def test_api_matrix(role: str, api_as: Any, world: Any) -> None:
    client = api_as(role)
    org = world.bidder_org
    everyone = set(ROLES)
    people = everyone - {"anonymous"}
    target = signup(f"target_{role}")
    call_command("rules", "load", "--as", world.staff.username, verbosity=0)
    cases: list[tuple[str, str, dict[str, Any], int]] = [
        ("get", "/entities", {}, 200),
        ("get", f"/entities/{org.uscc}", {}, 200),
        ("get", "/platform/key", {}, 200),
        ("get", "/accounts/me", {}, _expect(role, people, 200)),
        (
            "post",
            "/entities",
            {
                "json": {
                    "uscc": uscc(),
                    "name": f"矩阵测试{role}有限公司",
                    "kind": "enterprise",
                    "region_code": "620402",
                    "legal_representative": "甲",
                    "roles": ["bidder"],
                }
            },
            _expect(role, people, 201),
        ),
        (
            "patch",
            f"/entities/{org.uscc}",
            {"json": {"expected_version": 1, "address": f"by {role}"}},
            _expect(role, MANAGERS, 200),
        ),
        (
            "post",
            f"/entities/{org.uscc}/performances",
            {
                "data": {
                    "project_name": "道路",
                    "client_name": "城投",
                    "contract_amount": "100000",
                    "completed_on": "2025-01-01",
                }
            },
            _expect(role, MANAGERS, 201),
        ),
        ("get", f"/entities/{org.uscc}/members", {}, _expect(role, MANAGERS, 200)),
        (
            "post",
            "/platform/memberships",
            {"json": {"id_number": "X", "role": "expert"}},
            _expect(role, {"staff"}, 404),  # staff passes the permission check, then 404 person
        ),
        ("get", "/ledger/entries", {}, _expect(role, {"staff", "regulator"}, 200)),
        ("get", "/rules/trade-types", {}, 200),
        ("get", "/rules/trade-types/works.open/ruleset", {}, 200),
        (
            "post",
            "/rules/calendar",
            {"json": {"date": "2027-10-01", "kind": "holiday", "name": "国庆节"}},
            _expect(role, {"staff"}, 200),
        ),
        ("get", "/projects", {}, _expect(role, {"tenderer", "agency", "regulator", "staff"}, 200)),
        ("get", "/tendering/tenders/999999", {}, 404),
        (
            "post",
            "/tendering/sections/E6204022611280001001001/uploads",
            {"json": {"size": 1, "sha256": "0" * 64}},
            404,  # no such section: refused before anything is written
        ),
    ]
    for method, path, kwargs, expected in cases:
        before = _state()
        r = getattr(client, method)(path, **kwargs)
        assert r.status_code == expected, (role, method, path, r.text[:300])
        body = r.json() if r.content else {}
        if expected >= 400:
            assert isinstance(body.get("code"), str)
            assert _state() == before, (role, method, path)
        elif method != "get":
            assert Entry.objects.count() > before[0], (role, method, path)
    assert target.pk  # the grant target exists but was never matched by "X"


STATUS = {  # the refusals below, with their stable codes
    "not_authenticated": 401,
    "permission_denied": 403,
    "token_scope_denied": 403,
    "not_found": 404,
    "contract_not_found": 404,
    "contract_exists": 409,
    "contract_file_missing": 409,
    "contract_state": 409,
    "tender_state": 409,
    "contract_price_invalid": 400,
}


def _contract_state() -> tuple[Any, ...]:
    return (
        Entry.objects.count(),
        sorted(Contract.objects.values_list("pk", "status", "version", "file_sha256")),
        sorted(Tender.objects.values_list("pk", "status", "version")),
        Notice.objects.count(),
        Deposit.objects.filter(refund_due_at__isnull=False).count(),
    )


@pytest.mark.parametrize("role", ROLES)
def test_contract_and_termination_api_matrix(
    role: str,
    awarded: Awarded,  # noqa: F811  # the fixture imported above
    api_as: Any,
) -> None:
    """The contracts API (合同订立/合同公告) and 终止招标 on an awarded tender whose contract
    is recorded but not yet published: who may write, who may read before the notice."""
    a = awarded
    tid = a.tender.pk
    with a.after(1):
        c = contracts.contract_record(actor=a.world.tenderer, tender=a.tender, **record_args(a))
    cid = c.pk
    managers = {
        "tenderer",
        "staff",
    }  # the tender's 招标人 and centre staff ("agency": not its agent)
    # an unpublished contract: managers, regulators and the winner's members (the evaluation
    # decides whether "bidder" won)
    winner = {"bidder"} if a.winner.bidder_id == a.world.bidder_org.pk else set()
    readers = managers | {"regulator"} | winner
    no_write_scope = {"public", "bidder", "expert", "regulator"}

    def write(allowed_code: str) -> dict[str, str]:
        return (
            {"anonymous": "not_authenticated", "agency": "permission_denied"}
            | dict.fromkeys(no_write_scope, "token_scope_denied")
            | dict.fromkeys(managers, allowed_code)
        )

    def hidden(allowed_code: str, seen_code: str = "token_scope_denied") -> dict[str, str]:
        """Unpublished: 404 for whoever may not read it, before any other check."""
        return (
            dict.fromkeys(ROLES, "contract_not_found")
            | dict.fromkeys(readers, seen_code)
            | dict.fromkeys(managers, allowed_code)
        )

    amend = {"reason": "更正质量要求", "quality": "优良"}
    cases: list[tuple[str, str, dict[str, Any], dict[str, str] | int]] = [
        ("post", f"/contracts/tenders/{tid}", {"json": record_args(a)}, write("contract_exists")),
        ("get", f"/contracts/tenders/{tid}", {}, 200),
        ("get", f"/contracts/{cid}", {}, hidden("", "")),
        (
            "get",
            f"/contracts/{cid}/file",
            {},
            hidden("contract_file_missing", "contract_file_missing"),
        ),
        ("post", f"/contracts/{cid}/publish", {}, hidden("contract_file_missing")),
        ("post", f"/contracts/{cid}/amend", {"json": amend}, hidden("contract_state")),
        (  # 公告前修改 with a zero price: the managers reach the record checks
            "post",
            f"/contracts/{cid}/update",
            {"json": record_args(a, price="0")},
            hidden("contract_price_invalid"),
        ),
        ("get", "/contracts/999999", {}, dict.fromkeys(ROLES, "contract_not_found")),
        (
            "post",
            "/contracts/tenders/999999",
            {"json": record_args(a)},
            dict.fromkeys(ROLES, "not_found"),
        ),
        (
            "post",
            f"/tendering/tenders/{tid}/terminate",
            {"json": {"reason": "项目取消"}},
            write("tender_state"),  # opened and awarded: no longer terminable
        ),
        # the signed file last: the managers' upload succeeds and is on the ledger
        ("post", f"/contracts/{cid}/file", {"files": {"file": ("合同.pdf", PDF)}}, hidden("")),
    ]
    client = api_as(role)
    for method, path, kwargs, expected in cases:
        before = _contract_state()
        r = getattr(client, method)(path, **kwargs)
        body = r.json() if r.content else {}
        code = expected.get(role, "") if isinstance(expected, dict) else ""
        if code:
            assert (r.status_code, body.get("code")) == (STATUS[code], code), (role, path, r.text)
            assert _contract_state() == before, (role, method, path)
        else:
            assert r.status_code == 200, (role, method, path, r.text[:300])
            if method != "get":
                assert Entry.objects.count() > before[0], (role, method, path)
    # the list of a tender's contracts: the unpublished one only for its readers
    listed = client.get(f"/contracts/tenders/{tid}").json()
    assert [x["id"] for x in listed] == ([cid] if role in readers else [])


@pytest.mark.parametrize("role", ROLES)
def test_page_matrix(role: str, live_server: Any, world: Any, password: str) -> None:
    base = live_server.url
    session = login_session(base, None if role == "anonymous" else role, password)
    org = world.bidder_org
    pages = [
        ("/", 200, 200),
        ("/entities/", 200, 200),
        (f"/entities/{org.uscc}/", 200, 200),
        ("/me/", 302, 200),
        ("/registry/register/", 302, 200),
        ("/accounts/security/", 302, 200),
    ]
    pages.append(("/rules/", 200, 200))
    pages.append(("/tendering/", 200, 200))
    # per-tender pages (bid, opening, manage, custody): tests/tendering/test_views*.py
    restricted = [
        ("/projects/", {"staff", "regulator", "tenderer", "agency"}, 403),
        ("/ledger/", {"staff", "regulator"}, 403),
        (f"/registry/{org.uscc}/qualifications/new/", MANAGERS, 403),
        ("/admin/", {"staff"}, 302),
    ]
    entries = Entry.objects.count()
    for path, anon_status, user_status in pages:
        r = session.get(base + path, allow_redirects=False, timeout=30)
        expected = anon_status if role == "anonymous" else user_status
        assert r.status_code == expected, (role, path)
    for path, allowed, refused in restricted:
        r = session.get(base + path, allow_redirects=False, timeout=30)
        if role in allowed:
            assert r.status_code == 200, (role, path)
        else:
            assert r.status_code in {refused, 302}, (role, path, r.status_code)
    # reading pages leaves no evidence entries (only logins do, before this point)
    assert Entry.objects.count() == entries
    assert citizen_id()  # factories stay importable from page tests
