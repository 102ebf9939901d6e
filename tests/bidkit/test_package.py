from __future__ import annotations

import hashlib
import json
import os
import tempfile
import unicodedata
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ggzy.bidkit.errors import BidkitError
from ggzy.bidkit.package import build_package, collect_inputs, read_package
from ggzy.bidkit.pricing import parse_price_form

PRICE = parse_price_form({"price_form": 1, "amount": "100.00", "price_unit": 0})
BIDDER = "91110000600037341L"


def _write(root: Path, files: dict[str, bytes]) -> list[Path]:
    paths = []
    for name, data in files.items():
        path = root / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_layout_order_and_manifest(tmp_path: Path) -> None:
    docs = tmp_path / "标书"
    (docs / "附件").mkdir(parents=True)
    (docs / "b.pdf").write_bytes(b"b" * 10)
    (docs / "附件" / "a.pdf").write_bytes(b"a")
    single = tmp_path / "报价.xlsx"
    single.write_bytes(b"xlsx")
    out = tmp_path / "bid.zip"

    info = build_package(out, files=[single, docs], price_form=PRICE, bidder=BIDDER)

    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
        infos = zf.infolist()
    assert names == [
        "price-form.json",
        "files/报价.xlsx",
        "files/标书/b.pdf",
        "files/标书/附件/a.pdf",
        "manifest.json",
    ]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.create_system for i in infos} == {3}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert manifest["bidder"] == BIDDER
    assert manifest["files"][2] == {
        "name": "files/标书/b.pdf",
        "size": 10,
        "sha256": hashlib.sha256(b"b" * 10).hexdigest(),
    }
    assert info.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert read_package(out).entries == info.entries
    assert read_package(out).price_form == PRICE


def test_names_are_nfc_and_collisions_are_refused(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "é.pdf")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / decomposed).write_bytes(b"x")
    [(name, _)] = collect_inputs([tmp_path / "a" / decomposed])
    assert name == "files/" + unicodedata.normalize("NFC", "é.pdf")

    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "Report.PDF").write_bytes(b"1")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "report.pdf").write_bytes(b"2")
    with pytest.raises(BidkitError) as caught:
        collect_inputs([tmp_path / "b" / "Report.PDF", tmp_path / "c" / "report.pdf"])
    assert caught.value.code == "package_invalid"


def test_missing_empty_and_self_inclusion_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BidkitError) as caught:
        build_package(tmp_path / "o.zip", files=[tmp_path / "nope.pdf"], price_form=PRICE)
    assert caught.value.code == "file_not_found"
    (tmp_path / "empty").mkdir()
    with pytest.raises(BidkitError) as caught:
        build_package(tmp_path / "o.zip", files=[tmp_path / "empty"], price_form=PRICE)
    assert caught.value.code == "package_invalid"
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.pdf").write_bytes(b"a")
    build_package(tmp_path / "d" / "bid.zip", files=[tmp_path / "d" / "a.pdf"], price_form=PRICE)
    with pytest.raises(BidkitError) as caught:
        build_package(tmp_path / "d" / "bid.zip", files=[tmp_path / "d"], price_form=PRICE)
    assert "among the inputs" in caught.value.message_en
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["a.pdf", "bid.zip"]


def _rezip(source: Path, out: Path, replace: dict[str, bytes]) -> None:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, replace.get(item.filename, zin.read(item.filename)))


def test_read_package_detects_changed_members(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"original")
    good = tmp_path / "good.zip"
    build_package(good, files=[tmp_path / "a.pdf"], price_form=PRICE)

    _rezip(good, tmp_path / "changed.zip", {"files/a.pdf": b"modified"})
    with pytest.raises(BidkitError) as caught:
        read_package(tmp_path / "changed.zip")
    assert "does not match its manifest digest" in caught.value.message_en
    assert read_package(tmp_path / "changed.zip", check_digests=False).bidder is None

    _rezip(good, tmp_path / "price.zip", {"price-form.json": b'{"price_form": 7}'})
    with pytest.raises(BidkitError) as caught:
        read_package(tmp_path / "price.zip")
    assert caught.value.code == "price_form_invalid"

    with zipfile.ZipFile(tmp_path / "bare.zip", "w") as zf:
        zf.writestr("a.pdf", b"x")
    with pytest.raises(BidkitError) as caught:
        read_package(tmp_path / "bare.zip")
    assert "no price-form.json" in caught.value.message_en

    (tmp_path / "not.zip").write_bytes(b"PK\x03\x04 nothing")
    with pytest.raises(BidkitError) as caught:
        read_package(tmp_path / "not.zip")
    assert caught.value.code == "package_invalid"


_names = st.text(alphabet=st.sampled_from("abcXYZ019-_.标书附件"), min_size=1, max_size=12).filter(
    lambda n: n not in (".", "..") and not n.startswith(".")
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    files=st.dictionaries(_names, st.binary(max_size=3000), min_size=1, max_size=6).filter(
        lambda d: len({k.casefold() for k in d}) == len(d)
    ),
    bidder=st.sampled_from([None, BIDDER]),
    mtime=st.integers(min_value=0, max_value=2_000_000_000),
)
def test_same_inputs_give_the_same_bytes(
    files: dict[str, bytes], bidder: str | None, mtime: int
) -> None:
    """Determinism: input order, file times and location do not change the package."""
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        first = _write(Path(a), files)
        second = _write(Path(b), files)
        for path in second:
            os.utime(path, (mtime, mtime))
        one = build_package(Path(a) / "out.zip", files=first, price_form=PRICE, bidder=bidder)
        two = build_package(
            Path(b) / "out.zip", files=list(reversed(second)), price_form=PRICE, bidder=bidder
        )
        assert one.sha256 == two.sha256
        assert (Path(a) / "out.zip").read_bytes() == (Path(b) / "out.zip").read_bytes()
        with zipfile.ZipFile(Path(a) / "out.zip") as zf:
            for name, data in files.items():
                assert zf.read("files/" + unicodedata.normalize("NFC", name)) == data
