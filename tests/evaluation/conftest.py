"""An OPENED tender (three or four consistent bids through the real opening) and a committee
of experts, all through the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from tests.factories import make_org, signup
from tests.tendering.conftest import tw  # noqa: F401  # the published-ready tender fixture
from tests.tendering.helpers import Submitter, package

from ggzy import clock
from ggzy.crypto.suites import INTL
from ggzy.registry import services as registry
from ggzy.registry.models import Role
from ggzy.tendering import opening

PRICES = ("28800000.00", "29100000.50", "28650000.00")


@dataclass
class Opened:
    tw: Any
    tender: Any
    bidders: list[Any]
    experts: list[Any] = field(default_factory=list)

    @property
    def world(self) -> Any:
        return self.tw.world


def extra_bidder(t: Any, username: str, name: str) -> Submitter:
    user = signup(username, "投标" + username[-1])
    org = make_org(user, ["bidder"], name)
    signing = INTL.generate_signing_key()
    registry.entity_key_register(
        actor=user, purpose="sign", public_key=signing.public_key.to_text(), organization=org
    )
    return Submitter(t, user, org, signing)


def open_tender(t: Any, tmp_path: Any, prices: tuple[str, ...] = PRICES) -> Opened:
    tender = t.publish()
    bidders = [
        Submitter(t, t.world.bidder, t.world.bidder_org, t.bidder_signing),
        Submitter(t, t.other_bidder, t.other_org, t.other_signing),
    ]
    names = ["会宁建设集团有限公司", "靖远路桥有限公司", "景泰市政工程有限公司"]
    for i in range(len(prices) - 2):
        bidders.append(extra_bidder(t, f"bidder{i + 3}", names[i]))
    for i, (b, amount) in enumerate(zip(bidders, prices, strict=True)):
        b.submit(package(tmp_path, f"p{i}", amount))
    staff = t.world.staff
    with clock.frozen(tender.bid_deadline):
        opening.opening_start(actor=staff, tender=tender)
        for b in bidders:
            opening.bid_key_release(actor=b.user, bid=b.bid, statement=b.statement())
        opening.opening_record(actor=staff, tender=tender)
        opening.opening_close(actor=staff, tender=tender)
    tender.refresh_from_db()
    return Opened(t, tender, bidders)


def make_experts(world: Any, n: int) -> list[Any]:
    experts = [world.expert]
    for i in range(n - 1):
        u = signup(f"expert{i + 2}", f"专家{i + 2}")
        registry.membership_grant(actor=world.staff, person=u.person, role=Role.EXPERT)
        u.__dict__.pop("_ggzy_roles", None)
        experts.append(u)
    return experts


@pytest.fixture
def opened(tw: Any, tmp_path: Any) -> Opened:  # noqa: F811
    o = open_tender(tw, tmp_path)
    o.experts = make_experts(tw.world, 4)
    return o
