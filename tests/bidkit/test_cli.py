from __future__ import annotations

import ast
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from tests.bidkit.helpers import BIDDER, PRICE, SECTION, Bid, make_bid, run

import ggzy.bidkit
from ggzy.crypto.envelope import open_envelope, read_header, unwrap_content_key

SRC = Path(ggzy.bidkit.__file__).parent


def _stderr_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("suite", ["intl", "gm"])
def test_keygen_package_seal_verify_release(
    tmp_path: Path, suite: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bid = make_bid(tmp_path, suite=suite)
    capsys.readouterr()

    # The platform's view at the opening: the opening key opens it, consistently.
    data = bid.envelope.read_bytes()
    header = read_header(io.BytesIO(data))
    assert (header.tender_ref, header.bidder_ref, header.suite.name) == (SECTION, BIDDER, suite)
    out = io.BytesIO()
    result = open_envelope(io.BytesIO(data), out, unwrap_content_key(header, bid.opening))
    assert result.consistent
    assert out.getvalue() == bid.package.read_bytes()
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as zf:
        assert json.loads(zf.read("price-form.json"))["amount"] == PRICE["amount"]

    record = json.loads(bid.record.read_text())
    assert record["envelope"]["size"] == len(data)
    assert record["commitment"] == header.commitment.hex()
    assert (record["section"], record["bidder"], record["suite"]) == (SECTION, BIDDER, suite)
    assert record["keys"]["opening"] == header.recipient("opening").kid

    release = tmp_path / "release.json"
    assert run("release-key", "--envelope", str(bid.envelope), "--keys", str(bid.keys),
               "--out", str(release)) == 0  # fmt: skip
    statement = json.loads(release.read_text())["statement"]
    assert statement["envelope_sha256"] == record["envelope"]["sha256"]
    assert release.stat().st_mode & 0o077 == 0

    extracted = tmp_path / "opened.zip"
    signing_pub = (bid.keys / "signing.pub").read_text().strip()
    verify = ["verify", "--envelope", str(bid.envelope), "--release", str(release)]
    checks = ["--signing-key", signing_pub, "--package", str(bid.package), "--section", SECTION]
    assert run(*verify, *checks, "--bidder", BIDDER, "--extract", str(extracted)) == 0
    assert extracted.read_bytes() == bid.package.read_bytes()
    out_text = capsys.readouterr().out
    assert "一致性 consistency: OK" in out_text
    assert "签名 signature:    OK" in out_text

    assert run("verify", "--envelope", str(bid.envelope), "--keys", str(bid.keys)) == 0


def test_keygen_prints_both_public_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("keygen", "--out", str(tmp_path / "k")) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-1] == (tmp_path / "k" / "signing.pub").read_text().strip()
    assert lines[1].split()[-1] == (tmp_path / "k" / "encryption.pub").read_text().strip()
    assert lines[0].split()[-1].startswith("ed25519:")
    assert run("keygen", "--out", str(tmp_path / "k")) == 2


