"""Deterministic demo data for a Baiyin-like city trading centre (演示数据).

Everything is created through the services, so the demo also fills the ledger.
Same seed, same data: organisations with valid USCCs, people with valid citizen
IDs, qualifications and performance records, and one login per role.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from ggzy import clock
from ggzy.accounts import services as accounts
from ggzy.accounts.models import User
from ggzy.registry import identifiers as ids
from ggzy.registry import services as registry
from ggzy.registry.models import Department, OrgKind, Role, TradingCentre

DEMO_PASSWORD = "Demo#2026ggzy"  # noqa: S105 - published demo credential
CENTRE_CODE = "620400"
_BAIYIN = Path(__file__).resolve().parent.parent / "registry" / "data" / "baiyin.json"

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志强玉兰红梅海燕建华文斌晓东晓明春梅国庆丽娟立新振华永红德胜兴旺"
PREFIXES = [
    "白银",
    "银光",
    "黄河",
    "陇原",
    "靖远",
    "会宁",
    "景泰",
    "平川",
    "金鼎",
    "祁连",
    "丝路",
    "寿鹿山",
    "乌兰",
    "屈吴",
    "红会",
    "兴隆",
    "永泰",
    "五佛",
    "条山",
    "水川",
]
TRADES = [
    ("建设工程有限公司", ["建筑工程施工总承包", "市政公用工程施工总承包"], "bidder"),
    ("路桥工程有限责任公司", ["公路工程施工总承包"], "bidder"),
    ("水利水电工程有限公司", ["水利水电工程施工总承包"], "bidder"),
    ("建筑设计研究院有限公司", ["工程设计建筑行业"], "bidder"),
    ("工程监理有限公司", ["工程监理综合资质", "房屋建筑工程监理"], "bidder"),
    ("信息技术有限公司", ["信息系统建设和服务能力"], "bidder"),
    ("医疗器械有限公司", ["医疗器械经营许可"], "bidder"),
    ("招标代理有限公司", ["工程造价咨询"], "agency"),
    ("物业管理有限公司", [], "bidder"),
    ("园林绿化工程有限公司", ["城市园林绿化"], "bidder"),
]
GRADES = ["特级", "一级", "二级", "三级", "甲级", "乙级"]
OWNERS = [
    ("白银市城市建设投资发展有限公司", OrgKind.ENTERPRISE, "91"),
    ("白银市第一人民医院", OrgKind.INSTITUTION, "12"),
    ("白银市教育局", OrgKind.GOVERNMENT, "11"),
    ("白银市交通建设投资有限公司", OrgKind.ENTERPRISE, "91"),
    ("白银市水务投资有限公司", OrgKind.ENTERPRISE, "91"),
    ("白银区人民政府", OrgKind.GOVERNMENT, "11"),
    ("靖远县农业农村局", OrgKind.GOVERNMENT, "11"),
    ("景泰县林业和草原局", OrgKind.GOVERNMENT, "11"),
]


class Demo:
    def __init__(
        self, seed: int = 2026, organisations: int = 220, log: Callable[[str], None] = print
    ) -> None:
        self.rng = random.Random(seed)
        self.target = organisations
        self.log = log
        self.used_ids: set[str] = set()
        self.used_uscc: set[str] = set()
        self.data = json.loads(_BAIYIN.read_text(encoding="utf-8"))
        self.districts = [d["code"] for d in self.data["districts"]]
        self.today = clock.now().date()
        self._names: set[str] = set()

    # identifiers -------------------------------------------------------------
    def citizen_id(self) -> str:
        while True:
            born = dt.date(1960, 1, 1) + dt.timedelta(days=self.rng.randrange(0, 40 * 365))
            body = f"{self.rng.choice(self.districts)}{born:%Y%m%d}{self.rng.randrange(1000):03d}"
            number = body + ids.citizen_id_check_char(body)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def uscc(self, head: str, region: str) -> str:
        while True:
            org_body = "".join(self.rng.choice("0123456789") for _ in range(8))
            code = ids.make_uscc(head + region + org_body + ids.org_code_check_char(org_body))
            if code not in self.used_uscc:
                self.used_uscc.add(code)
                return code

    def person_name(self) -> str:
        given = self.rng.choice(GIVEN) + (self.rng.choice(GIVEN) if self.rng.random() < 0.7 else "")
        return self.rng.choice(SURNAMES) + given

    def phone(self) -> str:
        return (
            "1" + self.rng.choice("3589") + "".join(self.rng.choice("0123456789") for _ in range(9))
        )

    # steps -------------------------------------------------------------------
    def run(self) -> None:
        if TradingCentre.objects.filter(code=CENTRE_CODE).exists():
            self.log("demo data already loaded; nothing to do")
            return
        staff = self.bootstrap()
        from ggzy.rules import services as rules_services

        rules_services.seed_load(actor=staff)
        centre, departments = self.reference_data(staff)
        self.people_in_roles(staff, centre, departments)
        self.organisations(staff)
        from ggzy.experts.demo import seed as experts_seed

        experts_seed(self.log)  # 专家库: 60 experts, a sharing centre, venues
        from ggzy.web.lifecycle import run as lifecycle

        lifecycle(log=self.log)  # one tender through the whole flow, via the public API
        self.open_tenders()
        self.evaluation()
        from ggzy.opendata.procurement import demo as procurement_demo
        from ggzy.tendering.termination import demo as termination_demo

        procurement_demo(self.log)  # 政府采购: a gp.open tender through award (550–557)
        termination_demo(self.log)  # 终止招标 with its 终止公告
        from ggzy.disclosure.demo import seed as disclosure_seed

        disclosure_seed(self.log)  # any notice the steps above imply and the index lacks
        self.log("demo data loaded")

    def evaluation(self) -> None:
        """The opened tender: experts drawn (verifiable draw, names sealed until the start),
        confirmed, then evaluated to award — dated just after its opening, in the past."""
        import datetime as dt

        from ggzy.evaluation.demo import seed as evaluation_seed
        from ggzy.experts import draws
        from ggzy.experts.models import Invitation, InvitationStatus
        from ggzy.tendering.models import OpeningSession, Tender, TenderStatus

        tender = Tender.objects.filter(status=TenderStatus.OPENED).order_by("id").first()
        session = OpeningSession.objects.filter(tender=tender).first()
        if tender is None or session is None or session.closed_at is None:
            self.log("evaluation: no opened tender; skipped")
            return
        tenderer = User.objects.get(username="tenderer")
        staff = User.objects.get(username="staff")
        at = session.closed_at + dt.timedelta(hours=2)
        start = at + dt.timedelta(days=1)
        with clock.frozen(at):
            req = draws.draw_request(
                actor=tenderer,
                section=tender.section,
                lines=[{"specialty": "A02", "count": 5, "reserves": 2}],
                evaluation_start=start,
            )
            draw = draws.draw_run(actor=staff, request=req)
            for inv in Invitation.objects.filter(draw=draw, status=InvitationStatus.INVITED):
                draws.invitation_confirm(actor=inv.expert.user, invitation=inv)
        self.log(f"experts: draw {req.pk} for {tender.section.code}, names sealed until {start}")
        with clock.frozen(start + dt.timedelta(minutes=5)):
            evaluation_seed(self.log)
        from ggzy.contracts.demo import seed as contracts_seed

        contracts_seed(self.log)  # the awarded tender's signed, published contract

    def bootstrap(self) -> User:
        staff = accounts.user_signup(
            username="staff",
            password=DEMO_PASSWORD,
            name="赵交易",
            id_type="01",
            id_number=self.citizen_id(),
            phone=self.phone(),
        )
        accounts.centre_bootstrap_staff(user=staff)
        return staff

    def reference_data(self, staff: User) -> tuple[TradingCentre, list[Department]]:
        city = self.data["city"]
        centre = TradingCentre(
            code=CENTRE_CODE, name=f"{city['name']}公共资源交易中心", region_code=city["code"]
        )
        registry.reference_data_saved(actor=staff, obj=centre, changed=[], created=True)
        departments = []
        for i, d in enumerate(self.data["departments"], start=1):
            dept = Department(
                code=f"{city['code']}-{i:02d}",
                name=d["name"],
                name_en=d["en"],
                region_code=city["code"],
                supervises=d.get("supervises", []),
            )
            registry.reference_data_saved(actor=staff, obj=dept, changed=[], created=True)
            departments.append(dept)
        staff_person = staff.person
        registry.membership_grant(
            actor=staff, person=staff_person, role=Role.CENTRE_STAFF, centre=centre
        )
        self.log(f"centre {centre.name}, {len(departments)} departments")
        return centre, departments

    def people_in_roles(
        self, staff: User, centre: TradingCentre, departments: list[Department]
    ) -> None:
        by_name = {d.name: d for d in departments}
        for username, name, dept_name in [
            ("fgw", "钱发改", "市发展改革委"),
            ("czj", "孙财政", "市财政局"),
            ("zjj", "李住建", "市住建局"),
        ]:
            user = accounts.user_provision(
                actor=staff,
                username=username,
                name=name,
                id_type="01",
                id_number=self.citizen_id(),
                phone=self.phone(),
                password=DEMO_PASSWORD,
            )
            registry.membership_grant(
                actor=staff, person=user.person, role=Role.REGULATOR, department=by_name[dept_name]
            )
        expert = accounts.user_provision(
            actor=staff,
            username="expert",
            name="周专家",
            id_type="01",
            id_number=self.citizen_id(),
            phone=self.phone(),
            password=DEMO_PASSWORD,
        )
        registry.membership_grant(actor=staff, person=expert.person, role=Role.EXPERT)
        accounts.user_signup(
            username="public",
            password=DEMO_PASSWORD,
            name="吴公众",
            id_type="01",
            id_number=self.citizen_id(),
        )

    def organisations(self, staff: User) -> None:
        named = {"tenderer": OWNERS[0], "agency": None, "bidder": None}
        count = 0
        # owners (招标人/采购人)
        for i, (name, kind, head) in enumerate(OWNERS):
            username = "tenderer" if i == 0 else f"owner{i:02d}"
            self._org(username, name, kind, head, self.data["city"]["code"], ["tenderer"], [])
            count += 1
        _ = named
        # bidders and agencies
        while count < self.target:
            suffix, quals, role = TRADES[count % len(TRADES)]
            region = self.rng.choice(self.districts)
            prefix = self.rng.choice(PREFIXES)
            name = f"{prefix}{self.rng.choice(['', '新', '恒'])}{suffix}"
            name = f"甘肃{name}" if self.rng.random() < 0.3 else name
            name = f"{name[:-4]}{count:03d}{name[-4:]}" if name in self._names else name
            username = ""
            if role == "agency" and not User.objects.filter(username="agency").exists():
                username = "agency"
            elif role == "bidder" and not User.objects.filter(username="bidder").exists():
                username = "bidder"
            roles = (
                [role]
                if role == "agency"
                else (["bidder", "tenderer"] if self.rng.random() < 0.05 else ["bidder"])
            )
            self._org(
                username or f"u{count:04d}", name, OrgKind.ENTERPRISE, "91", region, roles, quals
            )
            count += 1
        # one rural collective economic organisation (N-prefixed code, 农村集体产权)
        self._org(
            "",
            "靖远县东湾镇大坝村股份经济合作社",
            OrgKind.RURAL_COLLECTIVE,
            "N2",
            "620421",
            ["tenderer"],
            [],
        )
        self.log(f"{count + 1} organisations")

    def _org(
        self,
        username: str,
        name: str,
        kind: str,
        head: str,
        region: str,
        roles: list[str],
        quals: list[str],
    ) -> None:
        self._names.add(name)
        password = DEMO_PASSWORD if username in {"tenderer", "agency", "bidder"} else None
        user = accounts.user_provision(
            actor=User.objects.get(username="staff"),
            username=username or f"n{len(self._names):04d}",
            name=self.person_name(),
            id_type="01",
            id_number=self.citizen_id(),
            phone=self.phone(),
            password=password,
        )
        org = registry.organization_register(
            actor=user,
            uscc=self.uscc(head, region),
            name=name,
            kind=kind,
            region_code=region,
            legal_representative=self.person_name(),
            roles=roles,
            address=f"甘肃省白银市{self.rng.choice(['人民路', '北京路', '诚信大道', '公园路', '四龙路'])}"
            f"{self.rng.randrange(1, 300)}号",
            contact_phone="0943-" + "".join(self.rng.choice("0123456789") for _ in range(7)),
            registered_capital=Decimal(self.rng.choice([100, 500, 1000, 2000, 5000, 10000])),
            established_on=dt.date(1995, 1, 1) + dt.timedelta(days=self.rng.randrange(9000)),
        )
        for q in quals:
            start = self.today - dt.timedelta(days=self.rng.randrange(30, 1500))
            registry.qualification_add(
                actor=user,
                organization=org,
                qual_type=q,
                grade=self.rng.choice(GRADES),
                certificate_no=f"D{self.rng.randrange(10**8, 10**9)}",
                issuer="甘肃省住房和城乡建设厅",
                valid_from=start,
                valid_to=start + dt.timedelta(days=1825),
            )
        if "bidder" in roles and self.rng.random() < 0.6:
            done = self.today - dt.timedelta(days=self.rng.randrange(60, 2000))
            registry.performance_add(
                actor=user,
                organization=org,
                project_name=f"{self.rng.choice(PREFIXES)}{self.rng.choice(['道路改造', '学校教学楼', '供水管网', '医院门诊楼', '信息化平台'])}项目",
                client_name=self.rng.choice(OWNERS)[0],
                contract_amount=Decimal(self.rng.randrange(50, 5000) * 10000),
                completed_on=done,
            )

    def open_tenders(self) -> None:
        """A tender accepting bids now, one still in draft and one failed for want of bids
        (the lifecycle left one opened)."""
        import datetime as dt

        from django.core.files.uploadedfile import SimpleUploadedFile

        from ggzy.projects import services as projects
        from ggzy.tendering import services as tendering
        from ggzy.tendering.selectors import earliest_schedule

        tenderer = User.objects.get(username="tenderer")
        org = tenderer.person.memberships.get(role=Role.TENDERER).organization
        assert org is not None  # a tenderer membership always names its organisation
        centre = TradingCentre.objects.get(code=CENTRE_CODE)
        custodians = {
            "centre": User.objects.get(username="staff"),
            "supervisor": User.objects.get(username="fgw"),
            "tenderer": tenderer,
        }
        for title, publish in (
            ("白银市第三中学教学楼建设工程施工招标", "now"),
            ("白银市城区道路照明改造工程施工招标", ""),
            ("靖远县乡村公路养护站房建设工程施工招标", "past"),
        ):
            project = projects.project_register(
                actor=tenderer,
                centre=centre,
                name=title.removesuffix("施工招标"),
                region_code="620402",
                legal_person=org,
                budget=Decimal("38000000"),
                approval_number=f"白发改审批〔2026〕{self.rng.randrange(100, 300)}号",
            )
            tp = projects.tender_project_create(
                actor=tenderer,
                project=project,
                name=title,
                trade_type_code="works.open",
                tenderer=org,
            )
            section = projects.section_create(
                actor=tenderer,
                tender_project=tp,
                name="施工标段",
                estimated_price=Decimal("25000000"),
                max_price=Decimal("24600000"),
                classify_codes="A08",
                limit_days=300,
            )
            tender = tendering.tender_create(
                actor=tenderer,
                section=section,
                title=f"{title}公告",
                announcement_html="<h3>一、招标条件</h3><p>本项目已批准建设，资金来源为财政资金。</p>"
                "<h3>二、项目概况与招标范围</h3><p>详见招标文件。</p>",
            )
            tendering.document_add(
                actor=tenderer,
                tender=tender,
                upload=SimpleUploadedFile("招标文件.pdf", b"%PDF-1.7 demo tender documents"),
            )
            if publish:
                # "past": announced 40 days ago; no bid arrived by the deadline → 流标 (T15)
                t0 = clock.now() - dt.timedelta(days=40 if publish == "past" else 0)
                with clock.frozen(t0):
                    dates = earliest_schedule(
                        tender, clock.now() + dt.timedelta(minutes=5), docs_days=7, bid_days=25
                    )
                    tendering.tender_publish(
                        actor=tenderer,
                        tender=tender,
                        docs_from=dates.docs_from,
                        docs_until=dates.docs_until,
                        bid_deadline=dates.bid_deadline,
                        custodians=custodians,
                        deposit_amount=Decimal("400000"),
                    )
                if publish == "past":
                    from ggzy.tendering import opening

                    opening.opening_start(actor=custodians["centre"], tender=tender)
        self.log("tenders: one accepting bids, one draft, one failed (流标: no bids)")
