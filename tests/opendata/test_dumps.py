"""Daily dumps: gzip JSON lines of one local day's feed items with a SHA-256 manifest, on
the ledger, listed and downloadable through the API; the command refuses an unfinished day."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from tests.opendata.conftest import integrate

from ggzy import clock
from ggzy.ledger.models import Entry
from ggzy.opendata import services
from ggzy.opendata.models import Dump

pytestmark = pytest.mark.django_db

# 2026-03-10 09:00 in Beijing; the day before and after carry nothing
EVENT_AT = dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 10)


def _announce_on_the_day(tw):
    with clock.frozen(EVENT_AT):
        tender = tw.publish(start=EVENT_AT + dt.timedelta(minutes=1))
    integrate()
    return tender


def test_dump_writes_gzip_lines_and_a_matching_manifest(tw):
    tender = _announce_on_the_day(tw)
    call_command("opendata", "dump", "--date", DAY.isoformat())
    dump = Dump.objects.get(day=DAY)
    with default_storage.open(dump.file, "rb") as fh:
        raw = fh.read()
    assert hashlib.sha256(raw).hexdigest() == dump.sha256
    lines = [json.loads(x) for x in gzip.decompress(raw).decode().splitlines()]
    assert [x["event_type"] for x in lines] == ["tendering:tender:announced"]
    assert lines[0]["record"]["id"] == str(tender.pk)
    assert dump.records == 1
    assert dump.first_index == dump.last_index == lines[0]["index"]
    with default_storage.open(dump.manifest, "rb") as fh:
        manifest = json.loads(fh.read())
    assert manifest["files"][0]["sha256"] == dump.sha256
    assert manifest["files"][0]["records"] == 1
    assert manifest["date"] == "2026-03-10"
    entry = Entry.objects.get(event_type="opendata:dump:created")
    assert entry.payload["file_sha256"] == dump.sha256
    # once only: a second run returns the same dump and writes no new entry
    assert services.dump_create(actor="system:test", day=DAY).pk == dump.pk
    assert Entry.objects.filter(event_type="opendata:dump:created").count() == 1


def test_an_empty_day_gives_an_empty_dump(tw):
    _announce_on_the_day(tw)
    dump = services.dump_create(actor="system:test", day=DAY - dt.timedelta(days=1))
    with default_storage.open(dump.file, "rb") as fh:
        assert gzip.decompress(fh.read()) == b""
    assert dump.records == 0
    assert dump.first_index is None


def test_unfinished_day_and_bad_date_are_refused(db):
    today = clock.now().astimezone(services.LOCAL_TZ).date()
    with pytest.raises(CommandError, match="opendata_dump_day_open"):
        call_command("opendata", "dump", "--date", today.isoformat())
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("opendata", "dump", "--date", "2026-13-01")
    assert not Dump.objects.exists()


def test_dump_api_lists_and_serves_files(tw, client):
    _announce_on_the_day(tw)
    dump = services.dump_create(actor="system:test", day=DAY)
    r = client.get("/api/v1/opendata/dumps")
    assert r.status_code == 200
    [item] = r.json()["items"]
    assert item["date"] == "2026-03-10"
    assert item["sha256"] == dump.sha256
    r = client.get("/api/v1/opendata/dumps/2026-03-10/feed.jsonl.gz")
    assert r.status_code == 200
    body = b"".join(r.streaming_content)
    assert hashlib.sha256(body).hexdigest() == dump.sha256
    assert r["Digest"] == f"sha-256={dump.sha256}"
    r = client.get("/api/v1/opendata/dumps/2026-03-10/manifest.json")
    assert json.loads(b"".join(r.streaming_content))["files"][0]["sha256"] == dump.sha256
    for path in ("2026-03-11/feed.jsonl.gz", "2026-03-10/other.txt", "yesterday/feed.jsonl.gz"):
        r = client.get(f"/api/v1/opendata/dumps/{path}")
        assert (r.status_code, r.json()["code"]) == (404, "opendata_dump_not_found")
