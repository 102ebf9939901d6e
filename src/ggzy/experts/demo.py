"""Demo expert pool: 60 experts across specialties and regions, a second (sharing) centre,
and one main + one secondary venue. Called by the demo loader after centres and staff exist
(``seed(log)``); deterministic, and does nothing when the pool already has experts."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model

from ggzy.accounts import services as accounts
from ggzy.experts import services
from ggzy.experts.models import Expert, Title, Venue
from ggzy.registry import identifiers as ids
from ggzy.registry import services as registry
from ggzy.registry.models import MembershipStatus, Role, TradingCentre

DEMO_PASSWORD = "Demo#2026ggzy"  # noqa: S105 - the published demo credential (web/demo.py)
SPECIALTIES = [
    "A0101",
    "A0102",
    "A0103",
    "A0201",
    "A0202",
    "A0301",
    "A0501",
    "A0502",
    "B0201",
    "C0102",
]
# 白银 districts/counties, 兰州 (another city of the province, pool shared), 西安 (another province)
REGIONS = ["620402", "620403", "620421", "620422", "620423", "620102", "620103", "610113"]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国志红"
EMPLOYERS = [
    "甘肃省建筑设计研究院有限公司",
    "白银市城乡规划设计院",
    "兰州交通大学",
    "甘肃路桥建设集团有限公司",
    "白银市水务工程咨询有限公司",
    "甘肃工程造价咨询有限公司",
    "兰州理工大学",
    "白银矿冶职业技术学院",
    "甘肃信息技术工程有限公司",
    "陕西工程项目管理有限公司",
]


def _staff() -> Any:
    staff = (
        get_user_model()
        .objects.filter(
            person__memberships__role=Role.CENTRE_STAFF,
            person__memberships__status=MembershipStatus.ACTIVE,
        )
        .order_by("id")
        .first()
    )
    if staff is None:
        raise RuntimeError("the expert demo needs a centre staff member (run the demo loader)")
    return staff


def seed(log: Callable[[str], None]) -> None:
    if Expert.objects.exists():
        log("expert pool already present; nothing to do")
        return
    rng = random.Random(2027)  # noqa: S311 - deterministic demo data
    staff = _staff()
    home = TradingCentre.objects.order_by("id").first()
    assert home is not None
    lanzhou = TradingCentre.objects.filter(code="620100").first()
    if lanzhou is None:
        lanzhou = TradingCentre(code="620100", name="兰州市公共资源交易中心", region_code="620100")
        registry.reference_data_saved(actor=staff, obj=lanzhou, changed=[], created=True)
    employers = [
        (ids.make_uscc("91" + "620100" + body + ids.org_code_check_char(body)), name)
        for body, name in ((f"{7100 + i:08d}", n) for i, n in enumerate(EMPLOYERS))
    ]
    used: set[str] = set()
    for n in range(60):
        while True:
            born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 25 * 365))
            body = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
            number = body + ids.citizen_id_check_char(body)
            if number not in used:
                used.add(number)
                break
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if n % 3 else "")
        user = accounts.user_provision(
            actor=staff,
            username=f"expert{n + 1:02d}",
            name=name,
            id_type="01",
            id_number=number,
            phone="139" + f"{rng.randrange(10**8):08d}",
            password=DEMO_PASSWORD,
        )
        registry.membership_grant(actor=staff, person=user.person, role=Role.EXPERT)
        region = REGIONS[n % len(REGIONS)]
        uscc, employer = employers[n % len(employers)]
        specialties = sorted({SPECIALTIES[n % len(SPECIALTIES)], rng.choice(SPECIALTIES)})
        services.expert_register(
            actor=staff,
            user=user,
            specialties=specialties,
            region_code=region,
            employer_uscc=uscc,
            employer_name=employer,
            title=Title.SENIOR if n % 4 else Title.PROFESSOR,
            years=8 + rng.randrange(25),
            home_centre=lanzhou if region.startswith("6201") else home,
        )
    demo_expert = get_user_model().objects.filter(username="expert").first()
    if (
        demo_expert is not None
        and demo_expert.person.memberships.filter(
            role=Role.EXPERT, status=MembershipStatus.ACTIVE
        ).exists()
    ):  # the demo's own expert login joins the pool, so invitations can be tried
        services.expert_register(
            actor=staff,
            user=demo_expert,
            specialties=["A0201", "A0501"],
            region_code="620402",
            employer_uscc=employers[0][0],
            employer_name=employers[0][1],
            title=Title.SENIOR,
            years=15,
            home_centre=home,
        )
    if not Venue.objects.filter(code="BY-PB1").exists():
        services.venue_create(
            actor=staff,
            code="BY-PB1",
            centre=home,
            name="白银评标室一",
            region_code="620400",
            seats=9,
        )
        services.venue_create(
            actor=staff,
            code="LZ-PB3",
            centre=lanzhou,
            name="兰州远程评标室三",
            region_code="620100",
            seats=9,
        )
    log(f"expert pool: {Expert.objects.count()} experts, venues BY-PB1 (主场) and LZ-PB3 (副场)")
