"""Projects API over real HTTP (live server): register, read, tender projects, sections,
import; every refusal changes nothing."""

import json

import pytest
from tests.factories import uscc
from tests.projects.helpers import record, state

from ggzy.ledger.models import Entry
from ggzy.projects import services
from ggzy.projects.models import Project

ROLES = ["anonymous", "public", "tenderer", "agency", "bidder", "expert", "regulator", "staff"]


def _body(world, **overrides):
    body = {
        "name": "白银市城区供水管网改造工程",
        "region_code": "620402",
        "legal_person_uscc": world.tenderer_org.uscc,
        "address": "白银市白银区",
        "industries_type": "E48",
        "fund_source": "专项债券",
        "project_scale": "新建供水管网 12 公里",
        "contactor": "赵工",
        "contact_information": "0943-1234567",
        "approval_name": "关于供水管网改造工程初步设计的批复",
        "approval_number": "白发改〔2026〕7号",
        "approval_authority": "白银市发展和改革委员会",
        "approval_date": "2026-03-02",
        "budget": "18000000.25",
        "invest_project_code": "2026-620402-46-01-000077",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def _project(world, actor=None, legal_person=None):
    return services.project_register(
        actor=actor or world.staff,
        centre=world.centre,
        name="白银市体育馆维修工程",
        region_code="620402",
        legal_person=legal_person or world.tenderer_org,
    )


def test_tenderer_registers_and_reads_its_project(api_as, world):
    client = api_as("tenderer")
    entries = Entry.objects.count()
    r = client.post("/projects", json=_body(world))
    assert r.status_code == 201, r.text
    body = r.json()
    assert len(body["code"]) == 17
    assert body["legal_person"] == {
        "uscc": world.tenderer_org.uscc,
        "name": world.tenderer_org.name,
    }
    assert (body["centre_code"], body["source"], body["tenders"]) == ("620400", "manual", [])
    assert body["approval_date"] == "2026-03-02"
    assert body["budget"] == "18000000.250000"
    assert Entry.objects.count() == entries + 1
    assert client.get(f"/projects/{body['code']}").json() == body
    listed = client.get("/projects", params={"q": "供水"}).json()
    assert [p["code"] for p in listed["results"]] == [body["code"]]


BAD_REGISTRATIONS = [
    ({"region_code": "999"}, 400, "region_code_invalid", "region_code"),
    ({"legal_person_uscc": "91110000600037341M"}, 400, "uscc_invalid", "legal_person_uscc"),
    ({"legal_person_uscc": "UNREGISTERED"}, 400, "uscc_invalid", "legal_person_uscc"),
    ({"address": None}, 422, "validation_error", None),
    ({"industries_type": "48"}, 422, "validation_error", None),
    ({"budget": "1.1234567"}, 422, "validation_error", None),
    ({"centre_code": "nope"}, 404, "not_found", "centre_code"),
]


def test_bad_registrations_are_4xx_and_change_nothing(api_as, world):
    client = api_as("tenderer")
    before = state()
    for overrides, status, code, field in BAD_REGISTRATIONS:
        r = client.post("/projects", json=_body(world, **overrides))
        assert r.status_code == status, (overrides, r.text)
        assert (r.json()["code"], r.json().get("field")) == (code, field), overrides
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["message"])
    assert state() == before


def test_unregistered_legal_person_is_404_on_that_field(api_as, world):
    r = api_as("staff").post("/projects", json=_body(world, legal_person_uscc=uscc()))
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (
        404,
        "entity_not_found",
        "legal_person_uscc",
    )


