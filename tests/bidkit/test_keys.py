from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from ggzy.bidkit.errors import BidkitError
from ggzy.bidkit.keys import (
    generate,
    insecure_key_files,
    load_keys,
    parse_public_key,
    write_key_dir,
)
from ggzy.crypto.suites import GM, INTL, KeyAlgorithm, PrivateKey


@pytest.mark.parametrize("suite", [INTL, GM])
def test_key_directory_round_trip(tmp_path: Path, suite: object) -> None:
    keys = generate(INTL if suite is INTL else GM)
    written = write_key_dir(keys, tmp_path / "k")
    assert [p.name for p in written] == [
        "signing.key",
        "encryption.key",
        "signing.pub",
        "encryption.pub",
    ]
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in written}
    assert modes["signing.key"] == modes["encryption.key"] == 0o600
    assert stat.S_IMODE((tmp_path / "k").stat().st_mode) == 0o700
    loaded = load_keys(tmp_path / "k")
    assert loaded.suite is keys.suite
    assert loaded.signing_public == keys.signing_public
    assert loaded.encryption_public == keys.encryption_public
    assert insecure_key_files(tmp_path / "k") == []


def test_existing_keys_are_never_overwritten(tmp_path: Path) -> None:
    write_key_dir(generate(INTL), tmp_path)
    before = (tmp_path / "encryption.key").read_text()
    with pytest.raises(BidkitError) as caught:
        write_key_dir(generate(INTL), tmp_path)
    assert caught.value.code == "file_exists"
    assert (tmp_path / "encryption.key").read_text() == before


def test_json_key_file_as_seal_js_exports_it(tmp_path: Path) -> None:
    keys = generate(INTL)
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(keys.to_json()))
    assert load_keys(path).encryption_public == keys.encryption_public

    doc = keys.to_json()
    doc["encryption_public_key"] = generate(INTL).encryption_public.to_text()
    path.write_text(json.dumps(doc))
    with pytest.raises(BidkitError) as caught:
        load_keys(path)
    assert caught.value.code == "keys_mismatch"

    path.write_text('{"format": "something-else"}')
    with pytest.raises(BidkitError) as caught:
        load_keys(path)
    assert caught.value.code == "keys_invalid"


def test_broken_and_mixed_keys_are_refused(tmp_path: Path) -> None:
    write_key_dir(generate(INTL), tmp_path)
    (tmp_path / "signing.key").write_text("ed25519-private:not base64!")
    with pytest.raises(BidkitError) as caught:
        load_keys(tmp_path)
    assert caught.value.code == "keys_invalid"

    (tmp_path / "signing.key").write_text(GM.generate_signing_key().to_text())
    (tmp_path / "signing.pub").unlink()
    with pytest.raises(BidkitError) as caught:
        load_keys(tmp_path)
    assert "do not form a suite" in caught.value.message_en

    (tmp_path / "signing.key").write_text(PrivateKey.generate(KeyAlgorithm.ED25519).to_text())
    (tmp_path / "encryption.pub").write_text(generate(INTL).encryption_public.to_text())
    with pytest.raises(BidkitError) as caught:
        load_keys(tmp_path)
    assert caught.value.code == "keys_mismatch"

    with pytest.raises(BidkitError) as caught:
        load_keys(tmp_path / "missing")
    assert caught.value.code == "file_not_found"


def test_readable_private_keys_are_reported(tmp_path: Path) -> None:
    write_key_dir(generate(INTL), tmp_path)
    (tmp_path / "signing.key").chmod(0o644)
    assert insecure_key_files(tmp_path) == [tmp_path / "signing.key"]


def test_public_key_text_or_file(tmp_path: Path) -> None:
    key = INTL.generate_wrapping_key().public_key
    (tmp_path / "opening.pub").write_text(key.to_text() + "\n")
    assert parse_public_key(key.to_text()) == key
    assert parse_public_key(f"@{tmp_path / 'opening.pub'}", algorithm=KeyAlgorithm.X25519) == key
    with pytest.raises(BidkitError) as caught:
        parse_public_key(key.to_text(), algorithm=KeyAlgorithm.SM2)
    assert caught.value.code == "keys_mismatch"
    with pytest.raises(BidkitError) as caught:
        parse_public_key("x25519:AAAA")
    assert caught.value.code == "keys_invalid"
