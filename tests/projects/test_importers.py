"""一键获取 from files and in-memory records: mapping, per-field rejections, duplicates,
all-or-nothing, dry runs and refusals by role."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from tests.factories import uscc
from tests.projects.helpers import record, state

from ggzy import clock
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.ledger.models import Entry
from ggzy.projects import importers, services
from ggzy.projects.importers import FileSource, RecordsSource, Status, run_import
from ggzy.projects.models import Project
from ggzy.registry import services as registry

pytestmark = pytest.mark.django_db


_STAFF = object()


def _run(world, records, *, actor=_STAFF, name="tzxm", **kwargs):
    return run_import(
        RecordsSource(records, name=name),
        actor=world.staff if actor is _STAFF else actor,
        centre=world.centre,
        **kwargs,
    )


def _errors(result):
    return [(e.field, e.code) for e in result.errors]


def test_json_file_happy_path_registers_through_the_service(world, tmp_path):
    records = [record(world.tenderer_org), record(world.tenderer_org, BUDGET=None)]
    path = tmp_path / "tzxm.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    entries = Entry.objects.count()

    report = run_import(FileSource(path, name="tzxm"), actor=world.staff, centre=world.centre)

    assert report.ok
    assert [r.status for r in report.records] == [Status.IMPORTED, Status.IMPORTED]
    first = Project.objects.get(code=report.records[0].project_code)
    assert len(first.code) == 17
    assert first.name == records[0]["PROJECT_NAME"]
    assert first.legal_person == world.tenderer_org
    assert first.centre == world.centre
    assert first.region_code == "620402"
    assert first.invest_project_code == records[0]["INVEST_PROJECT_CODE"]
    assert first.industries_type == "E48"
    assert first.approval_number == "白发改投资〔2025〕12号"
    assert first.approval_date == dt.date(2025, 3, 1)
    assert first.budget == Decimal("32000000.5")
    assert (first.source, first.source_ref) == ("import:tzxm", records[0]["SOURCE_REF"])
    assert first.created_by == world.staff
    assert Project.objects.get(code=report.records[1].project_code).budget is None
    new = Entry.objects.filter(pk__gt=0).order_by("-id")[:2]
    assert Entry.objects.count() == entries + 2
    assert {e.event_type for e in new} == {"projects:project:registered"}
    assert report.as_dict()["imported"] == 2


def test_json_object_with_records_keeps_every_money_digit(world, tmp_path):
    raw = record(world.tenderer_org)
    raw.pop("BUDGET")
    text = (
        json.dumps({"records": [raw]}, ensure_ascii=False)[:-3]
        + ', "BUDGET": 12345678901234.123456}]}'
    )
    path = tmp_path / "export.json"
    path.write_text(text, encoding="utf-8")

    report = run_import(FileSource(path), actor=world.staff, centre=world.centre)

    assert report.ok, report.as_dict()
    project = Project.objects.get(code=report.records[0].project_code)
    entry = Entry.objects.get(event_type="projects:project:registered", subject_id=str(project.pk))
    # a float would have rounded this; the service received (and the ledger holds) every digit
    assert entry.payload["budget"] == "12345678901234.123456"
    if connection.vendor == "postgresql":  # SQLite keeps DECIMAL as REAL (~15 digits)
        assert project.budget == Decimal("12345678901234.123456")


def test_csv_with_bom_chinese_headers_and_unknown_columns(world, tmp_path):
    org = world.tenderer_org
    header = (
        "来源记录号,项目名称,项目所在行政区域代码,项目类别关联代码,投资项目统一代码,项目地址,"
        "项目法人,项目法人统一社会信用代码,项目行业分类,资金来源,项目规模,联系人,联系方式,"
        "项目审批文件名称,审批文号,审批单位,审批日期,总投资,金额单位,备注,PLATFORM_CODE"
    )
    row = (
        f"CG-1,白银市第一中学教学楼建设项目,620402,1,2025-620402-47-01-000001,白银区北京路,"
        f"{org.name},{org.uscc},E47,财政资金,建筑面积 1.2 万平方米,李工,13800000000,"
        f"关于教学楼建设项目的批复,白发改〔2025〕3号,白银市发展和改革委员会,2025-02-28,"
        f'"1,200.5",1,首批,12620400MB0000000X'
    )
    path = tmp_path / "projects.csv"
    path.write_bytes(("\ufeff" + header + "\r\n" + row + "\r\n\r\n").encode("utf-8"))

    report = run_import(FileSource(path, name="gpms"), actor=world.staff, centre=world.centre)

    assert report.ok, report.as_dict()
    assert report.ignored_fields == ["备注"]  # PLATFORM_CODE is an envelope field
    assert len(report.records) == 1  # the blank line is not a record
    project = Project.objects.get(code=report.records[0].project_code)
    assert project.name == "白银市第一中学教学楼建设项目"
    assert project.budget == Decimal("12005000")  # 1,200.5 万元
    assert project.approval_date == dt.date(2025, 2, 28)
    assert project.source == "import:gpms"


def test_csv_saved_by_excel_as_gb18030_and_snake_case_keys(world, tmp_path):
    r = record(world.tenderer_org)
    keys = list(r)
    lines = [",".join(k.lower() for k in keys), ",".join(str(r[k]) for k in keys)]
    path = tmp_path / "excel.csv"
    path.write_bytes("\n".join(lines).encode("gb18030"))

    report = run_import(FileSource(path), actor=world.staff, centre=world.centre)

    assert report.ok, report.as_dict()
    assert Project.objects.get(code=report.records[0].project_code).name == r["PROJECT_NAME"]


FUTURE = (clock.now() + dt.timedelta(days=3)).strftime("%Y%m%d")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"PROJECT_NAME": None}, [("PROJECT_NAME", "import_field_required")]),
        ({"PROJECT_NAME": "  "}, [("PROJECT_NAME", "import_field_required")]),
        ({"PROJECT_NAME": "路" * 601}, [("PROJECT_NAME", "import_field_too_long")]),
        ({"ADDRESS": None}, [("ADDRESS", "import_field_required")]),
        ({"CONTACT_INFORMATION": "1" * 101}, [("CONTACT_INFORMATION", "import_field_too_long")]),
        ({"REGION_CODE": "62040"}, [("REGION_CODE", "region_code_invalid")]),
        ({"REGION_CODE": "062040"}, [("REGION_CODE", "region_code_invalid")]),
        ({"INDUSTRIES_TYPE": "48"}, [("INDUSTRIES_TYPE", "import_field_format")]),
        ({"INDUSTRIES_TYPE": "Z48"}, [("INDUSTRIES_TYPE", "import_field_format")]),
        ({"RELATE_CODE": "2"}, [("RELATE_CODE", "import_field_format")]),
        ({"CLASS_VER_CODE": "X"}, [("CLASS_VER_CODE", "import_field_format")]),
        ({"CREATE_TIME": "2025-03-01"}, [("CREATE_TIME", "import_date_invalid")]),
        (
            {"INVEST_PROJECT_CODE": None, "SOURCE_REF": "R-1"},
            [("INVEST_PROJECT_CODE", "import_field_required")],
        ),
        (
            {"INVEST_PROJECT_CODE": "2025-620402-48-01-00012"},
            [("INVEST_PROJECT_CODE", "import_field_format")],
        ),
        (
            {"INVEST_PROJECT_CODE": "2025_620402_48_01_000123"},
            [("INVEST_PROJECT_CODE", "import_field_format")],
        ),
        ({"LEGAL_PERSON_CODE": "91110000600037341M"}, [("LEGAL_PERSON_CODE", "uscc_invalid")]),
        ({"LEGAL_PERSON_CODE": None}, [("LEGAL_PERSON_CODE", "import_field_required")]),
        ({"APPROVAL_DATE": "2025-13-01"}, [("APPROVAL_DATE", "import_date_invalid")]),
        ({"APPROVAL_DATE": "01/03/2025"}, [("APPROVAL_DATE", "import_date_invalid")]),
        ({"APPROVAL_DATE": FUTURE}, [("APPROVAL_DATE", "import_date_invalid")]),
        ({"APPROVAL_NAME": None}, [("APPROVAL_NAME", "import_field_required")]),
        ({"APPROVAL_AUTHORITY": None}, [("APPROVAL_AUTHORITY", "import_field_required")]),
        (
            {"APPROVAL_RESULT": "不予核准：不符合规划"},
            [("APPROVAL_RESULT", "project_not_approved")],
        ),
        ({"BUDGET": "1e5"}, [("BUDGET", "import_money_invalid")]),
        ({"BUDGET": "123456789012345"}, [("BUDGET", "import_money_invalid")]),
        ({"BUDGET": "1.1234567"}, [("BUDGET", "import_money_invalid")]),
        ({"BUDGET": "0"}, [("BUDGET", "import_money_invalid")]),
        ({"BUDGET": "-5"}, [("BUDGET", "import_money_invalid")]),
        ({"BUDGET": "20000000000", "PRICE_UNIT": "1"}, [("BUDGET", "import_money_invalid")]),
        ({"PRICE_UNIT": "2"}, [("PRICE_UNIT", "import_field_format")]),
        ({"PROJECT_NAME": {"zh": "路"}}, [("PROJECT_NAME", "import_field_format")]),
        (
            {"SOURCE_REF": None, "INVEST_PROJECT_CODE": None, "RELATE_CODE": "0"},
            [("SOURCE_REF", "import_field_required")],
        ),
        ({"SOURCE_REF": "R" * 201}, [("SOURCE_REF", "import_field_too_long")]),
    ],
)
def test_each_bad_field_is_rejected_with_its_code_and_nothing_is_written(
    world, overrides, expected
):
    before = state()
    report = _run(world, [record(world.tenderer_org, **overrides)])
    [result] = report.records
    assert result.status == Status.REJECTED
    assert _errors(result) == expected
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e.message) for e in result.errors)
    assert not report.ok
    assert state() == before


def test_unregistered_or_inactive_legal_person_is_rejected(world):
    unknown = record(world.tenderer_org, LEGAL_PERSON_CODE=uscc())
    registry.organization_set_status(
        actor=world.staff, organization=world.bidder_org, status="suspended", reason="测试"
    )
    suspended = record(world.bidder_org)
    before = state()
    report = _run(world, [unknown, suspended])
    assert [_errors(r) for r in report.records] == [
        [("LEGAL_PERSON_CODE", "entity_not_found")],
        [("LEGAL_PERSON_CODE", "project_legal_person_inactive")],
    ]
    assert state() == before


def test_every_problem_of_a_record_is_listed_at_once(world):
    bad = record(world.tenderer_org, PROJECT_NAME=None, REGION_CODE="99", BUDGET="abc")
    [result] = _run(world, [bad]).records
    assert _errors(result) == [
        ("PROJECT_NAME", "import_field_required"),
        ("REGION_CODE", "region_code_invalid"),
        ("BUDGET", "import_money_invalid"),
    ]


def test_a_record_that_is_not_an_object_is_rejected_alone(world):
    report = _run(world, ["not a record", record(world.tenderer_org)])
    assert [r.status for r in report.records] == [Status.REJECTED, Status.IMPORTED]
    assert _errors(report.records[0]) == [(None, "import_field_format")]


def test_other_spellings_are_accepted(world):
    r = record(
        world.tenderer_org,
        APPROVAL_DATE="2025/3/1",
        BUDGET="12,345,678.9",
        LEGAL_PERSON="白银市城投",  # the registry's name wins, with a warning
    )
    r["project name"] = r.pop("PROJECT_NAME")
    [result] = _run(world, [r]).records
    assert result.status == Status.IMPORTED, result.as_dict()
    project = Project.objects.get(code=result.project_code)
    assert project.approval_date == dt.date(2025, 3, 1)
    assert project.budget == Decimal("12345678.9")
    assert [(w.field, w.code) for w in result.warnings] == [
        ("LEGAL_PERSON", "legal_person_name_differs")
    ]


def test_duplicates_are_skipped_not_errors(world):
    a, b = record(world.tenderer_org), record(world.tenderer_org)
    first = _run(world, [a, b, dict(a, PROJECT_NAME="同一记录号的另一份")])
    assert [r.status for r in first.records] == [Status.IMPORTED, Status.IMPORTED, Status.SKIPPED]
    assert first.ok
    before = state()

    again = _run(world, [b, a, dict(a, REGION_CODE="bad")])

    assert [r.status for r in again.records] == [Status.SKIPPED] * 3
    codes = [r.project_code for r in first.records[:2]]
    assert [r.project_code for r in again.records] == [codes[1], codes[0], codes[0]]
    assert again.ok
    assert state() == before
    # the same record id from another source is another project
    assert _run(world, [a], name="gpms").records[0].status == Status.IMPORTED


def test_all_or_nothing_imports_nothing_when_one_record_fails(world):
    good = [record(world.tenderer_org), record(world.tenderer_org)]
    bad = record(world.tenderer_org, REGION_CODE="6204")
    before = state()

    report = _run(world, [*good, bad], all_or_nothing=True)

    assert [r.status for r in report.records] == [Status.VALID, Status.VALID, Status.REJECTED]
    assert [r.project_code for r in report.records] == ["", "", ""]
    assert state() == before
    assert "本批未导入任何记录" in importers.render_text(report)
    # without the flag the good ones go in
    loose = _run(world, [*good, bad])
    assert [r.status for r in loose.records] == [
        Status.IMPORTED,
        Status.IMPORTED,
        Status.REJECTED,
    ]


def test_all_or_nothing_rolls_back_when_the_service_refuses_mid_batch(world, monkeypatch):
    real = services.project_register
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs["name"])
        if len(calls) == 2:
            raise DomainError(ErrorCode.VALIDATION, "模拟服务拒绝", field="name")
        return real(**kwargs)

    monkeypatch.setattr(services, "project_register", flaky)
    before = state()

    report = _run(world, [record(world.tenderer_org) for _ in range(3)], all_or_nothing=True)

    assert [r.status for r in report.records] == [Status.VALID, Status.REJECTED, Status.VALID]
    assert _errors(report.records[1]) == [("PROJECT_NAME", "validation_error")]
    assert len(calls) == 2
    assert state() == before  # the first project and its ledger entry were rolled back


def test_dry_run_validates_without_writing(world):
    before = state()
    report = _run(
        world, [record(world.tenderer_org), record(world.tenderer_org, BUDGET="x")], dry_run=True
    )
    assert [r.status for r in report.records] == [Status.VALID, Status.REJECTED]
    assert state() == before


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("anonymous", "not_authenticated"),
        ("public", "permission_denied"),
        ("bidder", "permission_denied"),
        ("expert", "permission_denied"),
        ("regulator", "permission_denied"),
    ],
)
def test_refused_roles_import_nothing(world, role, code):
    records = [record(world.tenderer_org), record(world.bidder_org)]
    before = state()
    report = _run(world, records, actor=world.user(role))
    assert [(r.status, _errors(r)) for r in report.records] == [
        (Status.REJECTED, [(None, code)]),
        (Status.REJECTED, [(None, code)]),
    ]
    assert state() == before


def test_tenderer_imports_for_its_own_organisation_only(world):
    before = state()
    report = _run(
        world, [record(world.tenderer_org), record(world.bidder_org)], actor=world.tenderer
    )
    assert [r.status for r in report.records] == [Status.IMPORTED, Status.REJECTED]
    assert _errors(report.records[1]) == [(None, "permission_denied")]
    assert state()[0] == before[0] + 1
    assert state()[3] == before[3] + 1


@pytest.mark.parametrize(
    ("content", "filename", "code"),
    [
        (b"{not json", "a.json", "import_source_invalid"),
        (b'{"items": []}', "a.json", "import_source_invalid"),
        (b"\xff\xfe\x00\x00garbage\x81", "a.csv", "import_source_invalid"),
        (b"", "a.csv", "import_source_invalid"),
    ],
)
def test_unreadable_files_import_nothing(world, content, filename, code):
    before = state()
    report = run_import(
        FileSource(content=content, filename=filename), actor=world.staff, centre=world.centre
    )
    assert report.error is not None
    assert report.error.code == code
    assert report.records == []
    assert not report.ok
    assert state() == before


def test_missing_file_is_reported(world, tmp_path):
    report = run_import(FileSource(tmp_path / "nope.json"), actor=world.staff, centre=world.centre)
    assert report.error is not None
    assert report.error.code == "import_source_unavailable"


def test_source_names_are_checked():
    with pytest.raises(DomainError) as exc:
        RecordsSource([], name="Bad Name")
    assert exc.value.code == ErrorCode.VALIDATION


def test_report_shape(world):
    report = _run(world, [record(world.tenderer_org), record(world.tenderer_org, BUDGET="x")])
    body = report.as_dict()
    assert {k: body[k] for k in ("source", "ok", "total", "imported", "rejected", "skipped")} == {
        "source": "tzxm",
        "ok": False,
        "total": 2,
        "imported": 1,
        "rejected": 1,
        "skipped": 0,
    }
    assert body["records"][1] == {
        "index": 2,
        "source_ref": report.records[1].source_ref,
        "status": "rejected",
        "project_code": "",
        "errors": [
            {
                "field": "BUDGET",
                "code": "import_money_invalid",
                "message": "金额应为大于 0、最多 14 位整数和 6 位小数的数字",
            }
        ],
        "warnings": [],
    }
