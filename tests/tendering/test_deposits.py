"""投标保证金 pages and API: the centre records deposits received (T11), regulators read the
list, nobody else sees who paid (it would reveal who bids); bad input changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import requests
from tests.factories import login_session, uscc

from ggzy.ledger.models import Entry
from ggzy.tendering.models import Deposit

pytestmark = pytest.mark.django_db(transaction=True)


def _post(s: requests.Session, base: str, path: str, data: dict[str, Any]) -> requests.Response:
    s.get(base + path, timeout=30)
    token = s.cookies.get("csrftoken", "")
    return s.post(
        base + path,
        data={"csrfmiddlewaretoken": token, **data},
        headers={"Referer": base + path},
        allow_redirects=False,
        timeout=30,
    )


def _form(tw: Any, **over: Any) -> dict[str, Any]:
    org = tw.world.bidder_org
    data = {
        "bidder": org.uscc,
        "amount": "100000",
        "payer_account_name": org.name,
        "payer_account_no": "6200 1234 5678",
        "payer_bank": "甘肃银行白银分行",
        "is_basic_account": "on",
    }
    data.update(over)
    return data


def _state() -> tuple[int, int]:
    return Deposit.objects.count(), Entry.objects.count()


def test_staff_records_a_deposit_and_the_bidder_sees_it(live_server: Any, tw: Any) -> None:
    tender = tw.publish(deposit_amount=Decimal("100000"))
    base, path = live_server.url, f"/tendering/{tender.pk}/deposits/"
    staff = login_session(base, tw.world.staff.username)
    page = staff.get(base + path, timeout=30)
    assert page.status_code == 200
    assert 'id="no-deposits"' in page.text
    assert 'id="deposit-form"' in page.text

    before = _state()
    for bad, needle in [
        (_form(tw, amount="99999"), "保证金金额应为 100000.00 元"),
        (_form(tw, payer_account_name="别的公司"), "付款账户名称应与投标人名称一致"),
        (_form(tw, is_basic_account=""), "基本账户"),
        (_form(tw, bidder="91620400MA00000000"), "uscc_invalid"),  # check character wrong
        (_form(tw, bidder=uscc("620402")), "entity_not_found"),  # valid, not registered
        (_form(tw, amount="十万"), "id_amount"),
    ]:
        r = _post(staff, base, path, bad)
        assert r.status_code in (400, 404, 409), (bad, r.status_code)
        assert needle in r.text, needle
        assert _state() == before  # nothing recorded, nothing on the ledger

    r = _post(staff, base, path, _form(tw))
    assert r.status_code == 302
    dep = Deposit.objects.get()
    assert dep.bidder == tw.world.bidder_org
    assert dep.amount == Decimal("100000")
    assert Entry.objects.filter(event_type="tendering:deposit:received").count() == 1
    listing = staff.get(base + path, timeout=30).text
    assert tw.world.bidder_org.name in listing
    assert "6200 1234 5678" in listing
    r = _post(staff, base, path, _form(tw))  # the same deposit twice
    assert r.status_code == 409
    assert Deposit.objects.count() == 1

    bidder = login_session(base, tw.world.bidder.username)
    bid_page = bidder.get(f"{base}/tendering/{tender.pk}/bid/", timeout=30).text
    assert 'id="deposit-status"' in bid_page
    assert "已到账" in bid_page


@pytest.mark.parametrize(
    ("role", "get_status", "post_status"),
    [
        ("regulator", 200, 403),
        ("tenderer", 403, 403),
        ("bidder", 403, 403),
        ("public", 403, 403),
    ],
)
def test_who_sees_and_records_deposits(
    role: str, get_status: int, post_status: int, live_server: Any, tw: Any
) -> None:
    tender = tw.publish(deposit_amount=Decimal("100000"))
    base, path = live_server.url, f"/tendering/{tender.pk}/deposits/"
    s = login_session(base, getattr(tw.world, role).username)
    r = s.get(base + path, timeout=30, allow_redirects=False)
    assert r.status_code == get_status
    if get_status == 200:
        assert 'id="deposit-form"' not in r.text  # regulators read only
    before = _state()
    assert _post(s, base, path, _form(tw)).status_code == post_status
    assert _state() == before
    api = s.get(
        f"{base}/api/v1/tendering/tenders/{tender.pk}/deposits",
        headers={"Accept": "application/json"},
        timeout=30,
    )
    assert api.status_code == get_status
    if get_status != 200:
        assert api.json()["code"] == "permission_denied"


def test_anonymous_is_sent_to_login(live_server: Any, tw: Any) -> None:
    tender = tw.publish(deposit_amount=Decimal("100000"))
    r = requests.get(
        f"{live_server.url}/tendering/{tender.pk}/deposits/", allow_redirects=False, timeout=30
    )
    assert r.status_code == 302
    assert "/accounts/login/" in r.headers["Location"]
    api = requests.get(
        f"{live_server.url}/api/v1/tendering/tenders/{tender.pk}/deposits", timeout=30
    )
    assert api.status_code == 401
