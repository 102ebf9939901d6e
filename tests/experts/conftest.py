"""A section with a tenderer, an agency and a small expert pool, all through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from tests.factories import signup, uscc
from tests.tendering.conftest import TRADE_TYPE, load_rules

from ggzy import clock
from ggzy.experts import services
from ggzy.experts.models import Title, Venue
from ggzy.projects import services as projects
from ggzy.registry import services as registry
from ggzy.registry.models import Role, TradingCentre

EMPLOYERS = [uscc("620402") for _ in range(12)]


@dataclass
class ExpertWorld:
    world: Any
    section: Any
    experts: list[Any] = field(default_factory=list)
    other_centre: Any = None

    def start(self, days: int = 10) -> dt.datetime:
        base = clock.now().replace(hour=1, minute=30, second=0, microsecond=0)
        return base + dt.timedelta(days=days)


def add_expert(
    xw: ExpertWorld,
    n: int,
    *,
    specialties: list[str],
    region: str = "620402",
    employer: str | None = None,
    centre: Any = None,
) -> Any:
    staff = xw.world.staff
    user = signup(f"ex{n}", f"专家{n}")
    registry.membership_grant(actor=staff, person=user.person, role=Role.EXPERT)
    expert = services.expert_register(
        actor=staff,
        user=user,
        specialties=specialties,
        region_code=region,
        employer_uscc=employer or EMPLOYERS[n % len(EMPLOYERS)],
        employer_name=f"单位{n}",
        title=Title.SENIOR,
        years=10,
        home_centre=centre or xw.world.centre,
    )
    xw.experts.append(expert)
    return expert


@pytest.fixture
def xw(world: Any) -> ExpertWorld:
    load_rules(world.staff)
    project = projects.project_register(
        actor=world.tenderer,
        centre=world.centre,
        name="白银市城区道路改造工程",
        region_code="620402",
        legal_person=world.tenderer_org,
        budget=Decimal("52000000"),
        approval_number="白发改投资〔2026〕88号",
    )
    tp = projects.tender_project_create(
        actor=world.tenderer,
        project=project,
        name="白银市城区道路改造工程施工招标",
        trade_type_code=TRADE_TYPE,
        tenderer=world.tenderer_org,
        supervise_dept=world.department,
    )
    section = projects.section_create(
        actor=world.tenderer, tender_project=tp, name="一标段", estimated_price=Decimal("30000000")
    )
    xw = ExpertWorld(world, section)
    lanzhou = TradingCentre(code="620100", name="兰州市公共资源交易中心", region_code="620100")
    registry.reference_data_saved(actor=world.staff, obj=lanzhou, changed=[], created=True)
    xw.other_centre = lanzhou
    for n in range(8):
        add_expert(xw, n, specialties=["A0201"] if n % 2 else ["A0201", "A0501"])
    for n in range(8, 12):
        add_expert(xw, n, specialties=["A0501"], region="620102", centre=lanzhou)
    services.venue_create(
        actor=world.staff,
        code="BY1",
        centre=world.centre,
        name="白银评标室",
        region_code="620400",
        seats=9,
    )
    services.venue_create(
        actor=world.staff,
        code="LZ1",
        centre=lanzhou,
        name="兰州评标室",
        region_code="620100",
        seats=9,
    )
    assert Venue.objects.count() == 2
    return xw
