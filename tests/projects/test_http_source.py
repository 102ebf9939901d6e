"""The HTTP source against a real HTTP server on 127.0.0.1 serving JSON pages, standing for
the investment-project approval platform (投资项目在线审批监管平台)."""

import json
import socket

import pytest
from tests.projects.helpers import TOKEN, record, state

from ggzy.projects.importers import HttpSource, SourceError, Status, run_import
from ggzy.projects.models import Project

pytestmark = pytest.mark.django_db


def _import(world, url, **kwargs):
    options = {"name": "tzxm", "retries": 0, "timeout": 5, **kwargs}
    return run_import(HttpSource(url, **options), actor=world.staff, centre=world.centre)


def test_pages_with_bearer_token_are_imported(world, platform):
    server, base = platform
    records = [record(world.tenderer_org) for _ in range(3)]
    server.json_page("/private/projects?page=1", records[:2], "/private/projects?page=2")
    server.json_page("/private/projects?page=2", records[2:], None)

    report = _import(world, base + "/private/projects?page=1", token=TOKEN)

    assert report.ok, report.as_dict()
    assert [r.status for r in report.records] == [Status.IMPORTED] * 3
    assert [r.source_ref for r in report.records] == [r["SOURCE_REF"] for r in records]
    assert Project.objects.filter(source="import:tzxm").count() == 3
    assert set(server.auth.values()) == {f"Bearer {TOKEN}"}
    # the second run finds every record already there
    again = _import(world, base + "/private/projects?page=1", token=TOKEN)
    assert [r.status for r in again.records] == [Status.SKIPPED] * 3


def test_a_bare_list_and_a_declared_charset_are_understood(world, platform):
    server, base = platform
    body = json.dumps([record(world.tenderer_org)], ensure_ascii=False).encode("gb18030")
    server.pages["/list"] = (200, body, "application/json; charset=GB18030")
    report = _import(world, base + "/list")
    assert report.ok, report.as_dict()


def test_a_page_answering_500_imports_nothing_even_from_earlier_pages(world, platform):
    server, base = platform
    server.json_page("/p1", [record(world.tenderer_org)], "/p2")
    server.pages["/p2"] = (500, b"Internal Server Error", "text/plain")
    before = state()

    report = _import(world, base + "/p1", retries=1, backoff=0)

    assert report.error is not None
    assert report.error.code == "import_source_unavailable"
    assert f"{base}/p2 返回 HTTP 500" in report.error.message
    assert server.hits["/p2"] == 2  # tried again once
    assert report.records == []
    assert state() == before


def test_a_page_with_invalid_json_imports_nothing(world, platform):
    server, base = platform
    server.json_page("/p1", [record(world.tenderer_org)], "/bad")
    server.pages["/bad"] = (200, b'{"records": [ {"PROJECT_NAME": ', "application/json")
    before = state()

    report = _import(world, base + "/p1", retries=3)

    assert report.error is not None
    assert report.error.code == "import_source_invalid"
    assert "不是有效的 JSON" in report.error.message
    assert server.hits["/bad"] == 1  # bad content is not retried
    assert state() == before


def test_a_transient_500_is_retried(world, platform):
    server, base = platform
    server.json_page("/flaky", [record(world.tenderer_org)])
    server.fail_first.add("/flaky")
    report = _import(world, base + "/flaky", retries=2, backoff=0)
    assert report.ok, report.as_dict()
    assert server.hits["/flaky"] == 2


def test_timeout_is_a_clear_error(world, platform):
    server, base = platform
    server.json_page("/slow", [record(world.tenderer_org)])
    server.delay["/slow"] = 1.0
    report = _import(world, base + "/slow", timeout=0.3)
    assert report.error is not None
    assert report.error.code == "import_source_unavailable"
    assert "0.3 秒内没有响应" in report.error.message


def test_401_without_token_is_not_retried(world, platform):
    server, base = platform
    server.json_page("/private/x", [])
    report = _import(world, base + "/private/x", retries=3)
    assert report.error is not None
    assert "HTTP 401" in report.error.message
    assert server.hits["/private/x"] == 1


def test_next_link_to_another_origin_is_refused(world, platform):
    server, base = platform
    port = base.rsplit(":", 1)[1]
    server.json_page("/p1", [record(world.tenderer_org)], f"http://localhost:{port}/p2")
    report = _import(world, base + "/p1", token=TOKEN)
    assert report.error is not None
    assert report.error.code == "import_source_invalid"
    assert "其他站点" in report.error.message
    assert "/p2" not in server.hits


def test_the_token_does_not_follow_a_redirect(world, platform):
    server, base = platform
    port = base.rsplit(":", 1)[1]
    server.pages["/moved"] = (302, f"http://localhost:{port}/public/p".encode(), "text/plain")
    server.json_page("/public/p", [record(world.tenderer_org)])
    report = _import(world, base + "/moved", token=TOKEN)
    assert report.ok, report.as_dict()
    assert server.auth["/moved"] == f"Bearer {TOKEN}"
    assert server.auth["/public/p"] == ""


def test_a_next_link_loop_is_refused(world, platform):
    server, base = platform
    server.json_page("/loop", [], "/loop")
    report = _import(world, base + "/loop")
    assert report.error is not None
    assert report.error.code == "import_source_invalid"


def test_refused_connection(world):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    report = _import(world, f"http://127.0.0.1:{closed}/x")
    assert report.error is not None
    assert report.error.code == "import_source_unavailable"
    assert "无法连接" in report.error.message


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "not a url"])
def test_only_http_urls(url):
    with pytest.raises(SourceError) as exc:
        HttpSource(url)
    assert exc.value.code.value == "import_source_invalid"
