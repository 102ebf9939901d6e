"""Every endpoint and page tried as every role over real HTTP.

A refusal must change nothing: no ledger entry, no row.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from tests.factories import citizen_id, login_session, signup, uscc

from ggzy.ledger.models import Entry
from ggzy.registry.models import Membership, Organization, Performance

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
