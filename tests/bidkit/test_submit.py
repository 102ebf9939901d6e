"""The resumable upload client against a real HTTP test double of the protocol."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.bidkit.helpers import SECTION, Bid, make_bid, run
from tests.bidkit.platform_double import Fault, PlatformDouble

from ggzy.bidkit import transport
from ggzy.bidkit.errors import BidkitError
from ggzy.bidkit.sealing import inspect_envelope
from ggzy.bidkit.upload import RetryPolicy, submit_envelope


@pytest.fixture
def platform() -> Iterator[PlatformDouble]:
    with PlatformDouble() as double:
        yield double


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff delays are computed but not slept, so retries cost no time."""
    monkeypatch.setattr(transport, "_sleep", lambda _seconds: None)


@pytest.fixture
def big_bid(tmp_path: Path) -> Bid:
    # ~6 kB of incompressible bid file: several 1 kB upload chunks.
    return make_bid(tmp_path / "bidder", payload=os.urandom(6000))


def _submit(bid: Bid, platform: PlatformDouble, *extra: str) -> int:
    return run(
        "submit",
        "--url", platform.url,
        "--token", platform.token,
        "--section", SECTION,
        "--envelope", str(bid.envelope),
        "--chunk-size", "1024",
        *extra,
    )  # fmt: skip


def _receipt(bid: Bid) -> dict[str, object]:
    receipt: dict[str, object] = json.loads(
        bid.envelope.with_name("bid.ggzyenv.receipt.json").read_text()
    )
    return receipt


