"""Project pages over real HTTP (live server, logged-in sessions)."""

import json

from tests.projects.helpers import csrf_of, login, record, state

from ggzy.projects import services
from ggzy.projects.models import Project, Section, TenderProject


def _form(world, **overrides):
    data = {
        "name": "白银市西区污水处理厂扩建工程",
        "legal_person_uscc": world.tenderer_org.uscc,
        "region_code": "620402",
        "invest_project_code": "2026-620402-46-01-000901",
        "address": "白银市西区",
        "industries_type": "N77",
        "fund_source": "中央预算内投资",
        "project_scale": "日处理能力 5 万吨",
        "budget": "68000000",
        "contactor": "钱工",
        "contact_information": "0943-7654321",
        "approval_name": "关于污水处理厂扩建工程可行性研究报告的批复",
        "approval_number": "白发改〔2026〕21号",
        "approval_authority": "白银市发展和改革委员会",
        "approval_date": "2026-05-20",
    }
    data.update(overrides)
    return data


def _post(session, url, data, files=None):
    page = session.get(url, timeout=30)
    assert page.status_code == 200, page.text[:300]
    return session.post(
        url,
        data={**data, "csrfmiddlewaretoken": csrf_of(page.text)},
        files=files,
        headers={"Referer": url},
        allow_redirects=False,
        timeout=30,
    )


LIST_PAGE = {
    "anonymous": 302,
    "public": 403,
    "bidder": 403,
    "expert": 403,
    "tenderer": 200,
    "agency": 200,
    "regulator": 200,
    "staff": 200,
}


def test_list_page_by_role(live_server, world, password):
    import requests

    for role, status in LIST_PAGE.items():
        anonymous = role == "anonymous"
        session = requests.Session() if anonymous else login(live_server.url, role, password)
        r = session.get(live_server.url + "/projects/", allow_redirects=False, timeout=30)
        assert r.status_code == status, (role, r.text[:300])
        if status == 200:
            assert "项目列表" in r.text
            assert ("项目进场登记" in r.text) == (role in {"tenderer", "agency", "staff"}), role
            assert ("一键获取" in r.text) == (role == "staff"), role
        if status == 302:
            assert "/accounts/login/" in r.headers["Location"]


def test_tenderer_registers_a_project_on_the_form(live_server, world, password):
    base = live_server.url
    session = login(base, "tenderer", password)
    before = state()
    r = _post(session, base + "/projects/new/", _form(world))
    assert r.status_code == 302, r.text[:500]
    project = Project.objects.get()
    assert r.headers["Location"] == f"/projects/{project.code}/"
    assert state()[0] == before[0] + 1
    assert state()[3] == before[3] + 1
    detail = session.get(base + r.headers["Location"], timeout=30)
    assert detail.status_code == 200
    assert project.code in detail.text
    assert "日处理能力 5 万吨" in detail.text
    assert project.industries_type == "N77"
    listing = session.get(base + "/projects/", params={"q": "污水"}, headers={"HX-Request": "true"})
    assert listing.status_code == 200
    assert "<html" not in listing.text  # htmx gets the partial
    assert project.code in listing.text


FORM_ERRORS = [
    ({"region_code": "000000"}, "行政区划代码无效"),
    ({"legal_person_uscc": "91110000600037341M"}, "统一社会信用代码无效"),
    ({"address": ""}, "这个字段是必填项"),
    ({"industries_type": "48"}, "应为门类字母加两位大类代码"),
]


def test_form_errors_are_shown_with_a_4xx(live_server, world, password):
    session = login(live_server.url, "tenderer", password)
    before = state()
    for overrides, message in FORM_ERRORS:
        r = _post(session, live_server.url + "/projects/new/", _form(world, **overrides))
        assert r.status_code == 400, overrides
        assert message in r.text, overrides
    assert state() == before


