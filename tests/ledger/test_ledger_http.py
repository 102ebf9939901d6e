"""The ledger over real HTTP: receipts, tiles, checkpoint, the public verify page, the CLI."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.management import CommandError, call_command

from ggzy.ledger import keys, merkle, tiles
from ggzy.ledger.checkpoint import open_checkpoint
from ggzy.ledger.models import Entry

PDF = b"%PDF-1.4\n% ggzy ledger test\n"


def _upload_qualification(api: Any, uscc: str) -> None:
    import datetime as dt

    today = dt.date.today()
    r = api.post(
        f"/entities/{uscc}/qualifications",
        data={
            "qual_type": "监理",
            "certificate_no": "L-1",
            "issuer": "住建厅",
            "valid_from": str(today),
            "valid_to": str(today + dt.timedelta(days=30)),
        },
        files={"file": ("c.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 201, r.text


def test_receipt_download_and_cli_verify(api_as, world, tmp_path: Path, capsys) -> None:
    anon = api_as("anonymous")
    entry = Entry.objects.filter(subject_id=str(world.bidder_org.pk)).first()
    r = anon.get(f"/ledger/entries/{entry.pk}/receipt")
    assert r.status_code == 200
    assert r.content.startswith(b"c2sp.org/tlog-proof@v1\n")
    proof = tmp_path / "entry.tlog-proof"
    proof.write_bytes(r.content)
    vkey = anon.get("/ledger/log-key").json()["vkey"]
    call_command("ledger", "verify", str(proof), "--log-key", vkey)
    assert "OK: entry" in capsys.readouterr().out
    proof.write_bytes(r.content.replace(b"index ", b"index 1", 1))
    with pytest.raises(CommandError, match="receipt invalid"):
        call_command("ledger", "verify", str(proof), "--log-key", vkey)
    assert anon.get("/ledger/entries/999999/receipt").status_code == 404


def test_tiles_and_checkpoint_rebuild_the_root(live_server, world) -> None:
    base = live_server.url
    note_bytes = requests.get(base + "/log/checkpoint", timeout=30).content
    body, _ = open_checkpoint(note_bytes, keys.verifier())
    assert body.size == Entry.objects.count()

    def fetch(tile: tiles.TileID) -> bytes:
        r = requests.get(f"{base}/log/{tile.path}", timeout=30)
        assert r.status_code == 200, tile.path
        return r.content

    read = tiles.tile_hash_reader(body.size, fetch)
    assert merkle.tree_hash(body.size, read) == body.root_hash
    bundle = tiles.bundles_to_publish(0, body.size)[0]
    leaves = tiles.decode_entry_bundle(fetch_bundle(base, bundle.path))
    assert merkle.leaf_hash(leaves[0]) == read([merkle.NodeID(0, 0)])[0]
    assert requests.get(base + "/log/tile/0/999", timeout=30).status_code == 404
    assert requests.get(base + "/log/tile/nonsense", timeout=30).status_code == 404


def fetch_bundle(base: str, path: str) -> bytes:
    r = requests.get(f"{base}/log/{path}", timeout=30)
    assert r.status_code == 200
    return r.content


def test_proof_api_bad_input_is_4xx(api_as, world) -> None:
    anon = api_as("anonymous")
    size = Entry.objects.count()
    ok = anon.get("/ledger/proof/inclusion", params={"index": 0, "size": size})
    assert ok.status_code == 200
    assert all(len(base64.b64decode(h)) == 32 for h in ok.json()["proof"])
    for params in (
        {"index": size, "size": size},
        {"index": 0, "size": size + 1},
        {"index": -1, "size": size},
        {"index": "x", "size": 1},
    ):
        r = anon.get("/ledger/proof/inclusion", params=params)
        assert 400 <= r.status_code < 500, params
    assert anon.get("/ledger/proof/consistency", params={"old": size, "new": 1}).status_code == 400


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def test_public_verify_page_finds_a_file_and_checks_a_receipt(api_as, world, live_server) -> None:
    _upload_qualification(api_as("bidder"), world.bidder_org.uscc)
    url = live_server.url + "/ledger/verify/"
    s = requests.Session()
    headers = {"Referer": url}
    r = s.post(
        url,
        data={"csrfmiddlewaretoken": _csrf(s, url)},
        files={"file": ("c.pdf", PDF)},
        headers=headers,
        timeout=30,
    )
    assert r.status_code == 200
    assert hashlib.sha256(PDF).hexdigest() in r.text
    assert "已存证" in r.text
    r = s.post(
        url,
        data={"csrfmiddlewaretoken": _csrf(s, url)},
        files={"file": ("other.pdf", b"%PDF-other")},
        headers=headers,
        timeout=30,
    )
    assert "未找到" in r.text

    entry = Entry.objects.filter(event_type="registry:qualification:added").get()
    receipt = api_as("anonymous").get(f"/ledger/entries/{entry.pk}/receipt").text
    r = s.post(
        url,
        data={"csrfmiddlewaretoken": _csrf(s, url), "receipt": receipt},
        headers=headers,
        timeout=30,
    )
    assert r.status_code == 200
    assert "存证证明有效" in r.text
    assert "registry:qualification:added" in r.text
    r = s.post(
        url,
        data={
            "csrfmiddlewaretoken": _csrf(s, url),
            "receipt": receipt.replace("index", "index 9", 1),
        },
        headers=headers,
        timeout=30,
    )
    assert r.status_code == 422
    assert "存证证明无效" in r.text
    r = s.post(url, data={"csrfmiddlewaretoken": _csrf(s, url)}, headers=headers, timeout=30)
    assert r.status_code == 400


def test_verify_page_looks_up_a_digest_from_a_link(api_as, world, live_server) -> None:
    """The QR code on a signed notice opens /ledger/verify/?sha256=…; a bad digest is a 400."""
    _upload_qualification(api_as("bidder"), world.bidder_org.uscc)
    url = live_server.url + "/ledger/verify/"
    sha = hashlib.sha256(PDF).hexdigest()
    r = requests.get(url, params={"sha256": sha.upper()}, timeout=30)
    assert r.status_code == 200
    assert 'id="compare-hint"' in r.text
    assert "已存证" in r.text
    assert sha in r.text
    r = requests.get(url, params={"sha256": "0" * 64}, timeout=30)
    assert r.status_code == 200
    assert "未找到" in r.text
    for bad in ("xyz", "0" * 63, "g" * 64, "<script>"):
        r = requests.get(url, params={"sha256": bad}, timeout=30)
        assert r.status_code == 400
        assert 'id="sha-error"' in r.text
        assert "<script>" not in r.text