def test_stdout_release_statement(bid: Bid, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert run("release-key", "--envelope", str(bid.envelope), "--keys", str(bid.keys)) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["statement"]["section"] == SECTION
    assert "只能在开标解密时段内提交" in captured.err


def test_tampered_envelope_is_detected(bid: Bid, capsys: pytest.CaptureFixture[str]) -> None:
    data = bytearray(bid.envelope.read_bytes())
    data[-5] ^= 0x01
    bad = bid.root / "tampered.ggzyenv"
    bad.write_bytes(bytes(data))
    capsys.readouterr()
    assert run("verify", "--envelope", str(bad), "--keys", str(bid.keys)) == 2
    assert "[envelope_tampered]" in _stderr_line(capsys)

    bad.write_bytes(bytes(data[:-40]))
    assert run("verify", "--envelope", str(bad)) == 2
    assert "[envelope_truncated]" in _stderr_line(capsys)

    bad.write_bytes(b"PK\x03\x04 a zip, not an envelope")
    assert run("verify", "--envelope", str(bad)) == 2
    assert "[envelope_malformed]" in _stderr_line(capsys)


def test_wrong_keys_section_bidder_and_package(
    bid: Bid, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    run("keygen", "--out", str(other))
    capsys.readouterr()
    env = str(bid.envelope)
    cases = [
        (["verify", "--envelope", env, "--keys", str(other)], "[signature_invalid]"),
        (["release-key", "--envelope", env, "--keys", str(other)], "[keys_mismatch]"),
        (["verify", "--envelope", env, "--section", "E999"], "[section_mismatch]"),
        (["verify", "--envelope", env, "--bidder", "91350100M000100Y43"], "[bidder_mismatch]"),
        (["verify", "--envelope", env, "--bidder", "91350100M000100Y4X"], "[bidder_invalid]"),
        (["verify", "--envelope", env, "--package", str(bid.root / "price.json")],
         "[package_mismatch]"),
        (["verify", "--envelope", env, "--release", str(bid.root / "price.json")], "[usage]"),
        (["verify", "--envelope", str(tmp_path / "missing.ggzyenv")], "[file_not_found]"),
    ]  # fmt: skip
    for argv, code in cases:
        assert run(*argv) == 2, argv
        assert code in _stderr_line(capsys), argv


def test_seal_refusals(bid: Bid, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["seal", "--package", str(bid.package), "--keys", str(bid.keys)]
    base += ["--opening-key", bid.opening_text, "--section", SECTION, "--bidder", BIDDER]
    out = ["--out", str(tmp_path / "new.ggzyenv")]
    gm_opening = "sm2:" + "A" * 88
    capsys.readouterr()
    cases = [
        ([*base, "--out", str(bid.envelope)], "[file_exists]"),
        ([*base[:-2], "--bidder", "91350100M000100Y43", *out], "[bidder_mismatch]"),
        ([*base, *out, "--suite", "gm"], "[keys_mismatch]"),
        ([*base[:5], "--opening-key", "x25519:???", *base[7:], *out], "[keys_invalid]"),
        ([*base[:5], "--opening-key", gm_opening, *base[7:], *out], "[keys_invalid]"),
        ([*base[:5], "--opening-key", (bid.keys / "encryption.pub").read_text().strip(),
          *base[7:], *out], "[keys_mismatch]"),
        ([*base[:7], "--section", " E1", *base[9:], *out], "[section_invalid]"),
        (["seal", "--package", str(bid.root / "price.json"), *base[3:], *out], "[package_invalid]"),
        ([*base, *out, "--chunk-size", "8"], "[usage]"),
        (["seal", "--package", str(bid.package)], "[usage]"),
    ]  # fmt: skip
    for argv, code in cases:
        assert run(*argv) == 2, argv
        assert code in _stderr_line(capsys), argv
    assert not (tmp_path / "new.ggzyenv").exists()
    assert not list(tmp_path.glob(".new.ggzyenv*"))
    assert run(*base, "--out", str(bid.envelope), "--force") == 0


def test_package_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.pdf").write_bytes(b"a")
    (tmp_path / "bad.json").write_text('{"price_form": 1, "amount": 1.5}')
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "ok.json").write_text(json.dumps(PRICE))
    out = str(tmp_path / "bid.zip")
    a_pdf = str(tmp_path / "a.pdf")
    cases = [
        (["--price-form", str(tmp_path / "bad.json"), a_pdf], "[price_form_invalid]"),
        (["--price-form", str(tmp_path / "broken.json"), a_pdf], "[price_form_invalid]"),
        (["--price-form", str(tmp_path / "none.json"), a_pdf], "[file_not_found]"),
        (["--price-form", str(tmp_path / "ok.json"), str(tmp_path / "b.pdf")], "[file_not_found]"),
        (["--price-form", str(tmp_path / "ok.json"), "--bidder", "123", a_pdf], "[bidder_invalid]"),
    ]
    for argv, code in cases:
        assert run("package", "--out", out, *argv) == 2, argv
        assert code in _stderr_line(capsys), argv
    assert not (tmp_path / "bid.zip").exists()


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--help") == 0
    assert "投标文件制作工具" in capsys.readouterr().out
    assert run("--version") == 0
    assert capsys.readouterr().out.strip() == "ggzy-bidkit 0.1.0"
    assert run() == 2
    assert run("frobnicate") == 2


def test_python_dash_m_runs_without_django(tmp_path: Path) -> None:
    code = (
        "import sys; from ggzy.bidkit.cli import main; rc = main(['keygen', '--out', sys.argv[1]]);"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported';"
        "raise SystemExit(rc)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "k")],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    done = subprocess.run(
        [sys.executable, "-m", "ggzy.bidkit", "verify", "--envelope", str(tmp_path / "x")],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "[file_not_found]" in done.stderr.decode()
    assert b"Traceback" not in done.stderr


def test_no_module_imports_django() -> None:
    for path in sorted(SRC.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.split(".")[0] == "django" for n in names), path
