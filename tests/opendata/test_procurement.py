"""Government-procurement tables (政府采购 550–557), table 517 招标异常情况报告 and the OCDS
``cancelled`` release of a terminated tender: every row checked field by field against the
bundled spec, a procurement tender kept out of the works tables 501–507, the rows served over
real HTTP, the quality report measuring them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from tests.factories import tender_dates
from tests.opendata.conftest import integrate
from tests.tendering.helpers import Bidder, package, third_bidder

from ggzy import clock
from ggzy.opendata import dataspec, ocds, plugins, procurement, quality, tables
from ggzy.projects import services as projects
from ggzy.tendering import bids, opening, services, termination
from ggzy.tendering.models import TenderStatus

GP_TABLES = ("550", "551", "552", "553", "556", "557")
WORKS_TABLES = ("501", "502", "503", "504", "506", "507")
CODES = {
    "SUBJECT_CODE_TYPE_USCC": "1",
    "ROLE_TENDERER": "01",
    "ROLE_AGENCY": "02",
    "ROLE_BIDDER": "03",
    "PURCHASE_MODE_OPEN": "1",
}
# what the platform does not capture is flagged (mandatory), never invented
UNAVOIDABLE = {
    "550": set(),
    "551": set(),
    "552": set(),
    "553": set(),
    "556": set(),
    "557": {"IS_LOST"},  # the credit query result is not recorded yet (as in table 507)
    "517": set(),
}


def _kinds(row: Any) -> set[tuple[str, str]]:
    return {(i.field, i.kind) for i in row.issues}


def _rows(code: str) -> list[Any]:
    return list(tables.checked_rows(code))


def _check(code: str, rows: list[Any]) -> None:
    """Field by field: the spec's names in order, no format/length/enum issue at all, and a
    missing mandatory value only where the platform has no data."""
    spec = dataspec.load(tables.spec_version())[code]
    for r in rows:
        assert list(r.row) == spec.field_names, code
        for field in spec.fields:
            assert dataspec.check_value(field, r.row[field.name]) == [] or (
                field.name in UNAVOIDABLE[code] and r.row[field.name] == ""
            ), (code, field.name, r.row[field.name])
        assert {f for f, _k in _kinds(r)} <= UNAVOIDABLE[code], (code, r.issues)


def gp_world(tw: Any) -> Any:
    """A 政府采购-公开招标 (gp.open) entrusted to an agency, published, with one clarification."""
    world = tw.world
    project = projects.project_register(
        actor=world.tenderer,
        centre=world.centre,
        name="白银市第一人民医院医疗设备采购项目",
        region_code="620402",
        legal_person=world.tenderer_org,
        budget=Decimal("8600000"),
    )
    tp = projects.tender_project_create(
        actor=world.tenderer,
        project=project,
        name="白银市第一人民医院医疗设备采购",
        trade_type_code="gp.open",
        tenderer=world.tenderer_org,
        agency=world.agency_org,
        organize_form="2",
    )
    section = projects.section_create(
        actor=world.tenderer,
        tender_project=tp,
        name="第一包：影像设备",
        estimated_price=Decimal("4200000"),
        max_price=Decimal("4150000"),
    )
    tender = services.tender_create(
        actor=world.tenderer,
        section=section,
        title="白银市第一人民医院医疗设备采购（第一包）公开招标公告",
        announcement_html="<p>采购需求：数字化X射线摄影系统一套。</p>",
    )
    services.document_add(
        actor=world.tenderer,
        tender=tender,
        upload=SimpleUploadedFile("采购文件.pdf", b"%PDF-1.7 procurement documents"),
    )
    start = clock.now() + dt.timedelta(minutes=1)
    docs_until, bid_deadline = tender_dates("gp.open", start, docs_days=12, bid_days=26)
    services.tender_publish(
        actor=world.tenderer,
        tender=tender,
        docs_from=start,
        docs_until=docs_until,
        bid_deadline=bid_deadline,
        custodians=tw.custodians,
        deposit_amount=Decimal("80000"),
    )
    services.clarification_issue(
        actor=world.tenderer,
        tender=tender,
        content_html="<p>技术参数第 3 项更正为：探测器尺寸不小于 43cm×43cm。</p>",
        new_deadline=bid_deadline + dt.timedelta(days=2),
    )
    tender.refresh_from_db()
    return dataclasses.replace(tw, section=section, tender=tender)


def gp_open(gw: Any, tmp_path: Path) -> Any:
    tender = gw.tender
    people = [
        Bidder(gw, gw.world.bidder, gw.world.bidder_org, gw.bidder_signing),
        Bidder(gw, gw.other_bidder, gw.other_org, gw.other_signing),
        third_bidder(gw),
    ]
    staff = gw.world.staff
    for i, b in enumerate(people):
        b.submit(package(tmp_path, f"gp{i}", f"411000{i}.00"))
        bids.deposit_record(  # 保函/转账 from the supplier's basic account
            actor=staff,
            tender=tender,
            bidder=b.org,
            amount=Decimal("80000"),
            payer_account_name=b.org.name,
            payer_account_no=f"62170000000000{i}",
            payer_bank="甘肃银行白银分行",
        )
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        opening.opening_start(actor=staff, tender=tender)
        for b in people:
            opening.sign_in(actor=b.user, bid=b.bid)
            b.release()
        opening.opening_record(actor=staff, tender=tender)
        for b in people:
            opening.bidder_confirm(actor=b.user, bid=b.bid)
        opening.opening_close(actor=staff, tender=tender)
    tender.refresh_from_db()
    assert tender.status == TenderStatus.OPENED
    return tender


def evaluate_to_signed(
    tender: Any, staff: Any, experts: list[Any], representatives: tuple[Any, ...] = ()
) -> Any:
    """评审 of an opened tender through the services, up to the report every member signed
    (step ``signed``): committee, chair, review steps, full score sheets, ranking, signatures."""
    from ggzy.evaluation import compute, reports, scores
    from ggzy.evaluation import services as evaluation
    from ggzy.evaluation.models import Step

    session = evaluation.evaluation_start(actor=staff, tender=tender)
    members = evaluation.committee_form(
        actor=staff, session=session, experts=experts, representatives=list(representatives)
    )
    for m in members:
        evaluation.chair_vote(actor=m.user, session=session, candidate=members[0])
    for step in (Step.QUALIFICATION, Step.PRELIMINARY, Step.DETAILED):
        evaluation.session_advance(actor=staff, session=session, to=step)
    criteria = compute.template_of(session).criteria
    for m in members:
        for r in session.reviews.filter(rejected=False):
            sheet = {c.code: str(c.max * 8 / 10) for c in criteria}
            scores.scores_set(actor=m.user, review=r, scores=sheet, submit=True)
    for step in (Step.PRICE, Step.TOTALS, Step.RANKING, Step.REPORT):
        evaluation.session_advance(actor=staff, session=session, to=step)
    session.refresh_from_db()
    for m in members:
        reports.report_sign(actor=m.user, session=session, report_sha256=session.report_sha256)
    session.refresh_from_db()
    assert session.step == Step.SIGNED
    return session


def gp_experts(world: Any) -> list[Any]:
    """评审委员会: the world's expert and four more in the pool."""
    from tests.factories import signup

    from ggzy.registry import services as registry
    from ggzy.registry.models import Role

    experts = [world.expert]
    for n in range(4):
        user = signup(f"gpexpert{n}", f"评审专家{n}")
        registry.membership_grant(actor=world.staff, person=user.person, role=Role.EXPERT)
        user.__dict__.pop("_ggzy_roles", None)
        experts.append(user)
    return experts


