"""The tendering API over real HTTP: publish, download without registering, chunked sealed
bid upload with a signed receipt, bad uploads, and the deadline."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from tests.factories import tender_dates

from ggzy import clock
from ggzy.core import platform_key
from ggzy.tendering.models import Bid

CHUNK = 256 * 1024


@pytest.fixture
def published(tw, api_as):
    staff_api = api_as("tenderer")
    start = clock.now() + dt.timedelta(minutes=1)
    docs_until, bid_deadline = tender_dates("works.open", start)
    r = staff_api.post(
        f"/tendering/tenders/{tw.tender.pk}/publish",
        json={
            "docs_from": start.isoformat(),
            "docs_until": docs_until.isoformat(),
            "bid_deadline": bid_deadline.isoformat(),
            "custodians": {"centre": "staff", "supervisor": "regulator", "tenderer": "tenderer"},
            "deposit_amount": "600000",
        },
    )
    assert r.status_code == 200, r.text
    tw.tender.refresh_from_db()
    return tw


def _upload(api, section, data, *, chunk=CHUNK):
    r = api.post(
        f"/tendering/sections/{section}/uploads",
        json={"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "chunk_size": chunk},
    )
    assert r.status_code == 201, r.text
    upload = r.json()
    for i in range(0, len(data), chunk):
        part = data[i : i + chunk]
        r = api.put(
            f"/tendering/uploads/{upload['upload_id']}/chunks/{i // chunk}",
            data=part,
            headers={
                "X-Chunk-SHA256": hashlib.sha256(part).hexdigest(),
                "Content-Type": "application/octet-stream",
            },
        )
        assert r.status_code == 204, r.text
    return upload


def test_publish_bad_input_is_4xx(tw, api_as):
    api = api_as("tenderer")
    start = clock.now() + dt.timedelta(minutes=1)
    body = {
        "docs_from": start.isoformat(),
        "docs_until": (start + dt.timedelta(days=6)).isoformat(),
        "bid_deadline": (start + dt.timedelta(days=9)).isoformat(),
        "custodians": {"centre": "staff", "supervisor": "regulator", "tenderer": "tenderer"},
    }
    r = api.post(f"/tendering/tenders/{tw.tender.pk}/publish", json=body)
    assert r.status_code == 400
    assert r.json()["code"] == "period_too_short"
    r = api.post(
        f"/tendering/tenders/{tw.tender.pk}/publish",
        json=dict(body, bid_deadline="2026-13-01T00:00:00+08:00"),
    )
    assert r.status_code == 422
    r = api_as("bidder").post(f"/tendering/tenders/{tw.tender.pk}/publish", json=body)
    assert r.status_code == 403
    # a draft is invisible to outsiders
    assert api_as("anonymous").get(f"/tendering/tenders/{tw.tender.pk}").status_code == 404


def test_download_without_registration_and_bid_receipt(published, api_as):
    tw = published
    anon = api_as("anonymous")
    doc_id = anon.get(f"/tendering/tenders/{tw.tender.pk}").json()["documents"][0]["id"]
    r = anon.get(f"/tendering/documents/{doc_id}")
    assert r.status_code == 409  # before the download period opens (docs_from is 1 min ahead)
    # the live server runs in this process, so the frozen clock applies to it as well
    with clock.frozen(tw.tender.docs_from + dt.timedelta(minutes=1)):
        r = anon.get(f"/tendering/documents/{doc_id}")
    assert r.status_code == 200
    assert r.content == b"%PDF-1.7 tender documents"
    assert r.headers["X-Content-SHA256"] == hashlib.sha256(r.content).hexdigest()
    bidder = api_as("bidder")
    data = tw.seal(b"bid package over http" * 30000)
    upload = _upload(bidder, tw.section.code, data)
    status = bidder.get(f"/tendering/uploads/{upload['upload_id']}").json()
    assert status["received"] == list(range(-(-len(data) // CHUNK)))
    r = bidder.post(
        f"/tendering/uploads/{upload['upload_id']}/complete",
        json={"fingerprint": {"cpu": "ab" * 32}},
    )
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["envelope_sha256"] == hashlib.sha256(data).hexdigest()
    signed = {"document": receipt["receipt"], "signature": receipt["signature"]}
    assert platform_key.verify_document(signed, platform_key.public_key_bytes())
    assert Bid.objects.get(pk=receipt["bid_id"]).size == len(data)
    # other users cannot see the upload or the receipt
    other = api_as("agency")
    assert other.get(f"/tendering/uploads/{upload['upload_id']}").status_code == 404
    assert other.get(f"/tendering/bids/{receipt['bid_id']}/receipt").status_code == 404


def test_bad_uploads_are_4xx_and_keep_nothing(published, api_as):
    tw = published
    bidder = api_as("bidder")
    data = tw.seal(b"x" * 400000)
    r = bidder.post(
        f"/tendering/sections/{tw.section.code}/uploads",
        json={"size": len(data), "sha256": "zz", "chunk_size": CHUNK},
    )
    assert (r.status_code, r.json()["code"]) == (400, "upload_invalid")
    r = bidder.post(
        f"/tendering/sections/{tw.section.code}/uploads",
        json={"size": 10**13, "sha256": "0" * 64, "chunk_size": CHUNK},
    )
    assert (r.status_code, r.json()["code"]) == (413, "file_too_large")
    # a truncated envelope (consistent size and hash, but shorter than its header says)
    upload = _upload(bidder, tw.section.code, data[:-100])
    r = bidder.post(f"/tendering/uploads/{upload['upload_id']}/complete", json={})
    assert (r.status_code, r.json()["code"]) == (400, "envelope_invalid")
    # a chunk whose bytes do not match its declared hash
    r = bidder.post(
        f"/tendering/sections/{tw.section.code}/uploads",
        json={"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "chunk_size": CHUNK},
    )
    up = r.json()
    r = bidder.put(
        f"/tendering/uploads/{up['upload_id']}/chunks/0",
        data=data[:CHUNK],
        headers={"X-Chunk-SHA256": "0" * 64},
    )
    assert (r.status_code, r.json()["code"]) == (400, "chunk_mismatch")
    r = bidder.post(f"/tendering/uploads/{up['upload_id']}/complete", json={})
    assert (r.status_code, r.json()["code"]) == (409, "upload_incomplete")
    assert Bid.objects.count() == 0
    # the public cannot upload at all
    r = api_as("public").post(
        f"/tendering/sections/{tw.section.code}/uploads",
        json={"size": 1, "sha256": "0" * 64, "chunk_size": CHUNK},
    )
    assert r.status_code == 403
