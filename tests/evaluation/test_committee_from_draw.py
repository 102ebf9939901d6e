"""The committee comes from the verifiable draw (专家随机抽取 → 评标委员会): experts drawn for
the opened tender's section, invited, confirmed, their names released at the evaluation start,
seated without anyone typing a name; a different list is refused while a draw exists."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.factories import signup, uscc

from ggzy import clock
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.evaluation import services
from ggzy.evaluation.models import MemberKind
from ggzy.evaluation.scoring.template import DEFAULT_TEMPLATES
from ggzy.experts import draws
from ggzy.experts import services as experts
from ggzy.experts.models import Invitation, Title
from ggzy.experts.selectors import committee_experts
from ggzy.ledger.models import Entry
from ggzy.registry import services as registry
from ggzy.registry.models import Role

pytestmark = pytest.mark.django_db


def _pool(world: Any, n: int) -> None:
    for i in range(n):
        user = signup(f"pool{i}", f"库专家{i}")
        registry.membership_grant(actor=world.staff, person=user.person, role=Role.EXPERT)
        experts.expert_register(
            actor=world.staff,
            user=user,
            specialties=["A0201"],
            region_code="620402",
            employer_uscc=uscc("620402"),
            employer_name=f"设计院{i}",
            title=Title.SENIOR,
            years=12,
            home_centre=world.centre,
        )


def test_committee_is_seated_from_the_released_draw(opened: Any) -> None:
    world, tender = opened.world, opened.tender
    section = tender.section
    _pool(world, 8)
    start = clock.now().replace(microsecond=0) + dt.timedelta(days=2)
    req = draws.draw_request(
        actor=world.tenderer,
        section=section,
        lines=[{"specialty": "A02", "count": 5, "reserves": 1}],
        evaluation_start=start,
    )
    draw = draws.draw_run(actor=world.staff, request=req)
    for inv in Invitation.objects.filter(draw=draw, status="invited"):
        draws.invitation_confirm(actor=inv.expert.user, invitation=inv)
    assert committee_experts(section) == []  # sealed until the evaluation starts

    with clock.frozen(start + dt.timedelta(minutes=1)):
        drawn = committee_experts(section)
        assert len(drawn) == 5
        session = services.evaluation_start(
            actor=world.staff, tender=tender, template=DEFAULT_TEMPLATES["works-comprehensive"]
        )
        with pytest.raises(DomainError) as err:  # someone else's list while a draw exists
            services.committee_form(actor=world.staff, session=session, experts=opened.experts[:5])
        assert err.value.code == ErrorCode.COMMITTEE_INVALID
        members = services.committee_form(actor=world.staff, session=session)
    assert [m.user for m in members if m.kind == MemberKind.EXPERT] == drawn
    formed = Entry.objects.get(event_type="evaluation:committee:formed")
    assert formed.payload["source"] == "draw"


def test_without_a_draw_the_experts_must_be_named(opened: Any) -> None:
    world = opened.world
    session = services.evaluation_start(
        actor=world.staff, tender=opened.tender, template=DEFAULT_TEMPLATES["works-comprehensive"]
    )
    with pytest.raises(DomainError) as err:
        services.committee_form(actor=world.staff, session=session)
    assert err.value.code == ErrorCode.COMMITTEE_INVALID
    assert "抽取" in err.value.message
    services.committee_form(
        actor=world.staff,
        session=session,
        experts=opened.experts,
        representatives=[world.tenderer],
    )
    formed = Entry.objects.get(event_type="evaluation:committee:formed")
    assert formed.payload["source"] == "manual"