@pytest.mark.parametrize("role", ROLES)
def test_register_and_read_by_role(role, api_as, world):
    client = api_as(role)
    mine = _project(world)  # the tenderer's organisation's project
    other = _project(world, legal_person=world.bidder_org)
    before = state()
    r = client.post("/projects", json=_body(world))
    allowed = {"tenderer", "agency", "staff"}
    expected = 201 if role in allowed else 401 if role == "anonymous" else 403
    assert r.status_code == expected, (role, r.text)
    if expected != 201:
        assert state() == before
    listing = client.get("/projects")
    detail = client.get(f"/projects/{mine.code}")
    other_detail = client.get(f"/projects/{other.code}")
    if role == "anonymous":
        assert (listing.status_code, detail.status_code) == (401, 401)
    elif role in {"public", "bidder", "expert"}:
        assert (listing.status_code, detail.status_code) == (403, 403)
        assert detail.json()["code"] == "permission_denied"
    elif role in {"staff", "regulator"}:
        assert listing.json()["count"] == Project.objects.count()
        assert (detail.status_code, other_detail.status_code) == (200, 200)
    elif role == "tenderer":
        codes = {p["code"] for p in listing.json()["results"]}
        assert mine.code in codes
        assert other.code not in codes
        assert (detail.status_code, other_detail.status_code) == (200, 404)
        assert other_detail.json()["code"] == "project_not_found"
    else:  # agency: only what it registered or was entrusted with
        assert (detail.status_code, other_detail.status_code) == (404, 404)


def test_list_filters_and_pages(api_as, world):
    for _ in range(3):
        _project(world)
    _project(world, legal_person=world.bidder_org)
    client = api_as("staff")
    r = client.get("/projects", params={"page_size": 2, "page": 2})
    assert (r.json()["count"], r.json()["page"], len(r.json()["results"])) == (4, 2, 2)
    assert client.get("/projects", params={"region_code": "620400"}).json()["count"] == 4
    assert client.get("/projects", params={"region_code": "110000"}).json()["count"] == 0
    assert client.get("/projects", params={"q": world.bidder_org.name}).json()["count"] == 1
    assert client.get("/projects", params={"page_size": 1000}).status_code == 422


def test_tender_project_and_section(api_as, world, rules_loaded):
    project = _project(world)
    client = api_as("tenderer")
    r = client.post(
        f"/projects/{project.code}/tenders",
        json={"name": "体育馆维修工程施工招标", "trade_type_code": "works.open"},
    )
    assert r.status_code == 201, r.text
    tender = r.json()
    assert tender["code"] == project.code + "001"
    assert tender["tenderer"]["uscc"] == world.tenderer_org.uscc
    assert (tender["tender_mode"], tender["organize_form"], tender["sections"]) == ("1", "1", [])
    r = client.post(
        f"/tenders/{tender['code']}/sections",
        json={
            "name": "一标段",
            "estimated_price": "5000000",
            "max_price": "4900000",
            "classify_codes": "A08",
            "limit_days": 180,
            "begin_date": "2027-03-01",
        },
    )
    assert r.status_code == 201, r.text
    section = r.json()
    assert section["code"] == tender["code"] + "001"
    assert len(section["unified_deal_code"]) == 40
    assert section["unified_deal_code"].startswith(f"A01-{world.tenderer_org.uscc}-")
    assert (section["limit_days"], section["begin_date"]) == (180, "2027-03-01")
    assert client.get(f"/sections/{section['code']}").json() == section
    assert client.get(f"/tenders/{tender['code']}").json()["sections"] == [
        {k: section[k] for k in ("code", "name", "unified_deal_code", "estimated_price")}
    ]
    detail = client.get(f"/projects/{project.code}").json()
    assert [t["code"] for t in detail["tenders"]] == [tender["code"]]


def test_tender_and_section_refusals_change_nothing(api_as, world, rules_loaded):
    project = _project(world)
    tender = services.tender_project_create(
        actor=world.staff,
        project=project,
        name="招标",
        trade_type_code="works.open",
        tenderer=world.tenderer_org,
    )
    cases = [
        # token clients without projects:project:write are refused by scope
        ("bidder", f"/projects/{project.code}/tenders", 403, "token_scope_denied"),
        ("regulator", f"/tenders/{tender.code}/sections", 403, "token_scope_denied"),
        ("agency", f"/tenders/{tender.code}/sections", 404, "tender_project_not_found"),
        ("anonymous", f"/tenders/{tender.code}/sections", 401, "not_authenticated"),
    ]
    body = {"name": "x", "trade_type_code": "works.open", "estimated_price": "100"}
    for role, path, status, code in cases:
        client = api_as(role)
        before = state()
        r = client.post(path, json=body)
        assert (r.status_code, r.json()["code"]) == (status, code), (role, path, r.text)
        assert state() == before
    tenderer = api_as("tenderer")
    before = state()
    r = tenderer.post(
        f"/projects/{project.code}/tenders", json={"name": "x", "trade_type_code": "no.such"}
    )
    assert (r.status_code, r.json()["code"]) == (404, "trade_type_not_found")
    r = tenderer.post(
        f"/projects/{project.code}/tenders",
        json={"name": "x", "trade_type_code": "works.open", "organize_form": "2"},
    )
    assert (r.status_code, r.json()["field"]) == (400, "agency")
    assert state() == before


