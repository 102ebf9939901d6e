"""Data-quality report: completeness per table and timeliness against deadlines kept as
data; the page and the API for regulators and centre staff only."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.opendata.conftest import integrate

from ggzy import clock
from ggzy.opendata import quality

pytestmark = pytest.mark.django_db


def _table(report, code):
    return next(t for t in report["tables"] if t["code"] == code)


def test_completeness_counts_mandatory_gaps(tw):
    report = quality.report()
    section = _table(report, "502")
    assert (section["rows"], section["complete"], section["completeness"]) == (1, 0, 0.0)
    assert section["fields"]["BID_SECTION_CONTENT"] == {"mandatory": 1}
    assert "UNIFIED_DEAL_CODE" not in section["fields"]  # 40 chars, filled
    assert _table(report, "503")["rows"] == 0  # a draft is not announced
    assert _table(report, "511")["timeliness"]["tag"] == "V-law"


def test_timeliness_on_time_and_late(tw):
    # announced now and integrated at once: on time
    tw.publish()
    integrate()
    ann = _table(quality.report(), "503")["timeliness"]
    assert (ann["on_time"], ann["late"], ann["hours"]) == (1, 0, 24)
    assert "宁波市公共资源交易管理条例" in ann["reference"]


def test_a_record_that_reaches_the_feed_late_is_late(tw, settings):
    past = clock.now() - dt.timedelta(days=3)
    with clock.frozen(past):
        tw.publish(start=past + dt.timedelta(minutes=1))
    pending = _table(quality.report(), "503")["timeliness"]
    assert (pending["late"], pending["pending"]) == (1, 0)  # not in the feed, deadline passed
    integrate()  # three days after the announcement
    ann = _table(quality.report(), "503")["timeliness"]
    assert (ann["on_time"], ann["late"]) == (0, 1)
    assert ann["max_delay_seconds"] > 2 * 86400
    settings.GGZY_OPENDATA_DEADLINES = {"503": {**quality.DEADLINES["503"], "hours": 96}}
    assert _table(quality.report(), "503")["timeliness"]["on_time"] == 1


@pytest.mark.parametrize(
    ("role", "status"),
    [("bidder", 403), ("expert", 403), ("agency", 403), ("regulator", 200), ("staff", 200)],
)
def test_quality_page_and_api_permissions(tw, client, role, status):
    client.force_login(tw.world.user(role))
    page = client.get("/opendata/quality/")
    api = client.get("/api/v1/opendata/quality")
    assert (page.status_code, api.status_code) == (status, status)
    if status == 200:
        assert "数据质量报告" in page.content.decode()
        assert "502 标段(包)" in page.content.decode()
        assert "BID_SECTION_CONTENT</td><td>必填项为空：1" in page.content.decode()
        assert _table(api.json(), "502")["rows"] == 1
    else:
        assert api.json()["code"] == "permission_denied"


def test_anonymous_is_sent_to_login(tw, client):
    r = client.get("/opendata/quality/")
    assert r.status_code == 302
    assert "/login/" in r["Location"]
    assert client.get("/api/v1/opendata/quality").status_code == 401