def test_bidder_cannot_open_the_register_form(live_server, world, password):
    session = login(live_server.url, "bidder", password)
    r = session.get(live_server.url + "/projects/new/", timeout=30)
    assert r.status_code == 403
    assert "permission_denied" in r.text


def test_tender_and_section_forms(live_server, world, password, rules_loaded):
    base = live_server.url
    project = services.project_register(
        actor=world.staff,
        centre=world.centre,
        name="白银市图书馆改造工程",
        region_code="620402",
        legal_person=world.tenderer_org,
    )
    session = login(base, "tenderer", password)
    r = _post(
        session,
        f"{base}/projects/{project.code}/tenders/new/",
        {
            "name": "图书馆改造工程施工招标",
            "trade_type_code": "works.open",
            "tenderer_uscc": world.tenderer_org.uscc,
            "tender_mode": "1",
            "organize_form": "2",
            "agency_uscc": "",
            "is_to_law": "on",
        },
    )
    assert r.status_code == 400  # 委托招标 without an agency
    assert "委托招标须指定招标代理机构" in r.text
    assert TenderProject.objects.count() == 0
    r = _post(
        session,
        f"{base}/projects/{project.code}/tenders/new/",
        {
            "name": "图书馆改造工程施工招标",
            "trade_type_code": "works.open",
            "tenderer_uscc": world.tenderer_org.uscc,
            "tender_mode": "1",
            "organize_form": "2",
            "agency_uscc": world.agency_org.uscc,
            "supervise_dept_code": world.department.code,
            "is_to_law": "on",
        },
    )
    assert r.status_code == 302, r.text[:500]
    tender = TenderProject.objects.get()
    assert (tender.agency, tender.supervise_dept) == (world.agency_org, world.department)
    # the entrusted agency adds the section
    agency = login(base, "agency", password)
    r = _post(
        agency,
        f"{base}/projects/tenders/{tender.code}/sections/new/",
        {"name": "一标段", "estimated_price": "2500000", "attempt": "1"},
    )
    assert r.status_code == 302, r.text[:500]
    section = Section.objects.get()
    page = agency.get(f"{base}/projects/{project.code}/", timeout=30)
    assert section.unified_deal_code in page.text
    # a bidder gets nothing
    bidder = login(base, "bidder", password)
    before = state()
    r = bidder.get(f"{base}/projects/tenders/{tender.code}/sections/new/", timeout=30)
    assert r.status_code == 403
    assert state() == before


def test_import_page_for_staff(live_server, world, password):
    base = live_server.url
    session = login(base, "staff", password)
    rows = [record(world.tenderer_org), record(world.tenderer_org, BUDGET="abc")]
    upload = json.dumps(rows, ensure_ascii=False).encode()
    r = _post(
        session,
        base + "/projects/import/",
        {"source": "tzxm"},
        files={"file": ("tzxm.json", upload, "application/json")},
    )
    assert r.status_code == 200, r.text[:500]
    assert "已导入" in r.text
    assert "import_money_invalid" in r.text
    assert Project.objects.filter(source="import:tzxm").count() == 1
    # all-or-nothing: the batch again, with a new good record, imports nothing
    rows.append(record(world.tenderer_org))
    before = state()
    r = _post(
        session,
        base + "/projects/import/",
        {"source": "tzxm", "all_or_nothing": "on"},
        files={"file": ("tzxm.json", json.dumps(rows, ensure_ascii=False).encode(), "")},
    )
    assert r.status_code == 200
    assert "本批未导入任何记录" in r.text
    assert "重复，已跳过" in r.text
    assert state() == before


def test_import_page_errors_and_refusals(live_server, world, password):
    base = live_server.url
    staff = login(base, "staff", password)
    r = _post(
        staff,
        base + "/projects/import/",
        {"source": "tzxm"},
        files={"file": ("x.json", b"{broken", "application/json")},
    )
    assert r.status_code == 400
    assert "import_source_invalid" in r.text
    tenderer = login(base, "tenderer", password)
    assert tenderer.get(base + "/projects/import/", timeout=30).status_code == 403
