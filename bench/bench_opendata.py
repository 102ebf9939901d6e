"""Open-data figures (issue #6 item 4): the change feed and the daily dump over 1,000,000
feed records on PostgreSQL.

    .venv/bin/python bench/bench_opendata.py [--records 1000000] [--tenders 1000]

Setup (timed separately, not part of the figures): a fresh PostgreSQL database; --tenders
announced tenders (bulk-inserted fixture rows: centre, organisations, projects, tender
projects, sections, tenders); --records public ledger entries (``tendering:tender:announced``
about those tenders, spread over one local day) written with COPY, then integrated into the
Merkle log by the real sequencer (leaf indices, tree nodes, signed checkpoints).

Figures:
  * feed export throughput: every record pulled through ``ggzy.opendata.feed.read`` with
    limit=1000 from cursor 0 to the end (records/s), and through the HTTP API
    ``GET /api/v1/feed`` (JSON encoding included) for --api-records records;
  * daily dump: ``ggzy opendata dump`` for that day (gzip JSON lines + SHA-256 manifest):
    seconds, records/s, bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import sys
import time
from decimal import Decimal
from typing import Any

from _common import fresh_postgres, setup_django, write_result

DAY = dt.date(2026, 11, 20)


def _fixture_rows(tenders: int) -> list[int]:
    from ggzy.projects.codes import unified_deal_code
    from ggzy.projects.models import Project, Section, TenderProject
    from ggzy.registry import identifiers as ids
    from ggzy.registry.models import Organization, TradingCentre
    from ggzy.tendering.models import Tender, TenderStatus

    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    centre = TradingCentre.objects.create(
        code="620400", name="白银市公共资源交易中心", region_code="620400"
    )
    uscc = ids.make_uscc("91620402" + "000000001")
    org = Organization.objects.create(
        uscc=uscc,
        name="白银市城市建设投资有限公司",
        kind="enterprise",
        region_code="620402",
        legal_representative="甲",
        registered_at=now,
        updated_at=now,
    )
    projects = Project.objects.bulk_create(
        Project(
            code=f"E62040226{i:08d}",
            name=f"基准项目{i}",
            centre=centre,
            region_code="620402",
            legal_person=org,
            budget=Decimal("1000000"),
            created_at=now,
        )
        for i in range(tenders)
    )
    tps = TenderProject.objects.bulk_create(
        TenderProject(
            code=f"{p.code}001",
            project=p,
            name=f"{p.name}施工招标",
            trade_type_code="works.open",
            tender_mode="1",
            organize_form="1",
            tenderer=org,
            region_code="620402",
            created_at=now,
        )
        for p in projects
    )
    sections = Section.objects.bulk_create(
        Section(
            code=f"{tp.code}001",
            tender_project=tp,
            name="一标段",
            unified_deal_code=unified_deal_code("A01", uscc, DAY, i),
            region_code="620402",
            tra_place_code="620402",
            estimated_price=Decimal("900000"),
            created_at=now,
        )
        for i, tp in enumerate(tps)
    )
    rows = Tender.objects.bulk_create(
        Tender(
            section=s,
            status=TenderStatus.ANNOUNCED,
            title=f"{s.name}招标公告",
            announcement_html="<p>公告</p>",
            created_at=now,
            announced_at=now,
            bid_deadline=now + dt.timedelta(days=21),
        )
        for s in sections
    )
    return [t.pk for t in rows]


def _copy_entries(records: int, tender_ids: list[int]) -> None:
    from django.db import connection

    from ggzy.opendata.services import day_bounds

    start, _end = day_bounds(DAY)
    step = 86_000.0 / records  # seconds between entries, all inside the day
    connection.ensure_connection()
    raw = connection.connection
    cols = (
        "event_type, subject_type, subject_id, actor, received_at, rule_version, payload, "
        "payload_sha256, payload_sm3"
    )
    with raw.cursor() as cur, cur.copy(f"COPY ledger_entry ({cols}) FROM STDIN") as copy:
        for i in range(records):
            payload = f'{{"n":{i}}}'
            copy.write_row(
                (
                    "tendering:tender:announced",
                    "tendering.tender",
                    str(tender_ids[i % len(tender_ids)]),
                    "system:bench",
                    start + dt.timedelta(seconds=i * step),
                    "",
                    payload,
                    hashlib.sha256(payload.encode()).hexdigest(),
                    "",
                )
            )
    raw.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--tenders", type=int, default=1000)
    parser.add_argument("--api-records", type=int, default=100_000)
    args = parser.parse_args()
    url = fresh_postgres("ggzy_bench_opendata")
    if url is None:
        print("PostgreSQL on 127.0.0.1:5432 is not reachable; this benchmark needs it")
        sys.exit(1)
    os.environ["DATABASE_URL"] = url
    os.environ["GGZY_LEDGER_SEQUENCER"] = "worker"
    os.environ["GGZY_LEDGER_SAFETY_SECONDS"] = "0"
    vendor = setup_django()
    assert vendor == "postgresql"

    from django.test import Client

    from ggzy.ledger.sequencer import integrate
    from ggzy.opendata import feed, services

    t0 = time.perf_counter()
    tender_ids = _fixture_rows(args.tenders)
    _copy_entries(args.records, tender_ids)
    insert_s = time.perf_counter() - t0
    from django.db import connection

    with connection.cursor() as cur:  # what autovacuum does after a bulk load
        cur.execute("ANALYZE")
    t0 = time.perf_counter()
    while integrate(50_000):
        pass
    integrate_s = time.perf_counter() - t0
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    size = feed.log_size()
    assert size == args.records, size
    print(
        f"setup: {args.records} entries inserted in {insert_s:.1f} s, "
        f"integrated in {integrate_s:.1f} s"
    )

    # feed through the function, 1000 per page, cursor 0 → end
    t0 = time.perf_counter()
    cursor, pulled, pages = 0, 0, 0
    last = -1
    while True:
        page = feed.read(cursor, 1000)
        for item in page.items:
            assert item["index"] > last  # strictly increasing: no duplicate, nothing re-read
            last = item["index"]
        pulled += len(page.items)
        pages += 1
        cursor = page.next_cursor
        if not page.has_more:
            break
    feed_s = time.perf_counter() - t0
    assert pulled == args.records, pulled

    # feed through the HTTP API (JSON encoding included)
    client = Client()
    t0 = time.perf_counter()
    cursor_s, api_pulled = "0", 0
    while api_pulled < args.api_records:
        response = client.get("/api/v1/feed", {"cursor": cursor_s, "limit": "1000"})
        assert response.status_code == 200, response.content[:200]
        body: dict[str, Any] = response.json()
        api_pulled += len(body["items"])
        cursor_s = body["next_cursor"]
        if not body["has_more"]:
            break
    api_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    dump = services.dump_create(actor="system:bench", day=DAY)
    dump_s = time.perf_counter() - t0
    assert dump.records == args.records, dump.records

    write_result(
        "opendata_feed_dump",
        [
            {
                "metric": "feed export throughput (feed.read, limit 1000)",
                "value": pulled / feed_s,
                "unit": "records/s",
            },
            {"metric": "feed full pull time", "value": feed_s, "unit": "s"},
            {
                "metric": "feed API throughput (GET /api/v1/feed, limit 1000)",
                "value": api_pulled / api_s,
                "unit": "records/s",
            },
            {"metric": "daily dump time", "value": dump_s, "unit": "s"},
            {
                "metric": "daily dump throughput",
                "value": dump.records / dump_s,
                "unit": "records/s",
            },
            {"metric": "daily dump size (gzip)", "value": dump.size / 2**20, "unit": "MiB"},
            {"metric": "setup: COPY entries", "value": insert_s, "unit": "s"},
            {"metric": "setup: sequencer integration", "value": integrate_s, "unit": "s"},
        ],
        {
            "database": vendor,
            "records": args.records,
            "tenders": args.tenders,
            "api_records": api_pulled,
            "feed_pages": pages,
            "dump_date": DAY.isoformat(),
        },
    )


if __name__ == "__main__":
    main()
