"""National data-spec exports: field names and rules from the bundled spec, violations of
mandatory flags and lengths reported (or withheld in strict mode), JSON and CSV, and who may
read them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from tests.opendata.conftest import integrate

from ggzy.opendata import dataspec, tables, works
from ggzy.projects.models import Project

pytestmark = pytest.mark.django_db

SPEC_DIR = Path(__file__).resolve().parent / "data" / "data-spec"  # copy of shared/data


def test_bundled_spec_is_the_parsed_field_lists():
    assert SPEC_DIR.exists(), f"data spec field lists missing at {SPEC_DIR}"
    bundle = dataspec.build_bundle(
        {
            "v3": (SPEC_DIR / "v3-fields.txt").read_text(encoding="utf-8"),
            "v4": (SPEC_DIR / "v4-fields.txt").read_text(encoding="utf-8"),
        }
    )
    assert dataspec.BUNDLED.read_text(encoding="utf-8") == dataspec.dump_bundle(bundle)


def test_parser_reads_flags_lengths_and_validators():
    spec = dataspec.load("v3")["502"]
    f = {x.name: x for x in spec.fields}
    assert f["BID_SECTION_CODE"].mandatory
    assert f["BID_SECTION_CODE"].length == 23
    assert f["BID_SECTION_CODE"].unique
    assert f["BID_SECTION_CODE"].immutable
    assert f["CONTRACT_RECKON_PRICE"].integer_figures == 14
    assert f["CONTRACT_RECKON_PRICE"].decimal_figures == 6
    assert f["PRICE_UNIT"].enum == "PRICE_UNIT"
    assert f["BEGIN_DATE"].date_format == "yyyyMMdd"
    assert not f["BEGIN_DATE"].mandatory
    assert f["CREATE_TIME"].label == "标段(包)建立时间"  # ASCII parentheses inside the label
    assert dataspec.load("v4")["506"].field_names[-1] == "TENDERER_PERSON"


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("BID_SECTION_CODE", "", "mandatory"),
        ("BID_SECTION_CODE", "E1234", "length"),
        ("BID_SECTION_NAME", "段" * 501, "max_length"),
        ("CREATE_TIME", "2026-11-27 10:00", "date"),
        ("CREATE_TIME", "20261331100000", "date"),
        ("PRICE_UNIT", "2", "enum"),
        ("CONTRACT_RECKON_PRICE", "1.1234567", "number"),
        ("CONTRACT_RECKON_PRICE", "123456789012345", "number"),
        ("REGION_CODE", "62040X", "area"),
    ],
)
def test_each_rule_is_enforced(field, value, kind):
    spec = next(f for f in dataspec.load("v3")["502"].fields if f.name == field)
    assert [i.kind for i in dataspec.check_value(spec, value)] == [kind]


def test_valid_values_pass():
    fields = {f.name: f for f in dataspec.load("v3")["502"].fields}
    assert dataspec.check_value(fields["CONTRACT_RECKON_PRICE"], "30000000") == []
    assert dataspec.check_value(fields["CONTRACT_RECKON_PRICE"], "0.000001") == []
    assert dataspec.check_value(fields["CREATE_TIME"], "20261127235959") == []
    assert dataspec.check_value(fields["BEGIN_DATE"], "") == []


def test_section_export_uses_spec_names_and_the_unified_deal_code(tw):
    export = tables.export_table("502")
    [row] = export.rows
    assert list(row.row) == dataspec.load("v3")["502"].field_names
    assert row.row["BID_SECTION_CODE"] == tw.section.code
    assert row.row["UNIFIED_DEAL_CODE"] == tw.section.unified_deal_code
    assert len(row.row["UNIFIED_DEAL_CODE"]) == 40
    assert row.row["CONTRACT_RECKON_PRICE"] == "30000000"
    assert row.row["PRICE_UNIT"] == "0"
    assert len(row.row["CREATE_TIME"]) == 14
    # the fixture section has no content, classification or qualification: flagged
    kinds = {(i.field, i.kind) for i in row.issues}
    assert ("BID_SECTION_CONTENT", "mandatory") in kinds
    assert ("TENDER_PROJECT_CLASSIFY_CODE", "mandatory") in kinds


def test_project_violations_are_flagged_and_strict_mode_withholds(tw):
    project = tw.section.tender_project.project
    # a value longer than the spec allows (the model allows 2000; the spec 200)
    Project.objects.filter(pk=project.pk).update(address="路" * 201)
    flagged = tables.export_table("500")
    [row] = flagged.rows
    kinds = {i.field: i.kind for i in row.issues}
    assert kinds["ADDRESS"] == "max_length"
    assert kinds["FUND_SOURCE"] == "mandatory"
    assert flagged.as_json()["flagged"] == 1
    strict = tables.export_table("500", strict=True)
    assert strict.rows == []
    assert [r.record_id for r in strict.rejected] == [str(project.pk)]


def test_announcement_opening_and_fingerprint_tables(stages, tmp_path):
    tender = stages.opened(tmp_path)
    integrate()
    [ann] = tables.export_table("503").rows
    assert ann.row["NOTICE_NAME"] == tender.title
    assert ann.row["UNIFIED_DEAL_CODES"] == tender.section.unified_deal_code
    assert ann.row["IS_POSTPONE"] == "0"
    assert ann.published_at is not None  # its ledger entry is in the log
    assert {i.field for i in ann.issues} >= {"SYNDICATED_FLAG", "BULLETIN_DUTY"}
    [rec] = tables.export_table("506").rows
    assert "28800000" in rec.row["BID_OPENING_CONTENT"]
    assert rec.row["BID_OPENING_ADDRESS"] == tender.opening_place
    fps = tables.export_table("519").rows
    assert len(fps) == 3
    bid = tender.bids.order_by("received_at").first()
    first = next(r for r in fps if r.record_id == str(bid.pk))
    import hashlib

    with bid.envelope.open("rb") as fh:
        assert first.row["BID_DOCUMENT_MD5"] == hashlib.md5(fh.read()).hexdigest()  # noqa: S324
    assert first.row["BID_DOCUMENT_SIDE"] == str(bid.size)
    # the test bids carry no machine fingerprint: the mandatory hardware fields are flagged
    assert {"CPU_ID", "MAC_ADDRESS"} <= {i.field for i in first.issues}


def test_fingerprint_fields_map_from_the_bidkit_record():
    values = works.fingerprint_values(
        {
            "format": "ggzy-bid-fingerprint",
            "fields": {"cpu_id": ["a" * 64], "mac_address": ["b", "c"]},
        }
    )
    assert values["CPU_ID"] == "a" * 64
    assert values["MAC_ADDRESS"] == "b;c"
    assert values["NET_ID"] == ""


def test_fingerprints_stay_hidden_before_the_opening(stages, tmp_path):
    from tests.opendata.conftest import Bidder
    from tests.tendering.helpers import package

    tw = stages.world
    tw.publish()
    Bidder(tw, tw.world.bidder, tw.world.bidder_org, tw.bidder_signing).submit(
        package(tmp_path, "early", "100")
    )
    assert tables.export_table("519").rows == []


def _csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("bidder", 403), ("tenderer", 403), ("regulator", 200), ("staff", 200)],
)
def test_table_export_permissions(tw, client, role, status):
    user = tw.world.user(role)
    if user is not None:
        client.force_login(user)
    r = client.get("/api/v1/opendata/tables/502")
    assert r.status_code == status
    if status != 200:
        assert r.json()["code"] in ("not_authenticated", "permission_denied")


def test_table_export_csv_and_errors(tw, client):
    client.force_login(tw.world.regulator)
    r = client.get("/api/v1/opendata/tables/502?format=csv")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    rows = _csv_rows(r.content)
    assert rows[0] == [*dataspec.load("v3")["502"].field_names, "DATA_QUALITY_ISSUES"]
    assert rows[1][1] == tw.section.code
    assert "BID_SECTION_CONTENT:mandatory" in rows[1][-1]
    assert r["X-Data-Quality-Flagged"] == "1"
    r = client.get("/api/v1/opendata/tables/502?strict=true")
    assert r.json()["rows"] == []
    assert len(r.json()["rejected"]) == 1
    r = client.get("/api/v1/opendata/tables/999")
    assert (r.status_code, r.json()["code"]) == (404, "opendata_table_not_found")
    r = client.get("/api/v1/opendata/tables/502?format=xml")
    assert (r.status_code, r.json()["code"]) == (400, "validation_error")
    r = client.get("/api/v1/opendata/tables/502?since=yesterday")
    assert (r.status_code, r.json()["code"]) == (400, "validation_error")
    r = client.get("/api/v1/opendata/tables/502?since=0001-01-01T00:00:00%2B08:00")
    assert (r.status_code, r.json()["code"]) == (400, "validation_error")  # not an overflow 500
    r = client.get("/api/v1/opendata/tables")
    assert [t["code"] for t in r.json()["tables"]][:3] == ["500", "501", "502"]


def test_document_and_clarification_rows(stages):
    tender = stages.announced()
    integrate()
    rows = tables.export_table("504").rows
    assert [r.record_id.split("-")[0] for r in rows] == ["tender", "clarification"]
    first, clar = rows
    c = tender.clarifications.get()
    assert first.row["DOC_NAME"] == "招标文件.pdf"
    assert first.row["BID_DOC_REFER_END_TIME"] == tables.dt14(c.old_deadline)
    assert clar.row["IS_POSTPONE"] == "1"
    assert clar.row["POST_OPEN_TIME"] == tables.dt14(c.new_deadline)
    assert "1200 立方米" in clar.row["CLARIFY_CONTENT"]
    assert clar.row["CONTROL_PRICE"] == "29500000"
    assert first.published_at is not None
    assert clar.published_at is not None


def test_tender_list_rows_after_opening(stages, tmp_path):
    tender = stages.opened(tmp_path)
    integrate()
    rows = tables.export_table("507").rows
    assert sorted(r.row["BID_PRICE"] for r in rows) == ["28800000", "28800001", "28800002"]
    assert {r.row["IS_COMMIT_MARGIN"] for r in rows} == {"0"}
    assert {r.row["UNIFIED_DEAL_CODE"] for r in rows} == {tender.section.unified_deal_code}
    assert all(r.published_at is not None for r in rows)
    assert all(("IS_LOST", "mandatory") in {(i.field, i.kind) for i in r.issues} for r in rows)


def test_a_wrong_unified_deal_code_check_character_is_flagged(tw):
    from ggzy.projects.models import Section

    code = tw.section.unified_deal_code
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    Section.objects.filter(pk=tw.section.pk).update(unified_deal_code=wrong)
    [row] = tables.export_table("502").rows
    assert ("UNIFIED_DEAL_CODE", "check") in {(i.field, i.kind) for i in row.issues}
    Section.objects.filter(pk=tw.section.pk).update(unified_deal_code=code)
    [row] = tables.export_table("502").rows
    assert "UNIFIED_DEAL_CODE" not in {i.field for i in row.issues}