@pytest.fixture
def gw(tw: Any) -> Any:  # the published gp.open tender
    return gp_world(tw)


@pytest.mark.django_db
def test_procurement_catalogue(tw: Any) -> None:
    assert procurement.procurement_trade_types() == [
        "gp.consultation",
        "gp.inquiry",
        "gp.invite",
        "gp.negotiation",
        "gp.open",
        "gp.single",
    ]
    assert procurement.is_procurement("gp.open")
    assert not procurement.is_procurement("works.open")
    codes = plugins.table_exporters()
    assert {"517", *GP_TABLES} <= set(codes)


@pytest.mark.django_db
def test_procurement_tables_pass_the_spec_and_stay_out_of_works(
    gw: Any, tmp_path: Path, settings: Any
) -> None:
    settings.GGZY_OPENDATA_CODES = CODES
    tender = gp_open(gw, tmp_path)
    integrate()
    section = gw.section
    udc = section.unified_deal_code
    for code in (*GP_TABLES[:3], "556", "557"):
        rows = [r for r in _rows(code) if r.ocid == ocds.ocid_for(udc)]
        assert rows, code
        _check(code, rows)
    [p] = [r for r in _rows("550") if r.row["UNIFIED_DEAL_CODE"] == udc]
    assert p.row["PURCHASE_PROJECT_CODE"] == section.tender_project.code
    assert p.row["PURCHASE_SECTION_CODE"] == section.code
    assert p.row["PURCHASER_MODE"] == "1"
    assert p.row["PURCHASER_AGENCY_CODE"] == gw.world.agency_org.uscc
    assert p.row["PROGRAM_BUDGET"] == "4200000"  # the budget (预算), not the ceiling (最高限价)
    [a] = _rows("551")
    assert a.row["BULLETIN_TITLE"] == tender.title
    clar = tender.clarifications.get()
    assert a.row["BID_CLOSING_TIME"] == tables.dt14(clar.old_deadline)
    [c] = _rows("552")
    assert c.row["IS_POSTPONE"] == "1"
    assert c.row["POST_BID_CLOSING_TIME"] == tables.dt14(clar.new_deadline)
    assert len(c.row["TERMINATION_BULLETIN_TITLE"]) <= 50
    assert c.row["TERMINATION_BULLETIN_TITLE"].endswith("（更正公告）")
    [o] = _rows("556")
    assert o.row["BID_OPENING_TIME"] == tables.dt14(tender.opening.started_at)
    suppliers = _rows("557")
    assert sorted(r.row["BID_PRICE"] for r in suppliers) == ["4110000", "4110001", "4110002"]
    # timeliness measured from the integrated ledger entries
    assert all(r.published_at is not None for r in [*suppliers, a, c, o, p])
    # not in the works tables 501–507; still in 500 项目 (both kinds)
    for code in WORKS_TABLES:
        assert all(r.ocid != ocds.ocid_for(udc) for r in _rows(code)), code
    assert any(r.row["PROJECT_CODE"] == section.tender_project.project.code for r in _rows("500"))


