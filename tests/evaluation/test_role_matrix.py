"""Evaluation endpoints tried as every role over real HTTP at the detailed-review step;
a refusal changes nothing (no ledger entry, no score, same step)."""

from __future__ import annotations

from typing import Any

import pytest

from ggzy.evaluation import services
from ggzy.evaluation.models import Score, Step
from ggzy.ledger.models import Entry

ROLES = ["anonymous", "public", "tenderer", "agency", "bidder", "expert", "regulator", "staff"]
SHEET = {"T1": "8", "T2": "7", "T3": "6", "B1": "9", "C1": "5"}


def _state(session: Any) -> tuple[Any, ...]:
    session.refresh_from_db()
    return Entry.objects.count(), Score.objects.count(), session.step


@pytest.mark.parametrize("role", ROLES)
def test_evaluation_api_matrix(role: str, opened: Any, api_as: Any) -> None:
    o = opened
    staff = o.world.staff
    session = services.evaluation_start(actor=staff, tender=o.tender)
    members = services.committee_form(
        actor=staff, session=session, experts=o.experts, representatives=[o.world.tenderer]
    )
    for m in members:
        services.chair_vote(actor=m.user, session=session, candidate=members[0])
    for step in (Step.QUALIFICATION, Step.PRELIMINARY, Step.DETAILED):
        services.session_advance(actor=staff, session=session, to=step)
    review = session.reviews.first()
    sid = session.pk
    # who sees the session at all: watchers and this tender's bidders; others get 404
    hidden = {"anonymous": 404, "public": 404, "agency": 404}
    cases: list[tuple[str, str, dict[str, Any], dict[str, int]]] = [
        (
            "post",
            f"/evaluation/tenders/{o.tender.pk}/start",
            {"json": {}},
            {"anonymous": 401, "staff": 409} | dict.fromkeys(ROLES[1:-1], 403),
        ),
        (
            "post",
            f"/evaluation/sessions/{sid}/advance",
            {"json": {"to": "price"}},
            dict.fromkeys(ROLES, 403) | hidden | {"staff": 409},
        ),
        (
            "put",
            f"/evaluation/reviews/{review.pk}/scores",
            {"json": {"scores": SHEET}},
            dict.fromkeys(ROLES, 403) | hidden | {"expert": 200, "tenderer": 200},
        ),
        (
            "get",
            f"/evaluation/sessions/{sid}/score-changes",
            {},
            dict.fromkeys(ROLES, 403) | hidden | {"regulator": 200, "staff": 200},
        ),
        (
            "get",
            f"/evaluation/sessions/{sid}/report",
            {},
            dict.fromkeys(ROLES, 200) | hidden | {"bidder": 404},
        ),
        (
            "post",
            f"/evaluation/sessions/{sid}/publicity",
            {},
            dict.fromkeys(ROLES, 403) | hidden | {"tenderer": 409, "staff": 409},
        ),
    ]
    client = api_as(role)
    for method, path, kwargs, expected in cases:
        before = _state(session)
        r = getattr(client, method)(path, **kwargs)
        assert r.status_code == expected[role], (method, path, r.status_code, r.text)
        if r.status_code >= 400:
            assert _state(session) == before, (method, path)
            assert "code" in r.json()
