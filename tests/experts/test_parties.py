"""The avoidance list of a real tender: tenderer plus every bidder with a live bid."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.tendering.conftest import tw  # noqa: F401  # the published-ready tender fixture
from tests.tendering.helpers import Submitter, package

from ggzy.experts import draws

pytestmark = pytest.mark.django_db


def test_party_orgs_include_tenderer_and_bidders(tw: Any, tmp_path: Path) -> None:  # noqa: F811
    tender = tw.publish()
    section = tender.section
    assert {o.uscc for o in draws.party_orgs(section)} == {tw.world.tenderer_org.uscc}
    Submitter(tw, tw.world.bidder, tw.world.bidder_org, tw.bidder_signing).submit(
        package(tmp_path, "p0", "28800000.00")
    )
    Submitter(tw, tw.other_bidder, tw.other_org, tw.other_signing).submit(
        package(tmp_path, "p1", "29100000.50")
    )
    assert {o.uscc for o in draws.party_orgs(section)} == {
        tw.world.tenderer_org.uscc,
        tw.world.bidder_org.uscc,
        tw.other_org.uscc,
    }
