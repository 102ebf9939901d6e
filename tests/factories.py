"""Builders for test data, all through the services (so the ledger fills as in production)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import Any

from ggzy.accounts import services as accounts
from ggzy.registry import identifiers as ids
from ggzy.registry import services as registry
from ggzy.registry.models import Department, Role, TradingCentre

PASSWORD = "Test#pass2026"
_counter = itertools.count(1)
_rng = random.Random(7)


def citizen_id() -> str:
    n = next(_counter)
    body = f"62040219{80 + n % 20:02d}0{1 + n % 9}{10 + n % 18:02d}{n % 1000:03d}"
    return body + ids.citizen_id_check_char(body)


def uscc(region: str = "620402") -> str:
    body8 = f"{_rng.randrange(10**8):08d}"
    return ids.make_uscc("91" + region + body8 + ids.org_code_check_char(body8))


def signup(username: str, name: str = "测试用户") -> Any:
    return accounts.user_signup(
        username=username, password=PASSWORD, name=name, id_type="01", id_number=citizen_id()
    )


def make_org(user: Any, roles: list[str], name: str | None = None) -> Any:
    return registry.organization_register(
        actor=user,
        uscc=uscc(),
        name=name or f"测试单位{next(_counter)}有限公司",
        kind="enterprise",
        region_code="620402",
        legal_representative="张三",
        roles=roles,
    )


def make_world() -> dict[str, Any]:
    staff = signup("staff", "赵工作")
    accounts.centre_bootstrap_staff(user=staff)
    centre = TradingCentre(code="620400", name="白银市公共资源交易中心", region_code="620400")
    registry.reference_data_saved(actor=staff, obj=centre, changed=[], created=True)
    department = Department(code="620400-01", name="市发展改革委", region_code="620400")
    registry.reference_data_saved(actor=staff, obj=department, changed=[], created=True)
    registry.membership_grant(
        actor=staff, person=staff.person, role=Role.CENTRE_STAFF, centre=centre
    )
    regulator = signup("regulator", "钱监管")
    registry.membership_grant(
        actor=staff, person=regulator.person, role=Role.REGULATOR, department=department
    )
    expert = signup("expert", "孙专家")
    registry.membership_grant(actor=staff, person=expert.person, role=Role.EXPERT)
    tenderer = signup("tenderer", "李招标")
    agency = signup("agency", "周代理")
    bidder = signup("bidder", "吴投标")
    public = signup("public", "郑公众")
    for u in (staff, regulator, expert, tenderer, agency, bidder, public):
        u.__dict__.pop("_ggzy_roles", None)
    return {
        "staff": staff,
        "regulator": regulator,
        "tenderer": tenderer,
        "agency": agency,
        "bidder": bidder,
        "expert": expert,
        "public": public,
        "centre": centre,
        "department": department,
        "tenderer_org": make_org(tenderer, ["tenderer"], "白银市城市建设投资有限公司"),
        "agency_org": make_org(agency, ["agency"], "白银招标代理有限公司"),
        "bidder_org": make_org(bidder, ["bidder"], "白银建设工程有限公司"),
    }


def login_session(base: str, username: str | None, password: str = PASSWORD) -> Any:
    """A ``requests`` session logged in through the real login form (None: anonymous)."""
    import re

    import requests

    session = requests.Session()
    if username is None:
        return session
    page = session.get(base + "/accounts/login/", timeout=30)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match is not None
    r = session.post(
        base + "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": match.group(1)},
        headers={"Referer": base + "/accounts/login/"},
        timeout=30,
    )
    assert r.url.endswith("/me/"), r.text[:300]
    return session


def tender_dates(
    trade_type: str, start: dt.datetime, *, docs_days: int = 6, bid_days: int = 21
) -> tuple[dt.datetime, dt.datetime]:
    """``(docs_until, bid_deadline)`` about ``docs_days``/``bid_days`` after ``start``.

    A valid period (at least the rule's minimum) is moved later, to the same time of day,
    when its end would fall short of what the rule set allows: a period whose last day is a
    holiday runs on to the next working day, so start + 21 days is refused on some days of
    the year. A shorter period is left as asked (tests of the refusal).
    """
    from ggzy.rules import selectors as rules

    rs = rules.ruleset_for(trade_type, start)
    out = []
    for key, days in (("doc_period_min_days", docs_days), ("bid_period_min_days", bid_days)):
        want = start + dt.timedelta(days=days)
        if days >= int(rs.get(key) or 0):
            earliest = rules.min_period_end(rs, key, start)
            while want < earliest:
                want += dt.timedelta(days=1)
        out.append(want)
    docs_until, bid_deadline = out
    return docs_until, max(bid_deadline, docs_until)
