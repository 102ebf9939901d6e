"""An AWARDED tender: the evaluation conftest's opened tender taken through committee,
scoring, signed report, candidate publicity and the award notice, all by the real services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from tests.evaluation.conftest import (
    make_experts,
    open_tender,
    opened,  # noqa: F401  # fixture
)
from tests.evaluation.test_opendata import _after_opening, _award, _signed
from tests.tendering.conftest import tw  # noqa: F401  # fixture

from ggzy import clock
from ggzy.evaluation import award
from ggzy.evaluation.models import BidReview, EvaluationSession

PDF = b"%PDF-1.4\n% signed contract\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass
class Awarded:
    o: Any
    session: EvaluationSession
    winner: BidReview

    @property
    def tender(self) -> Any:
        return self.o.tender

    @property
    def world(self) -> Any:
        return self.o.world

    @contextmanager
    def after(self, days: float = 1) -> Iterator[None]:
        """The clock ``days`` after the award notice (the contract is signed after it)."""
        assert self.session.awarded_at is not None
        with clock.frozen(self.session.awarded_at + dt.timedelta(days=days)):
            yield


def take_to_award(o: Any) -> Awarded:
    session, _members = _signed(o)
    with _after_opening(o, 3):
        award.publicity_start(actor=o.world.tenderer, session=session)
    session.refresh_from_db()
    session = _award(o, session)
    winner = BidReview.objects.select_related("bidder").get(bid=session.winner)
    return Awarded(o, session, winner)


@pytest.fixture
def awarded(tw: Any, tmp_path: Any) -> Awarded:  # noqa: F811
    o = open_tender(tw, tmp_path)
    o.experts = make_experts(tw.world, 4)
    return take_to_award(o)


def record_args(a: Awarded, **extra: Any) -> dict[str, Any]:
    assert a.session.awarded_at is not None
    signed = (a.session.awarded_at + dt.timedelta(days=1)).astimezone(
        dt.timezone(dt.timedelta(hours=8))
    )
    return {
        "code": "HT-2026-001",
        "name": "城区道路改造工程施工合同",
        "price": str(a.winner.price),
        "content": "城区道路改造工程施工，按招标文件和投标文件实施。",
        "term_days": 365,
        "quality": "合格",
        "signed_on": signed.date().isoformat(),
        **extra,
    }