def test_entrusted_agency_sees_and_manages_the_tender(api_as, world, rules_loaded):
    project = _project(world)
    tender = services.tender_project_create(
        actor=world.tenderer,
        project=project,
        name="委托招标",
        trade_type_code="works.open",
        tenderer=world.tenderer_org,
        organize_form="2",
        agency=world.agency_org,
    )
    client = api_as("agency")
    assert client.get(f"/projects/{project.code}").status_code == 200
    r = client.post(
        f"/tenders/{tender.code}/sections", json={"name": "二标段", "estimated_price": "800000.5"}
    )
    assert r.status_code == 201, r.text


def test_import_endpoint_for_staff(api_as, world):
    good = record(world.tenderer_org)
    bad = record(world.tenderer_org, APPROVAL_DATE="2025-02-30")
    # a JSON number with 20 significant digits, as the platform sends it
    payload = json.dumps({"records": [good, bad], "source": "tzxm"}, ensure_ascii=False)
    r = api_as("staff").post(
        "/projects/import",
        data=payload.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["ok"], body["imported"], body["rejected"]) == (False, 1, 1)
    assert body["records"][1]["errors"] == [
        {
            "field": "APPROVAL_DATE",
            "code": "import_date_invalid",
            "message": "日期格式应为 yyyyMMdd 或 yyyy-MM-dd",
        }
    ]
    project = Project.objects.get(code=body["records"][0]["project_code"])
    assert (project.source, project.source_ref) == ("import:tzxm", good["SOURCE_REF"])
    again = api_as("staff").post("/projects/import", json={"records": [good], "source": "tzxm"})
    assert again.json()["records"][0]["status"] == "skipped"


def test_import_money_numbers_keep_their_digits(api_as, world):
    raw = record(world.tenderer_org)
    raw.pop("BUDGET")
    text = json.dumps({"records": [raw]}, ensure_ascii=False)[:-3]
    text += ', "BUDGET": 98765432109876.543219}]}'
    r = api_as("staff").post(
        "/projects/import", data=text.encode(), headers={"Content-Type": "application/json"}
    )
    assert r.json()["imported"] == 1, r.text
    project = Project.objects.get(code=r.json()["records"][0]["project_code"])
    entry = Entry.objects.get(event_type="projects:project:registered", subject_id=str(project.pk))
    assert entry.payload["budget"] == "98765432109876.543219"


def test_import_endpoint_refuses_others(api_as, world):
    cases = [
        ("anonymous", 401, "not_authenticated"),
        ("bidder", 403, "token_scope_denied"),  # no projects:project:write in the token
        ("regulator", 403, "token_scope_denied"),
        ("tenderer", 403, "permission_denied"),  # may register projects, but not import
        ("agency", 403, "permission_denied"),
    ]
    clients = {role: api_as(role) for role, _status, _code in cases}
    before = state()
    for role, status, code in cases:
        r = clients[role].post("/projects/import", json={"records": [record(world.tenderer_org)]})
        assert (r.status_code, r.json()["code"]) == (status, code), role
    assert state() == before


def test_import_endpoint_shape_errors(api_as, world):
    client = api_as("staff")
    r = client.post(
        "/projects/import", json={"records": [record(world.tenderer_org)], "source": "Bad Name"}
    )
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (
        400,
        "validation_error",
        "source",
    )
    assert client.post("/projects/import", json={"records": "x"}).status_code == 422
    r = client.post("/projects/import", json={"records": [{}] * 1001})
    assert r.status_code == 422
