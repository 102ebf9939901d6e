"""Tenders in every stage (draft / announced with a clarification and an answered objection /
opened / failed), all through the real services, plus the official OCDS schemas loaded
offline."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.tendering import helpers
from tests.tendering.conftest import tw  # noqa: F401  # the published-ready tender fixture
from tests.tendering.helpers import Bidder, package

from ggzy import clock
from ggzy.ledger.sequencer import integrate_all_logged
from ggzy.tendering import opening, services

# copies of shared/data (SOURCE.md in each): the official schemas must be here, offline
OCDS_DIR = Path(__file__).resolve().parent / "data" / "ocds-1.1.5"
SCHEMA_BASE = "https://standard.open-contracting.org/schema/1__1__5/"


def third_bidder(tender_world: Any, name: str = "bidder3") -> Bidder:
    return helpers.third_bidder(tender_world, name, f"会宁{name}建设集团有限公司")


@dataclass
class Stages:
    world: Any  # the TenderWorld

    def announced(self) -> Any:
        """Announced, one clarification (deadline moved), one answered objection."""
        tw_ = self.world
        tender = tw_.publish()
        world = tw_.world
        services.clarification_issue(
            actor=world.tenderer,
            tender=tender,
            content_html="<p>第三章工程量清单第 12 项数量更正为 1200 立方米。</p>",
            new_deadline=tender.bid_deadline + dt.timedelta(days=2),
        )
        obj = services.objection_raise(
            actor=world.bidder,
            tender=tender,
            organization=world.bidder_org,
            content="资格条件中的业绩要求是否包括在建工程？",
        )
        services.objection_answer(
            actor=world.tenderer, objection=obj, answer="不包括在建工程，以竣工验收为准。"
        )
        tender.refresh_from_db()
        return tender

    def opened(self, tmp_path: Path) -> Any:
        tw_ = self.world
        tender = tw_.publish()
        bidders = [
            Bidder(tw_, tw_.world.bidder, tw_.world.bidder_org, tw_.bidder_signing),
            Bidder(tw_, tw_.other_bidder, tw_.other_org, tw_.other_signing),
            third_bidder(tw_),
        ]
        for i, b in enumerate(bidders):
            b.submit(package(tmp_path, f"p{i}", f"2880000{i}.00"))
        staff = tw_.world.staff
        with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
            opening.opening_start(actor=staff, tender=tender)
            for b in bidders:
                opening.sign_in(actor=b.user, bid=b.bid)
                b.release()
            opening.opening_record(actor=staff, tender=tender)
            for b in bidders:
                opening.bidder_confirm(actor=b.user, bid=b.bid)
            opening.opening_close(actor=staff, tender=tender)
        tender.refresh_from_db()
        return tender

    def failed(self, tmp_path: Path) -> Any:
        tw_ = self.world
        tender = tw_.publish()
        Bidder(tw_, tw_.world.bidder, tw_.world.bidder_org, tw_.bidder_signing).submit(
            package(tmp_path, "only", "1000000")
        )
        with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
            opening.opening_start(actor=tw_.world.staff, tender=tender)
        tender.refresh_from_db()
        return tender


@pytest.fixture
def stages(tw: Any) -> Stages:  # noqa: F811 - the imported fixture, used by name
    return Stages(tw)


def integrate() -> int:
    """What the inline sequencer does after a commit (``db`` tests never commit)."""
    return integrate_all_logged()


@pytest.fixture(scope="session")
def ocds_validators() -> dict[str, Any]:
    """Draft-4 validators of the official release and record package schemas, every $ref
    resolved from the local files (no network)."""
    from jsonschema import Draft4Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    assert OCDS_DIR.exists(), f"OCDS schemas missing at {OCDS_DIR}"
    resources = []
    for name in (
        "release-schema.json",
        "release-package-schema.json",
        "record-package-schema.json",
        "versioned-release-validation-schema.json",
    ):
        body = json.loads((OCDS_DIR / name).read_text(encoding="utf-8"))
        resources.append((SCHEMA_BASE + name, Resource.from_contents(body, DRAFT4)))
    registry_ = Registry().with_resources(resources)

    def make(name: str) -> Any:
        return Draft4Validator(registry_[SCHEMA_BASE + name].contents, registry=registry_)

    return {
        "release": make("release-schema.json"),
        "release_package": make("release-package-schema.json"),
        "record_package": make("record-package-schema.json"),
    }
