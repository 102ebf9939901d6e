"""The change feed: cursor over integrated leaf indices of public events. A record committed
late is never skipped and never duplicated (PostgreSQL, two real connections); bad cursors
get a stable 4xx code."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from tests.factories import tender_dates
from tests.opendata.conftest import integrate

from ggzy import clock
from ggzy.ledger.models import Entry
from ggzy.opendata import feed, ocds
from ggzy.projects import services as projects
from ggzy.tendering import services


def _pull_all(cursor: int = 0, limit: int = 100) -> tuple[list[dict[str, Any]], int]:
    items: list[dict[str, Any]] = []
    while True:
        page = feed.read(cursor, limit)
        items.extend(page.items)
        assert page.next_cursor >= cursor
        cursor = page.next_cursor
        if not page.has_more:
            return items, cursor


@pytest.mark.django_db
def test_feed_lists_public_events_with_links(stages, tmp_path, client):
    tender = stages.opened(tmp_path)
    integrate()
    items, cursor = _pull_all()
    assert cursor == feed.log_size()
    kinds = [i["event_type"] for i in items]
    assert kinds == [
        "tendering:tender:announced",
        "tendering:opening:recorded",
        "tendering:opening:closed",
    ]
    assert not any("bid:" in k or "download" in k or "deposit" in k for k in kinds)
    ocid = ocds.ocid_for(tender.section.unified_deal_code)
    assert {i["ocid"] for i in items} == {ocid}
    first = items[0]
    assert first["tables"] == ["500", "501", "502", "503", "504"]
    assert first["record"] == {"type": "tendering.tender", "id": str(tender.pk)}
    assert first["release_url"].endswith(f"/api/v1/opendata/releases/{ocid}")
    entry = Entry.objects.get(pk=first["entry_id"])
    assert entry.leaf.index == first["index"]
    # one item per page gives the same sequence, no duplicates
    one_by_one, _ = _pull_all(limit=1)
    assert [i["index"] for i in one_by_one] == [i["index"] for i in items]
    # over HTTP, without login
    r = client.get("/api/v1/feed", {"cursor": "0", "limit": "2"})
    assert r.status_code == 200
    body = r.json()
    assert [i["index"] for i in body["items"]] == [i["index"] for i in items[:2]]
    r = client.get("/api/v1/feed", {"cursor": body["next_cursor"], "limit": "100"})
    assert [i["index"] for i in r.json()["items"]] == [i["index"] for i in items[2:]]
    assert r.json()["has_more"] is False


@pytest.mark.django_db
def test_entries_appear_only_once_integrated(tw):
    tw.publish()  # recorded; a db test never commits, so nothing is integrated yet
    items, cursor = _pull_all()
    assert items == []
    assert cursor == 0
    integrate()
    items, cursor = _pull_all()
    assert [i["event_type"] for i in items] == ["tendering:tender:announced"]
    again, _ = _pull_all(cursor)
    assert again == []


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", ["abc", "-1", "1.5", "１２", "99999999999999999999"])
def test_bad_cursor_is_a_stable_400(client, cursor):
    r = client.get("/api/v1/feed", {"cursor": cursor})
    assert r.status_code == 400
    assert r.json()["code"] == "opendata_cursor_invalid"


@pytest.mark.django_db
def test_cursor_beyond_the_log_and_bad_limit(client):
    r = client.get("/api/v1/feed", {"cursor": "5"})
    assert (r.status_code, r.json()["code"]) == (400, "opendata_cursor_invalid")
    r = client.get("/api/v1/feed", {"limit": "0"})
    assert (r.status_code, r.json()["code"]) == (400, "validation_error")
    r = client.get("/api/v1/feed", {"limit": "abc"})
    assert r.status_code == 422


def _second_tender(tw: Any) -> Any:
    section = projects.section_create(
        actor=tw.world.tenderer,
        tender_project=tw.section.tender_project,
        name="二标段",
        estimated_price=Decimal("12000000"),
        max_price=Decimal("11800000"),
    )
    tender = services.tender_create(
        actor=tw.world.tenderer,
        section=section,
        title="白银市城区道路改造工程二标段施工招标公告",
        announcement_html="<p>二标段</p>",
    )
    services.document_add(
        actor=tw.world.tenderer,
        tender=tender,
        upload=SimpleUploadedFile("二标段招标文件.pdf", b"%PDF-1.7 lot two"),
    )
    return tender


def _publish(tw: Any, tender: Any) -> Any:
    start = clock.now() + dt.timedelta(minutes=1)
    docs_until, bid_deadline = tender_dates("works.open", start)
    return services.tender_publish(
        actor=tw.world.tenderer,
        tender=tender,
        docs_from=start,
        docs_until=docs_until,
        bid_deadline=bid_deadline,
        custodians=tw.custodians,
    )


@pytest.mark.django_db(transaction=True)
def test_late_commit_is_neither_skipped_nor_duplicated(tw):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: two concurrent connections with open transactions")
    tender_b = _second_tender(tw)
    base, cursor = _pull_all()
    assert base == []
    recorded = threading.Event()
    release = threading.Event()
    failure: list[BaseException] = []

    def t1() -> None:
        try:
            with transaction.atomic():  # T1 starts and writes, then stays open
                _publish(tw, tw.tender)
                recorded.set()
                assert release.wait(30)
            # T1 commits; its on_commit integration runs here, after T2's
        except BaseException as exc:
            failure.append(exc)
            recorded.set()
        finally:
            connection.close()

    thread = threading.Thread(target=t1)
    thread.start()
    assert recorded.wait(30)
    assert not failure, failure
    _publish(tw, tender_b)  # T2 writes and commits (and is integrated) while T1 is open
    first, cursor = _pull_all(cursor)
    assert [i["record"]["id"] for i in first] == [str(tender_b.pk)]
    release.set()
    thread.join(30)
    assert not failure, failure
    second, cursor = _pull_all(cursor)
    assert [i["record"]["id"] for i in second] == [str(tw.tender.pk)]
    # T1's entry has the lower id (it was written first) yet the higher leaf index
    entry_a = Entry.objects.get(pk=second[0]["entry_id"])
    entry_b = Entry.objects.get(pk=first[0]["entry_id"])
    assert entry_a.pk < entry_b.pk
    assert entry_a.leaf.index > entry_b.leaf.index
    everything, _ = _pull_all()
    assert sorted(i["index"] for i in everything) == sorted(i["index"] for i in first + second)
    assert len({i["index"] for i in everything}) == len(everything) == 2


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2026-11-20 01:02:03+00", "2026-11-20T01:02:03Z"),
        ("2026-11-20 01:02:03.250000+00", "2026-11-20T01:02:03.250000Z"),
        ("2026-11-20 01:02:03.5", "2026-11-20T01:02:03.5Z"),
        ("2026-11-20 09:02:03+08", "2026-11-20T01:02:03Z"),
        ("2026-11-20 09:02:03.1+08:00", "2026-11-20T01:02:03.100000Z"),
        (None, None),
    ],
)
def test_database_timestamps_become_iso_utc(text, iso):
    assert feed.iso_text(text) == iso


@pytest.mark.django_db
def test_item_times_match_the_ledger(tw):
    tw.publish()
    integrate()
    [item], _ = _pull_all()
    entry = Entry.objects.select_related("leaf").get(pk=item["entry_id"])
    assert dt.datetime.fromisoformat(item["recorded_at"]) == entry.received_at
    assert dt.datetime.fromisoformat(item["integrated_at"]) == entry.leaf.integrated_at
