"""``ggzy projects import`` from a file and from an HTTP endpoint."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from tests.factories import signup
from tests.projects.helpers import TOKEN, record, state

from ggzy.projects.models import Project

pytestmark = pytest.mark.django_db


def _call(*args):
    out = io.StringIO()
    call_command("projects", "import", *args, stdout=out)
    return out.getvalue()


def test_file_import_prints_the_report(world, tmp_path):
    path = tmp_path / "in.json"
    records = [record(world.tenderer_org), record(world.tenderer_org)]
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")

    text = _call("--source", "file", str(path), "--as", "staff")

    codes = list(Project.objects.order_by("id").values_list("code", flat=True))
    assert text.splitlines()[0] == "来源 file：共 2 条，导入 2，跳过 0，拒绝 0，校验通过未导入 0"
    assert f"#1 imported {records[0]['SOURCE_REF']} → {codes[0]}" in text
    # once more: skipped, still success
    again = _call("--source", "file", str(path), "--as", "staff", "--json")
    body = json.loads(again)
    assert (body["ok"], body["skipped"], body["imported"]) == (True, 2, 0)


def test_rejections_exit_1_with_json_report(world, tmp_path):
    path = tmp_path / "in.json"
    records = [record(world.tenderer_org), record(world.tenderer_org, REGION_CODE="1")]
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    before = state()
    out = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command(
            "projects",
            "import",
            "--source",
            "file",
            str(path),
            "--as",
            "staff",
            "--all-or-nothing",
            "--json",
            stdout=out,
        )
    assert exc.value.code == 1
    body = json.loads(out.getvalue())
    assert [r["status"] for r in body["records"]] == ["valid", "rejected"]
    assert body["records"][1]["errors"][0]["code"] == "region_code_invalid"
    assert state() == before


def test_http_import_with_token(world, platform):
    server, base = platform
    server.json_page("/private/p", [record(world.tenderer_org)])
    body = json.loads(
        _call(
            "--source",
            "http",
            base + "/private/p",
            "--token",
            TOKEN,
            "--as",
            "staff",
            "--name",
            "tzxm",
            "--json",
        )
    )
    assert (body["source"], body["imported"]) == ("tzxm", 1)


def test_unreachable_source_exits_1(world):
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("projects", "import", "--source", "file", "/nonexistent.json", stdout=out)
    assert "import_source_unavailable" in out.getvalue()


def test_the_importing_user(world, tmp_path):
    path = tmp_path / "in.json"
    path.write_text(json.dumps([record(world.tenderer_org)], ensure_ascii=False), "utf-8")
    with pytest.raises(CommandError, match="用户不存在"):
        _call("--source", "file", str(path), "--as", "nobody")
    with pytest.raises(CommandError, match="只支持 http/https"):
        _call("--source", "http", "ftp://x/y", "--as", "staff")
    # without --as: the only centre staff member
    assert "导入 1" in _call("--source", "file", str(path))
    # a bidder may not register the tenderer's project
    signup("bidder9")
    with pytest.raises(SystemExit):
        _call("--source", "file", str(path), "--as", "bidder", "--name", "other")
