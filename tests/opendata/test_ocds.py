"""OCDS releases and records for tenders in every stage, validated against the official
1.1.5 schemas (offline), and the plug-in registry for later stages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.opendata.conftest import integrate

from ggzy.opendata import ocds, plugins
from ggzy.opendata.selectors import public_process

pytestmark = pytest.mark.django_db


def _errors(validator: Any, body: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(body)]


def _check_all(ctx: Any, validators: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    releases = ocds.release_package([ctx], "https://example.org/r")
    records = ocds.record_package([ctx], "https://example.org/r")
    assert _errors(validators["release_package"], releases) == []
    assert _errors(validators["record_package"], records) == []
    for release in releases["releases"]:
        assert _errors(validators["release"], release) == []
    assert _errors(validators["release"], records["records"][0]["compiledRelease"]) == []
    return releases, records


def test_schema_validator_is_real(ocds_validators):
    # the validator refuses a release without its required fields and with a closed-codelist typo
    bad = {"ocid": "x", "id": "1", "date": "2026-01-01T00:00:00Z", "tag": ["tendr"]}
    errors = _errors(ocds_validators["release"], bad)
    assert any("initiationType" in e for e in errors)
    assert any("tendr" in e for e in errors)


def test_draft_tender_has_only_planning_and_is_not_public(tw, ocds_validators):
    ctx = ocds.context_for(tw.section)
    releases, _records = _check_all(ctx, ocds_validators)
    assert [r["tag"] for r in releases["releases"]] == [["planning"]]
    planning = releases["releases"][0]
    assert planning["ocid"] == "ocds-ggzy-" + tw.section.unified_deal_code
    assert planning["planning"]["budget"]["amount"] == {"amount": 52000000.0, "currency": "CNY"}
    assert planning["planning"]["budget"]["projectID"] == tw.section.tender_project.project.code
    assert planning["planning"]["milestones"][0]["description"] == "白发改投资〔2026〕88号"
    assert planning["tender"]["status"] == "planning"
    assert not ocds.is_public(ctx)
    from ggzy.core.errors import DomainError, ErrorCode

    with pytest.raises(DomainError) as err:
        public_process(ctx.ocid)
    assert err.value.code == ErrorCode.OPENDATA_PROCESS_NOT_FOUND


def test_announced_tender_with_amendment_and_enquiry(stages, ocds_validators):
    tender = stages.announced()
    ctx = public_process(ocds.ocid_for(tender.section.unified_deal_code))
    releases, records = _check_all(ctx, ocds_validators)
    tags = [r["tag"][0] for r in releases["releases"]]
    assert tags == ["planning", "tender", "tenderAmendment", "tenderUpdate"]
    by_tag = {r["tag"][0]: r for r in releases["releases"]}
    first = by_tag["tender"]["tender"]
    amended = by_tag["tenderAmendment"]["tender"]
    clar = tender.clarifications.get()
    # the tender release keeps the original deadline; the amendment carries the new one
    assert first["tenderPeriod"]["endDate"] == ocds.iso(clar.old_deadline)
    assert amended["tenderPeriod"]["endDate"] == ocds.iso(clar.new_deadline)
    assert amended["amendments"][0]["amendsReleaseID"] == by_tag["tender"]["id"]
    docs = {d["documentType"]: d for d in first["documents"]}
    stored = tender.documents.get()
    assert docs["biddingDocuments"]["sha256"] == stored.sha256
    assert stored.sha256 in docs["biddingDocuments"]["description"]
    enquiry = by_tag["tenderUpdate"]["tender"]["enquiries"][0]
    assert enquiry["answer"] == "不包括在建工程，以竣工验收为准。"
    assert "author" not in enquiry  # the enquirer stays anonymous
    compiled = records["records"][0]["compiledRelease"]
    assert compiled["tag"] == ["compiled"]
    assert compiled["tender"]["tenderPeriod"]["endDate"] == ocds.iso(clar.new_deadline)
    assert compiled["tender"]["status"] == "active"
    assert len(compiled["tender"]["enquiries"]) == 1
    assert "bids" not in compiled  # nothing about bids before the opening


def test_opened_tender_publishes_bids_after_opening(stages, tmp_path, ocds_validators):
    tender = stages.opened(tmp_path)
    ctx = public_process(ocds.ocid_for(tender.section.unified_deal_code))
    releases, records = _check_all(ctx, ocds_validators)
    opening = next(r for r in releases["releases"] if r["id"].endswith("-opening"))
    stats = {s["measure"]: s["value"] for s in opening["bids"]["statistics"]}
    assert stats == {"bids": 3, "validBids": 3, "disqualifiedBids": 0}
    amounts = sorted(d["value"]["amount"] for d in opening["bids"]["details"])
    assert amounts == [28800000.0, 28800001.0, 28800002.0]
    assert {d["status"] for d in opening["bids"]["details"]} == {"valid"}
    compiled = records["records"][0]["compiledRelease"]
    roles = {p["name"]: p["roles"] for p in compiled["parties"]}
    assert roles["景泰路桥工程有限责任公司"] == ["tenderer"]
    assert compiled["tender"]["numberOfTenderers"] == 3


def test_failed_tender_is_unsuccessful_without_prices(stages, tmp_path, ocds_validators):
    tender = stages.failed(tmp_path)
    ctx = public_process(ocds.ocid_for(tender.section.unified_deal_code))
    _releases, records = _check_all(ctx, ocds_validators)
    compiled = records["records"][0]["compiledRelease"]
    assert compiled["tender"]["status"] == "unsuccessful"
    [detail] = compiled["bids"]["details"]
    assert "value" not in detail
    assert detail["status"] == "withdrawn"  # never decrypted


def test_a_plugged_in_award_stage_appears_and_validates(stages, tmp_path, ocds_validators):
    tender = stages.opened(tmp_path)
    previous = plugins.release_stages()

    def award(ctx: Any) -> list[dict[str, Any]]:
        if ctx.tender is None:
            return []
        bid = ctx.tender.bids.order_by("received_at").first()
        return [
            {
                "key": "award-1",
                "date": ctx.tender.bid_deadline + dt.timedelta(days=5),
                "tag": ["award"],
                "parties": [ctx.party(bid.bidder, "supplier")],
                "awards": [{"id": "1", "status": "pending", "suppliers": [ctx.ref(bid.bidder)]}],
            }
        ]

    plugins.register_release_builder("award", award, order=40)
    try:
        plugins.register_release_builder("award", lambda ctx: [], order=40, default=True)
        ctx = public_process(ocds.ocid_for(tender.section.unified_deal_code))
        releases, _ = _check_all(ctx, ocds_validators)
        assert releases["releases"][-1]["tag"] == ["award"]
        assert releases["releases"][-1]["awards"][0]["suppliers"][0]["name"]
    finally:
        for stage in previous:
            plugins.register_release_builder(stage.name, stage.build, order=stage.order)


def test_api_serves_packages_publicly_and_404s_unknown(stages, client, ocds_validators):
    tender = stages.announced()
    integrate()
    ocid = ocds.ocid_for(tender.section.unified_deal_code)
    r = client.get(f"/api/v1/opendata/releases/{ocid}")
    assert r.status_code == 200
    assert r.json()["releases"][0]["ocid"] == ocid
    r = client.get(f"/api/v1/opendata/records/{ocid}")
    assert r.status_code == 200
    assert r.json()["records"][0]["ocid"] == ocid
    r = client.get("/api/v1/opendata/processes")
    assert [i["ocid"] for i in r.json()["items"]] == [ocid]
    r = client.get("/api/v1/opendata/releases", {"limit": "1"})
    assert r.status_code == 200
    assert {x["ocid"] for x in r.json()["releases"]} == {ocid}
    assert _errors(ocds_validators["release_package"], r.json()) == []
    assert 'rel="next"' in r["Link"]
    r = client.get("/api/v1/opendata/releases", {"after": str(tender.section.pk)})
    assert r.json()["releases"] == []
    r = client.get("/api/v1/opendata/records/ocds-ggzy-NOPE")
    assert r.status_code == 404
    assert r.json()["code"] == "opendata_process_not_found"


def test_ocid_prefix_is_a_setting(tw, settings):
    settings.GGZY_OCDS_PREFIX = "ocds-abc123-"
    assert ocds.context_for(tw.section).ocid == "ocds-abc123-" + tw.section.unified_deal_code


def test_no_bid_details_while_decrypting(stages, tmp_path, ocds_validators):
    from tests.opendata.conftest import Bidder, third_bidder
    from tests.tendering.helpers import package

    from ggzy import clock
    from ggzy.tendering import opening

    tw = stages.world
    tender = tw.publish()
    bidders = [
        Bidder(tw, tw.world.bidder, tw.world.bidder_org, tw.bidder_signing),
        Bidder(tw, tw.other_bidder, tw.other_org, tw.other_signing),
        third_bidder(tw),
    ]
    for i, b in enumerate(bidders):
        b.submit(package(tmp_path, f"d{i}", "100"))
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=1)):
        opening.opening_start(actor=tw.world.staff, tender=tender)  # decrypting, no record yet
    ctx = public_process(ocds.ocid_for(tender.section.unified_deal_code))
    releases, records = _check_all(ctx, ocds_validators)
    assert all("bids" not in r for r in releases["releases"])
    assert "tenderers" not in records["records"][0]["compiledRelease"]["tender"]