@pytest.mark.django_db
def test_award_of_a_procurement_tender_reaches_553(gw: Any, tmp_path: Path, settings: Any) -> None:
    """No 中标候选人公示 (条例第四十三条): the purchaser decides on the signed report."""
    from ggzy.evaluation import award
    from ggzy.evaluation.models import Step

    settings.GGZY_OPENDATA_CODES = CODES
    experts = gp_experts(gw.world)
    tender = gp_open(gw, tmp_path)
    with clock.frozen(tender.opening.closed_at + dt.timedelta(hours=1)):
        session = evaluate_to_signed(tender, gw.world.staff, experts)
        award.award_issue(actor=gw.world.tenderer, session=session)
    session.refresh_from_db()
    assert session.step == Step.AWARDED
    assert session.publicity_from is None
    assert session.awarded_at is not None
    integrate()
    [row] = _rows("553")
    _check("553", [row])
    winner = session.winner.bidder
    assert row.row["WINNINGBIDDER_CODE"] == winner.uscc
    assert row.row["WINNINGBIDDER_NAME"] == winner.name
    assert row.row["PURCHASER_AGENCY_CODE"] == gw.world.agency_org.uscc
    assert row.row["WIN_BID_BULLETIN_START_TIME"] == tables.dt14(session.awarded_at)
    assert row.published_at is not None
    # the evaluation's works tables (508 评标专家, 510, 511, 513 中标结果公告) leave it out
    for code in ("508", "510", "511", "513"):
        assert _rows(code) == [], code
    report = quality.report()
    t553 = next(t for t in report["tables"] if t["code"] == "553")
    assert t553["rows"] == 1
    assert t553["timeliness"]["measured"] == 1


@pytest.mark.django_db
def test_ocds_award_of_a_procurement_tender(gw: Any, tmp_path: Path, ocds_validators: Any) -> None:
    """One ``award`` release at the purchaser's decision: the rank-1 supplier ``active``, the
    others ``unsuccessful``, the tender ``complete``; no ``pending`` candidates (nothing was
    publicised)."""
    from ggzy.evaluation import award

    experts = gp_experts(gw.world)
    tender = gp_open(gw, tmp_path)
    with clock.frozen(tender.opening.closed_at + dt.timedelta(hours=1)):
        session = evaluate_to_signed(tender, gw.world.staff, experts)
        award.award_issue(actor=gw.world.tenderer, session=session)
    session.refresh_from_db()
    releases = ocds.releases(ocds.context_for(gw.section))
    for release in releases:
        assert list(ocds_validators["release"].iter_errors(release)) == []
    [decided] = [r for r in releases if r.get("awards")]
    assert decided["tag"] == ["award"]
    assert decided["date"] == ocds.context_for(gw.section).iso(session.awarded_at)
    assert decided["tender"]["status"] == "complete"
    statuses = {a["suppliers"][0]["name"]: a["status"] for a in decided["awards"]}
    assert statuses.pop(session.winner.bidder.name) == "active"
    assert sorted(statuses.values()) == ["unsuccessful", "unsuccessful"]


