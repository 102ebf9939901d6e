"""Evaluation → open data: a tender taken through evaluation, candidate publicity and award by
the real services, then the OCDS record (validated offline against the official 1.1.5
schemas), the data-spec tables 508/510/511/513 and the change feed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from tests.evaluation.test_services import _committee, _score_all, _to
from tests.opendata.conftest import integrate, ocds_validators  # noqa: F401  # fixture
from tests.opendata.test_ocds import _check_all

from ggzy import clock
from ggzy.evaluation import award, reports, services
from ggzy.evaluation.models import BidReview, EvaluationSession, Step
from ggzy.opendata import dataspec, feed, ocds, plugins, quality, tables
from ggzy.opendata.selectors import public_process

pytestmark = pytest.mark.django_db

EVALUATION_TABLES = ("508", "510", "511", "513")


def _rows(code: str) -> list[tables.ExportRow]:
    return tables.export_table(code).rows


def _kinds(row: tables.ExportRow) -> set[tuple[str, str]]:
    return {(i.field, i.kind) for i in row.issues}


def _ctx(o: Any) -> Any:
    return public_process(ocds.ocid_for(o.tender.section.unified_deal_code))


def _after_opening(o: Any, hours: int = 2) -> Any:
    """The evaluation runs after the opening (the fixture opened at the bid deadline)."""
    return clock.frozen(o.tender.bid_deadline + dt.timedelta(hours=hours))


def _signed(o: Any) -> tuple[EvaluationSession, list[Any]]:
    """Committee, scores, ranking and the report signed by every member."""
    with _after_opening(o):
        return _sign(o)


def _sign(o: Any) -> tuple[EvaluationSession, list[Any]]:
    staff = o.world.staff
    session, members = _committee(o)
    _to(session, staff, Step.QUALIFICATION, Step.PRELIMINARY, Step.DETAILED)
    _score_all(session, members)
    _to(session, staff, Step.PRICE, Step.TOTALS, Step.RANKING, Step.REPORT)
    session.refresh_from_db()
    for m in members:
        reports.report_sign(actor=m.user, session=session, report_sha256=session.report_sha256)
    session.refresh_from_db()
    assert session.step == Step.SIGNED
    return session, members


def _award(o: Any, session: EvaluationSession) -> EvaluationSession:
    with clock.frozen(session.publicity_until + dt.timedelta(minutes=1)):
        award.award_issue(actor=o.world.tenderer, session=session, base_url="http://testserver")
    session.refresh_from_db()
    return session


def test_evaluation_registers_its_plugins():
    assert plugins.table_exporters()["508"].rows.__module__ == "ggzy.evaluation.opendata"
    assert {s.name: s.build.__module__ for s in plugins.release_stages()}["award"] == (
        "ggzy.evaluation.opendata"
    )
    # the contract table is the contracts app's (it replaced the open-data hook)
    assert plugins.table_exporters()["512"].rows.__module__ == "ggzy.contracts.opendata"
    events = plugins.feed_events()
    assert events["evaluation:publicity:started"].tables == ("510", "511")
    assert events["evaluation:award:issued"].tables == ("508", "513")
    assert "evaluation:score:changed" not in events  # scores never reach the feed


def test_award_reaches_ocds_tables_and_feed(opened, ocds_validators, settings):  # noqa: F811
    settings.GGZY_OPENDATA_CODES = {}
    o = opened
    # before the evaluation starts: nothing of it anywhere
    for code in EVALUATION_TABLES:
        assert _rows(code) == [], code
    session, members = _signed(o)
    # the report is signed, but the committee list stays confidential until the award
    assert _rows("508") == []
    assert _rows("510") == []
    assert _rows("511") == []
    releases, _ = _check_all(_ctx(o), ocds_validators)
    assert not any(r["tag"][0].startswith("award") for r in releases["releases"])

    # ---- candidate publicity: pending awards, tables 510 and 511 -------------------------
    with _after_opening(o, 3):
        award.publicity_start(actor=o.world.tenderer, session=session)
    session.refresh_from_db()
    integrate()
    releases, records = _check_all(_ctx(o), ocds_validators)
    publicity = next(r for r in releases["releases"] if r["id"].endswith("-award-publicity"))
    assert publicity["tag"] == ["award"]
    assert publicity["date"] == ocds.iso(session.publicity_from)
    assert {a["status"] for a in publicity["awards"]} == {"pending"}
    candidates = list(
        BidReview.objects.filter(session=session, candidate_rank__isnull=False)
        .select_related("bidder")
        .order_by("candidate_rank")
    )
    assert [a["suppliers"][0]["name"] for a in publicity["awards"]] == [
        r.bidder.name for r in candidates
    ]
    assert [a["value"]["amount"] for a in publicity["awards"]] == [
        float(r.price) for r in candidates
    ]
    assert publicity["awards"][0]["documents"][0]["documentType"] == "awardNotice"
    assert _rows("508") == []  # still confidential during the publicity
    cand = _rows("510")
    assert [r.row["WIN_CANDIDATE_ORDER"] for r in cand] == ["1", "2", "3"]
    assert cand[0].row["WIN_CANDIDATE_CODE"] == candidates[0].bidder.uscc
    assert Decimal(cand[0].row["BID_PRICE"]) == candidates[0].price
    assert cand[0].row["PRICE_UINT"] == "0"
    [pub] = _rows("511")
    assert pub.row["PUBLICITY_START_TIME"] == tables.dt14(session.publicity_from)
    assert pub.row["PUBLICITY_END_TIME"] == tables.dt14(session.publicity_until)
    assert candidates[0].bidder.name in pub.row["PUBLICITY_CONTENT"]
    assert "/notices/" in pub.row["URL"]
    assert pub.published_at is not None  # the publicity entry is in the log

    # ---- award ---------------------------------------------------------------------------
    session = _award(o, session)
    winner = BidReview.objects.select_related("bidder").get(bid=session.winner)
    assert winner.pk == candidates[0].pk
    integrate()
    releases, records = _check_all(_ctx(o), ocds_validators)
    last = releases["releases"][-1]
    assert last["id"].endswith("-award")
    assert last["tag"] == ["awardUpdate"]
    assert last["date"] == ocds.iso(session.awarded_at)
    compiled = records["records"][0]["compiledRelease"]
    assert compiled["tender"]["status"] == "complete"
    by_status = {a["status"]: a for a in compiled["awards"]}
    active = by_status["active"]
    assert [a["status"] for a in compiled["awards"]].count("active") == 1
    assert {a["status"] for a in compiled["awards"]} == {"active", "unsuccessful"}
    assert active["value"] == {"amount": float(winner.price), "currency": "CNY"}
    assert active["date"] == ocds.iso(session.awarded_at)
    supplier_id = f"{ocds.PARTY_SCHEME}-{winner.bidder.uscc}"
    assert active["suppliers"] == [{"id": supplier_id, "name": winner.bidder.name}]
    party = next(p for p in compiled["parties"] if p["id"] == supplier_id)
    assert party["roles"] == ["tenderer", "supplier"]
    assert party["identifier"] == {
        "scheme": "CN-SAMR",
        "id": winner.bidder.uscc,
        "legalName": winner.bidder.name,
    }
    assert sum("supplier" in p["roles"] for p in compiled["parties"]) == 1
    # the committee only as counts: no expert name anywhere in OCDS
    text = str(records)
    assert "评标委员会 5 人（评标专家 4 人）" in active["description"]
    for m in members:
        assert m.user.person.name not in text

    # ---- data-spec tables -------------------------------------------------------------------
    [res] = _rows("513")
    assert res.row["WIN_BIDDER_NAME"] == winner.bidder.name
    assert res.row["WIN_BIDDER_CODE"] == winner.bidder.uscc
    assert Decimal(res.row["BID_AMOUNT"]) == winner.price
    assert res.row["NOTICE_SEND_TIME"] == tables.dt14(session.awarded_at)
    assert res.row["UNIFIED_DEAL_CODE"] == o.tender.section.unified_deal_code
    assert res.published_at is not None
    experts = _rows("508")
    assert len(experts) == 5  # four experts and the tenderer's representative
    assert sorted(r.row["IS_CHAIR_MAN"] for r in experts) == ["0", "0", "0", "0", "1"]
    assert {r.row["EXPERT_NAME"] for r in experts} == {m.user.person.name for m in members}
    assert {r.row["ID_CARD_TYPE"] for r in experts} == {"01"}
    # what the platform does not capture (or has not configured) is flagged, not invented
    unavoidable = {
        "508": {"EXPERT_TYPE", "ID_CARD"},
        "510": {"BIDDER_CODE_TYPE", "BIDDER_ROLE", "QUALITY", "WIN_CANDIDATE_QUALIFICATION"},
        "511": {"PUBLICITY_TYPE", "BULLETIN_DUTY", "EXAMINER_NAME"},
        "513": {"BULLETIN_TYPE", "BIDDER_CODE_TYPE", "BIDDER_ROLE", "BULLETIN_DUTY"}
        | {"EXAMINER_NAME"}
        # 自行招标 (no agency): the spec still marks the agency code mandatory
        | (set() if o.tender.section.tender_project.agency else {"TENDER_AGENCY_CODE"}),
    }
    for code in EVALUATION_TABLES:
        spec = dataspec.load(tables.spec_version())[code]
        for r in _rows(code):
            assert list(r.row) == spec.field_names
            assert {k for k in _kinds(r) if k[1] != "mandatory"} == set(), (code, r.issues)
            assert {f for f, _k in _kinds(r)} <= unavoidable[code], (code, r.issues)
    # configured code sets fill those fields
    settings.GGZY_OPENDATA_CODES = {
        "SUBJECT_CODE_TYPE_USCC": "1",
        "ROLE_BIDDER": "03",
        "BULLETIN_TYPE_WIN_RESULT": "4",
        "EXPERT_TYPE_EXPERT": "1",
        "EXPERT_TYPE_REPRESENTATIVE": "2",
        "PUBLICITY_TYPE_CANDIDATES": "1",
    }
    [res] = _rows("513")
    assert {f for f, _k in _kinds(res)} <= {"BULLETIN_DUTY", "EXAMINER_NAME", "TENDER_AGENCY_CODE"}
    assert {f for f, _k in _kinds(res)} >= {"BULLETIN_DUTY", "EXAMINER_NAME"}
    assert {f for r in _rows("508") for f, _k in _kinds(r)} == {"ID_CARD"}
    # the quality report measures them (timeliness from the integrated ledger entries)
    report = quality.report()
    for code in EVALUATION_TABLES:
        table = next(t for t in report["tables"] if t["code"] == code)
        assert table["rows"] >= 1, code
        assert table["timeliness"], code

    # ---- feed ------------------------------------------------------------------------------
    items, _cursor = [], 0
    while True:
        page = feed.read(_cursor, 100)
        items.extend(page.items)
        _cursor = page.next_cursor
        if not page.has_more:
            break
    ocid = ocds.ocid_for(o.tender.section.unified_deal_code)
    evaluation = [i for i in items if i["event_type"].startswith("evaluation:")]
    assert [i["event_type"] for i in evaluation] == [
        "evaluation:publicity:started",
        "evaluation:award:issued",
    ]
    issued = evaluation[-1]
    assert issued["ocid"] == ocid
    assert issued["tables"] == ["508", "513"]
    assert issued["record"] == {"type": "evaluation.evaluationsession", "id": str(session.pk)}
    assert issued["release_url"].endswith(f"/api/v1/opendata/releases/{ocid}")
    assert evaluation[0]["tables"] == ["510", "511"]


def test_rejecting_all_bids_makes_the_tender_unsuccessful(opened, ocds_validators):  # noqa: F811
    o = opened
    staff = o.world.staff
    with _after_opening(o):
        session, members = _committee(o)
        _to(session, staff, Step.QUALIFICATION)
        assert _rows("508") == []
        services.session_fail(actor=staff, session=session, reason="所有投标均不满足资格条件")
    integrate()
    _releases, records = _check_all(_ctx(o), ocds_validators)
    compiled = records["records"][0]["compiledRelease"]
    assert compiled["tender"]["status"] == "unsuccessful"
    assert "awards" not in compiled
    for code in ("510", "511", "513"):
        assert _rows(code) == [], code
    experts = _rows("508")  # the evaluation is over without a result: the record is due
    assert len(experts) == len(members)
    assert all(r.published_at is not None for r in experts)
    page = feed.read(0, 1000)
    [failed] = [i for i in page.items if i["event_type"].startswith("evaluation:")]
    assert failed["event_type"] == "evaluation:session:failed"
    assert failed["tables"] == ["508"]
    assert failed["ocid"] == ocds.ocid_for(o.tender.section.unified_deal_code)


def test_since_filters_the_evaluation_tables(opened):
    o = opened
    session, _members = _signed(o)
    with _after_opening(o, 3):
        award.publicity_start(actor=o.world.tenderer, session=session)
    session.refresh_from_db()
    session = _award(o, session)
    later = session.awarded_at + dt.timedelta(seconds=1)
    for code in EVALUATION_TABLES:
        assert list(tables.checked_rows(code, since=later)) == [], code
    assert len(list(tables.checked_rows("513", since=session.awarded_at))) == 1
    assert len(list(tables.checked_rows("511", since=session.publicity_from))) == 1