def test_upload_completes_and_the_receipt_is_checked(
    big_bid: Bid, platform: PlatformDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _submit(big_bid, platform, "--platform-key", platform.public_key_b64) == 0
    [upload_id] = platform.receipts
    sent = big_bid.envelope.read_bytes()
    assert platform.envelopes[upload_id] == sent
    record = json.loads(big_bid.record.read_text())
    assert platform.fingerprints[upload_id] == record["fingerprint"]
    receipt = _receipt(big_bid)
    assert receipt["envelope_sha256"] == record["envelope"]["sha256"]
    assert receipt["bid_id"] == "BID-0001"
    chunks = platform.uploads[upload_id].count
    assert chunks == -(-len(sent) // 1024) > 5
    assert len(platform.requests("PUT")) == chunks
    assert not big_bid.envelope.with_name("bid.ggzyenv.upload.json").exists()
    out = capsys.readouterr().out
    assert "递交成功 submitted." in out
    assert "回执签名 receipt signature: OK" in out


def test_dropped_connection_mid_upload_resumes(
    big_bid: Bid, platform: PlatformDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    platform.faults = [
        Fault("PUT", r"/chunks/2$", kind="drop"),  # half the body read, then the socket closes
        Fault("PUT", r"/chunks/4$", kind="drop_after_store"),  # stored, answer lost
        Fault("PUT", r"/chunks/5$", kind="status", status=503),
        Fault("GET", r"/uploads/up001$", kind="status", status=502),
    ]
    assert _submit(big_bid, platform) == 0
    [upload_id] = platform.receipts
    assert platform.envelopes[upload_id] == big_bid.envelope.read_bytes()
    puts = platform.requests("PUT")
    assert puts.count(f"/api/v1/tendering/uploads/{upload_id}/chunks/2") == 2  # re-sent
    assert puts.count(f"/api/v1/tendering/uploads/{upload_id}/chunks/4") == 1  # found stored
    assert puts.count(f"/api/v1/tendering/uploads/{upload_id}/chunks/5") == 2
    err = capsys.readouterr().err
    assert "retry" in err
    assert "Traceback" not in err


def test_a_second_run_resumes_where_the_first_gave_up(
    big_bid: Bid, platform: PlatformDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    platform.faults = [Fault("PUT", r"/chunks/3$", kind="status", status=500, times=10)]
    assert _submit(big_bid, platform, "--retries", "2") == 3
    assert "[network_unavailable]" in capsys.readouterr().err
    state = json.loads(big_bid.envelope.with_name("bid.ggzyenv.upload.json").read_text())
    assert state["upload_id"] == "up001"
    assert sorted(platform.uploads["up001"].chunks) == [0, 1, 2]

    platform.faults = []
    before = len(platform.requests("PUT"))
    assert _submit(big_bid, platform) == 0
    resumed = platform.requests("PUT")[before:]
    count = platform.uploads["up001"].count
    assert resumed == [f"/api/v1/tendering/uploads/up001/chunks/{i}" for i in range(3, count)]
    assert len(platform.uploads) == 1
    assert "resuming upload up001" in capsys.readouterr().err


def test_deadline_passed_is_final(
    bid: Bid, platform: PlatformDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    platform.deadline_passed = True
    assert _submit(bid, platform) == 2
    assert "[bid_deadline_passed]: 投标截止时间已过" in capsys.readouterr().err
    assert len(platform.requests("POST")) == 1  # no retry


def test_deadline_passed_at_complete_even_as_a_5xx_is_not_retried(
    bid: Bid, platform: PlatformDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    platform.faults = [
        Fault("POST", "/complete$", kind="status", status=503, code="bid_deadline_passed")
    ]
    assert _submit(bid, platform) == 2
    assert "[bid_deadline_passed]" in capsys.readouterr().err
    assert len(platform.requests("POST", "/complete$")) == 1
    assert not platform.receipts


def test_lost_complete_answer_is_replayed(bid: Bid, platform: PlatformDouble) -> None:
    platform.faults = [Fault("POST", "/complete$", kind="drop_after_store")]
    assert _submit(bid, platform) == 0
    assert len(platform.requests("POST", "/complete$")) == 2
    assert len(platform.receipts) == 1
    assert _receipt(bid)["bid_id"] == "BID-0001"


def test_receipt_for_another_file_is_an_error(
    bid: Bid, platform: PlatformDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    platform.receipt_sha256 = "00" * 32
    assert _submit(bid, platform) == 2
    assert "[receipt_mismatch]" in capsys.readouterr().err
    assert _receipt(bid)["envelope_sha256"] == "00" * 32  # kept as evidence


def test_receipt_signature_with_the_wrong_platform_key(
    bid: Bid, platform: PlatformDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    with PlatformDouble() as impostor:
        assert _submit(bid, platform, "--platform-key", impostor.public_key_b64) == 2
    assert "[receipt_signature_invalid]" in capsys.readouterr().err


def test_refusals_before_and_from_the_platform(
    bid: Bid, platform: PlatformDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    env = str(bid.envelope)
    base = ["submit", "--url", platform.url, "--envelope", env]
    cases = [
        ([*base, "--token", platform.token, "--section", "E999"], "[section_mismatch]"),
        ([*base, "--token", "wrong", "--section", SECTION], "[not_authenticated]: 请先登录"),
        ([*base, "--section", SECTION], "[usage]"),
        (["submit", "--url", "ftp://x", "--token", "t", "--section", SECTION, "--envelope", env],
         "[usage]"),
    ]  # fmt: skip
    for argv, code in cases:
        assert run(*argv) == 2, argv
        assert code in capsys.readouterr().err, argv
    assert not platform.requests("PUT")

    bid.record.unlink()
    assert _submit(bid, platform) == 2
    assert "[record_invalid]" in capsys.readouterr().err


def test_unknown_section_on_the_platform(
    tmp_path: Path, platform: PlatformDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    platform.sections = {"OTHER"}
    bid = make_bid(tmp_path / "b")
    assert _submit(bid, platform) == 2
    assert "[section_not_found]: 标段不存在" in capsys.readouterr().err


def test_unreachable_platform_exits_3(bid: Bid, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    argv = ["submit", "--url", f"http://127.0.0.1:{port}", "--token", "t", "--retries", "2"]
    assert run(*argv, "--section", SECTION, "--envelope", str(bid.envelope)) == 3
    assert "run submit again to resume" in capsys.readouterr().err


def test_server_chunk_size_wins(bid: Bid, tmp_path: Path) -> None:
    with PlatformDouble(chunk_size=100) as platform:
        result = submit_envelope(
            inspect_envelope(bid.envelope),
            base_url=platform.url + "/",
            token=platform.token,
            section=SECTION,
            fingerprint={"format": "ggzy-bid-fingerprint"},
            chunk_size=1 << 20,
            policy=RetryPolicy(sleep=lambda _s: None),
        )
        assert result.chunk_count == platform.uploads[result.upload_id].count > 1
        assert result.chunks_sent == result.chunk_count


def test_malformed_server_answers_are_refused(bid: Bid) -> None:
    facts = inspect_envelope(bid.envelope)
    with PlatformDouble(chunk_size=-1) as platform, pytest.raises(BidkitError) as caught:
        submit_envelope(
            facts,
            base_url=platform.url,
            token=platform.token,
            section=SECTION,
            fingerprint={},
            policy=RetryPolicy(sleep=lambda _s: None),
        )
    assert caught.value.code == "server_response_invalid"


def test_backoff_grows_and_honours_retry_after() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    assert [policy.delay(n, None) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert policy.delay(1, 3.0) == 3.0
    assert policy.delay(1, 99.0) == 4.0
