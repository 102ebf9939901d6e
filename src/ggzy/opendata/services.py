"""Open-data writes: the daily bulk dump (每日数据包). One transaction with its ledger entry."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from ggzy import clock, ledger
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.opendata import feed, plugins
from ggzy.opendata.models import Dump

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
DUMP_PAGE = 1000
FORMAT = "ggzy-opendata-dump/v1"


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants that bound local (Asia/Shanghai) day ``day``."""
    start = dt.datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)


def _day_items(day: dt.date) -> Any:
    """Feed items whose entry was recorded on ``day``, in leaf order, streamed page by page."""
    from ggzy.ledger.models import LogLeaf

    start, end = day_bounds(day)
    qs = LogLeaf.objects.filter(
        entry__received_at__gte=start,
        entry__received_at__lt=end,
        entry__event_type__in=list(plugins.feed_events()),
    ).order_by("index")
    bounds = qs.values_list("index", flat=True)
    first = bounds.first()
    if first is None:
        return
    last = qs.order_by("-index").values_list("index", flat=True).first()
    assert last is not None
    cursor = first
    while cursor <= last:
        page = feed.read(cursor, DUMP_PAGE)
        for item in page.items:
            if item["index"] > last:
                return
            at = dt.datetime.fromisoformat(item["recorded_at"])
            if start <= at < end:  # a neighbour day's late commit can sit inside the range
                yield item
        if page.next_cursor <= cursor:
            return
        cursor = page.next_cursor


def dump_create(*, actor: Any, day: dt.date) -> Dump:
    """Write ``day``'s dump (gzip JSON lines + manifest) once; a second call returns it."""
    existing = Dump.objects.filter(day=day).first()
    if existing is not None:
        return existing
    if day >= clock.now().astimezone(LOCAL_TZ).date():
        raise DomainError(ErrorCode.OPENDATA_DUMP_DAY_OPEN, field="date")
    start, end = day_bounds(day)
    records = 0
    first = last = None
    digest = hashlib.sha256()
    with tempfile.TemporaryDirectory(prefix="ggzy-dump-") as tmp:
        path = Path(tmp) / "feed.jsonl.gz"
        with (
            path.open("wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6) as gz,
        ):
            for item in _day_items(day):
                gz.write(json.dumps(item, ensure_ascii=False, sort_keys=True).encode() + b"\n")
                records += 1
                first = item["index"] if first is None else first
                last = item["index"]
        size = path.stat().st_size
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        sha = digest.hexdigest()
        folder = f"opendata/dumps/{day:%Y-%m-%d}"
        with path.open("rb") as fh:
            stored = default_storage.save(f"{folder}/feed.jsonl.gz", File(fh))
    manifest = {
        "format": FORMAT,
        "date": day.isoformat(),
        "timezone": "Asia/Shanghai",
        "from": start.isoformat(),
        "until": end.isoformat(),
        "generated_at": clock.now().isoformat(),
        "files": [
            {
                "name": stored.rsplit("/", 1)[-1],
                "sha256": sha,
                "size": size,
                "records": records,
                "content": "application/x-ndjson+gzip",
            }
        ],
        "first_index": first,
        "last_index": last,
    }
    body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
    manifest_name = default_storage.save(f"{folder}/manifest.json", ContentFile(body))
    try:
        return _dump_row(actor, day, stored, manifest_name, sha, size, records, first, last, body)
    except IntegrityError:  # a concurrent run stored the same day first
        default_storage.delete(stored)
        default_storage.delete(manifest_name)
        return Dump.objects.get(day=day)


def _dump_row(
    actor: Any,
    day: dt.date,
    stored: str,
    manifest_name: str,
    sha: str,
    size: int,
    records: int,
    first: int | None,
    last: int | None,
    body: bytes,
) -> Dump:
    with transaction.atomic():
        dump = Dump.objects.create(
            day=day,
            file=stored,
            manifest=manifest_name,
            sha256=sha,
            size=size,
            records=records,
            first_index=first,
            last_index=last,
            created_at=clock.now(),
        )
        ledger.record(
            "opendata:dump:created",
            dump,
            actor,
            {
                "date": day.isoformat(),
                "file_sha256": sha,
                "manifest_sha256": hashlib.sha256(body).hexdigest(),
                "records": records,
                "first_index": first,
                "last_index": last,
            },
        )
    return dump
