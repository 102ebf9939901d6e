"""Atom feeds per filter (valid Atom 1.0) and statistics with CSV/XLSX downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from openpyxl import load_workbook
from tests.disclosure.conftest import publish

from ggzy import clock

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def test_atom_feed_is_valid_and_filtered():
    publish(title="道路工程招标公告 & <特殊>", stage="tender_announcement")
    publish(title="道路工程中标结果", stage="award_result")
    client = Client()
    r = client.get("/feeds/notices.atom", {"stage": "award_result"})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(r.content)  # noqa: S314 - our own feed
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["道路工程中标结果"]
    entry = entries[0]
    for required in ("id", "title", "updated"):
        assert entry.find(f"{ATOM}{required}").text
    assert entry.find(f"{ATOM}link").get("href").startswith("http://testserver/notices/")
    dt.datetime.fromisoformat(entry.findtext(f"{ATOM}updated"))
    everything = ET.fromstring(client.get("/feeds/notices.atom").content)  # noqa: S314
    titles = [e.findtext(f"{ATOM}title") for e in everything.findall(f"{ATOM}entry")]
    assert "道路工程招标公告 & <特殊>" in titles
    search = ET.fromstring(client.get("/feeds/notices.atom", {"q": "中标"}).content)  # noqa: S314
    assert len(search.findall(f"{ATOM}entry")) == 1


def _seed_stats():
    when = clock.now() - dt.timedelta(days=3)
    common = {"subject_code": "S-STAT", "project_code": "P-STAT", "region_code": "620402"}
    publish(
        stage="tender_announcement", facts={"budget": "1000000.00"}, published_at=when, **common
    )
    publish(
        stage="opening_record",
        facts={"bidder_count": 4},
        published_at=when + dt.timedelta(hours=1),
        **common,
    )
    publish(
        stage="award_result",
        facts={"winning_price": "900000.00"},
        published_at=when + dt.timedelta(days=2),
        **common,
    )
    publish(
        stage="failed",
        facts={"bidder_count": 1},
        published_at=when,
        subject_code="S-FAIL",
        region_code="620402",
    )
    return f"{when.astimezone(dt.timezone(dt.timedelta(hours=8))):%Y-%m}"


def test_stats_page_csv_and_xlsx():
    month = _seed_stats()
    client = Client()
    page = client.get("/stats/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "disclosure/vendor/echarts-6.1.0.min.js" in html
    assert "cdn" not in html.lower()
    assert 'id="stats-series"' in html
    r = client.get("/stats/export.csv")
    assert r.status_code == 200
    assert r["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["月份", "交易类型", "行政区域", "招标数"]
    assert rows[1] == [
        month,
        "works.open",
        "620402",
        "1",
        "1000000.00",
        "1",
        "900000.00",
        "0.1",
        "1",
        "4.0",
        "2.0",
    ]
    x = client.get("/stats/export.xlsx")
    assert x.status_code == 200
    sheet = load_workbook(io.BytesIO(x.content)).active
    values = [c.value for c in sheet[2]]
    assert values[:8] == [month, "works.open", "620402", 1, 1000000.0, 1, 900000.0, 0.1]
    assert client.get("/stats/export.pdf").status_code == 404
    filtered = client.get("/stats/export.csv", {"trade_type": "procurement.open"})
    assert len(list(csv.reader(io.StringIO(filtered.content.decode("utf-8-sig"))))) == 1