@pytest.mark.django_db
def test_517_rows_for_failed_and_terminated_tenders(stages: Any, tmp_path: Path) -> None:
    """A works tender's 流标 is a 517 row; a procurement tender's 终止公告 is a 552 更正事项
    row instead (517's project code must match a 501 row, which procurement projects never
    have)."""
    failed = stages.failed(tmp_path)
    tw = stages.world
    other = gp_world(tw)
    termination.tender_terminate(
        actor=tw.world.tenderer, tender=other.tender, reason="采购需求发生重大变化"
    )
    integrate()
    rows = {r.record_id: r for r in _rows("517")}
    _check("517", list(rows.values()))
    assert set(rows) == {f"failed-{failed.opening.pk}"}
    f = rows[f"failed-{failed.opening.pk}"]
    assert f.row["EXCEPITON_TYPE"] == "1"
    assert f.row["BID_SECTION_CODE"] == failed.section.code
    assert f.row["EXCEPITON_NAME"].endswith("（流标）")
    assert f.published_at is not None
    corrections = {r.record_id: r for r in _rows("552")}
    _check("552", list(corrections.values()))
    gp = corrections[f"terminated-{other.tender.pk}"]
    assert gp.row["TERMINATION_BULLETIN_TITLE"].endswith("（终止公告）")
    assert len(gp.row["TERMINATION_BULLETIN_TITLE"]) <= 50
    assert "采购需求发生重大变化" in gp.row["TERMINATION_BULLETIN_CONTENT"]
    assert gp.row["IS_POSTPONE"] == "0"
    assert gp.published_at is not None
    report = quality.report()
    t517 = next(x for x in report["tables"] if x["code"] == "517")
    assert t517["rows"] == 1
    assert t517["complete"] == 1
    assert t517["timeliness"]["measured"] == 1


@pytest.mark.django_db
def test_517_row_for_a_terminated_works_tender(stages: Any) -> None:
    works = stages.announced()
    termination.tender_terminate(
        actor=stages.world.world.tenderer, tender=works, reason="建设规模调整"
    )
    integrate()
    [t] = _rows("517")
    _check("517", [t])
    assert t.record_id == f"terminated-{works.pk}"
    assert t.row["EXCEPITON_TYPE"] == "3"  # announcement withdrawn before any opening
    assert "建设规模调整" in t.row["EXCEPITON_INFOR"]
    works.refresh_from_db()
    assert t.row["APPROVAL_TIME"] == tables.dt14(works.terminated_at)
    assert t.published_at is not None
    assert not [r for r in _rows("552") if r.record_id.startswith("terminated-")]


@pytest.mark.django_db
def test_terminated_tender_is_cancelled_in_ocds(
    stages: Any, tmp_path: Path, ocds_validators: Any
) -> None:
    tender = stages.announced()
    termination.tender_terminate(
        actor=stages.world.world.tenderer, tender=tender, reason="项目取消"
    )
    ctx = ocds.context_for(tender.section)
    releases = ocds.releases(ctx)
    package = ocds.release_package([ctx], "https://example.org/x")
    records = ocds.record_package([ctx], "https://example.org/x")
    for name, body in (("release_package", package), ("record_package", records)):
        assert list(ocds_validators[name].iter_errors(body)) == [], name
    for release in releases:
        assert list(ocds_validators["release"].iter_errors(release)) == []
    last = releases[-1]
    assert last["id"].endswith("-termination")
    assert last["tag"] == ["tenderCancellation"]
    assert last["tender"]["status"] == "cancelled"
    assert last["tender"]["documents"][0]["documentType"] == "cancellationDetails"
    compiled = records["records"][0]["compiledRelease"]
    assert compiled["tender"]["status"] == "cancelled"
    # the earlier releases still say what was true on their dates
    assert next(r for r in releases if r["id"].endswith("-tender"))["tender"]["status"] == "active"


@pytest.mark.django_db
def test_termination_is_a_feed_event(stages: Any) -> None:
    from ggzy.opendata import feed

    tender = stages.announced()
    termination.tender_terminate(
        actor=stages.world.world.tenderer, tender=tender, reason="项目取消"
    )
    integrate()
    items = feed.read(0, 500).items
    [item] = [i for i in items if i["event_type"] == "tendering:tender:terminated"]
    assert item["ocid"] == ocds.ocid_for(tender.section.unified_deal_code)
    assert item["tables"] == ["517", "552"]


@pytest.mark.django_db(transaction=True)
def test_tables_over_http(live_server: Any, gw: Any, api_as: Any) -> None:
    termination.tender_terminate(actor=gw.world.tenderer, tender=gw.tender, reason="项目取消")
    api = api_as("regulator")
    for code in ("550", "551", "552"):  # the 终止公告 is a 552 row
        r = api.get(f"/opendata/tables/{code}")
        assert r.status_code == 200, (code, r.text)
        assert r.json()["rows"], code
    r = api.get("/opendata/tables/517")  # works tenders only
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == []
    assert api_as("bidder").get("/opendata/tables/550").status_code == 403
