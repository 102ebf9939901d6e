from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from ggzy import clock
from ggzy.bidkit import fingerprint
from ggzy.bidkit.fingerprint import (
    FIELDS,
    Fingerprint,
    collect,
    hash_value,
    linux_probe,
    macos_probe,
    windows_probe,
)


def test_hash_value_is_domain_separated_sha256() -> None:
    expected = hashlib.sha256(b"ggzy-bid-fingerprint-v1\x00hostname\x00pc-01").hexdigest()
    assert hash_value("hostname", "pc-01") == expected
    assert hash_value("cpu_id", "pc-01") != expected


def test_values_are_normalised_before_hashing() -> None:
    record = Fingerprint.from_raw(
        {
            "mac_address": {"AA-BB-CC-DD-EE-FF", "aa:bb:cc:dd:ee:ff"},
            "hostname": {"PC-01"},
            "disk_serial": {"  s123 "},
        },
        collected_at="2026-05-01T00:00:00Z",
    )
    assert record.fields["mac_address"] == [hash_value("mac_address", "aa:bb:cc:dd:ee:ff")]
    assert record.fields["hostname"] == [hash_value("hostname", "pc-01")]
    assert record.fields["disk_serial"] == [hash_value("disk_serial", "S123")]
    assert record.unavailable == [
        f for f in FIELDS if f not in ("mac_address", "hostname", "disk_serial")
    ]


def _fake_linux(root: Path) -> None:
    (root / "proc").mkdir()
    (root / "proc/cpuinfo").write_text(
        "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
        "model name\t: Intel(R) Xeon(R)\nstepping\t: 7\n\nprocessor\t: 1\nvendor_id\t: X\n"
    )
    (root / "etc").mkdir()
    (root / "etc/machine-id").write_text("0123456789abcdef0123456789abcdef\n")
    for dev, serial in (("nvme0n1", "S4EWNX0N123456 "), ("loop0", "ignored")):
        (root / "sys/block" / dev / "device").mkdir(parents=True)
        (root / "sys/block" / dev / "device/serial").write_text(serial)
    (root / "sys/block/sda/device").mkdir(parents=True)
    (root / "sys/block/sda/device/vpd_pg80").write_bytes(b"\x00\x80\x00\x08WD-12345")
    for iface, mac, physical in (
        ("lo", "00:00:00:00:00:00", False),
        ("eth0", "52:54:00:12:34:56", True),
        ("docker0", "02:42:ac:11:00:02", False),
    ):
        (root / "sys/class/net" / iface).mkdir(parents=True)
        (root / "sys/class/net" / iface / "address").write_text(mac + "\n")
        if physical:
            (root / "sys/class/net" / iface / "device").mkdir()


def test_linux_probe_reads_proc_and_sys(tmp_path: Path) -> None:
    _fake_linux(tmp_path)
    raw = linux_probe(tmp_path)
    assert raw == {
        "cpu_id": {
            "vendor_id=GenuineIntel; cpu family=6; model=85; stepping=7; "
            "model name=Intel(R) Xeon(R)"
        },
        "disk_serial": {"S4EWNX0N123456", "WD-12345"},
        "machine_id": {"0123456789abcdef0123456789abcdef"},
        "mac_address": {"52:54:00:12:34:56"},
    }
    assert linux_probe(tmp_path / "nothing") == {}


def test_windows_probe_parses_one_cim_query() -> None:
    calls: list[list[str]] = []

    def run(command: list[str]) -> str | None:
        calls.append(command)
        return (
            "cpu_id=BFEBFBFF000906EA\r\ndisk_serial=  WD-WX11A  \r\ndisk_serial=\r\n"
            "memory_serial=12345678\r\nmac_address=00:1A:2B:3C:4D:5E\r\n"
        )

    raw = windows_probe(run, machine_guid="6f1d0a2e-0000-4000-8000-000000000001")
    assert raw == {
        "cpu_id": {"BFEBFBFF000906EA"},
        "disk_serial": {"WD-WX11A"},
        "memory_serial": {"12345678"},
        "mac_address": {"00:1a:2b:3c:4d:5e"},
        "machine_id": {"6f1d0a2e-0000-4000-8000-000000000001"},
    }
    assert calls[0][0] == "powershell"
    assert len(calls) == 1


def test_windows_probe_falls_back_to_getmac() -> None:
    outputs = {"powershell": None, "getmac": '"Ethernet","00-1A-2B-3C-4D-5E","\\Device\\Tcpip"\r\n'}
    raw = windows_probe(lambda command: outputs[command[0]], machine_guid=None)
    assert raw == {"mac_address": {"00:1a:2b:3c:4d:5e"}}


def test_macos_probe_parses_ioreg_sysctl_profiler_ifconfig() -> None:
    outputs = {
        "ioreg": '  "IOPlatformUUID" = "8A2F0B4C-1111-2222-3333-444455556666"\n',
        "sysctl": "Apple M2\n",
        "system_profiler": (
            "NVMExpress:\n\n    Apple SSD Controller:\n\n      APPLE SSD AP0512Z:\n"
            "          Serial Number: 0ba0123456789\n\nMemory:\n\n      Memory Slot:\n"
            "          Serial Number: -\n"
        ),
        "ifconfig": "en0: flags=8863\n\tether a4:83:e7:01:02:03\n\tinet 10.0.0.2\n",
    }

    def run(command: list[str]) -> str | None:
        if command[-1] == "machdep.cpu.signature":
            return None  # Apple silicon has no CPUID signature
        return outputs[command[0]]

    raw = macos_probe(run)
    assert raw == {
        "machine_id": {"8A2F0B4C-1111-2222-3333-444455556666"},
        "cpu_id": {"Apple M2"},
        "disk_serial": {"0ba0123456789"},
        "mac_address": {"a4:83:e7:01:02:03"},
    }


def test_collect_holds_only_hashes(tmp_path: Path) -> None:
    _fake_linux(tmp_path)
    import datetime as dt

    with clock.frozen(dt.datetime(2026, 5, 1, 1, 2, 3, tzinfo=dt.UTC)):
        record = collect(probe=lambda: linux_probe(tmp_path)).to_json()
    text = json.dumps(record)
    for secret in ("52:54:00:12:34:56", "S4EWNX0N123456", "0123456789abcdef0123", "GenuineIntel"):
        assert secret not in text
    assert record["collected_at"] == "2026-05-01T01:02:03Z"
    assert record["prefix"] == "ggzy-bid-fingerprint-v1"
    assert list(record["fields"]) == list(FIELDS)
    for name, hashes in record["fields"].items():
        assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), name
    assert record["fields"]["machine_id"] == [
        hash_value("machine_id", "0123456789abcdef0123456789abcdef")
    ]
    assert record["fields"]["tool_version"] == [hash_value("tool_version", "ggzy-bidkit/0.1.0")]
    assert "memory_serial" in record["unavailable"]
    assert record["fields"]["hostname"]


def test_a_failing_probe_never_stops_sealing() -> None:
    def broken() -> fingerprint.Raw:
        raise RuntimeError("WMI is broken")

    record = collect(probe=broken)
    assert "cpu_id" in record.unavailable
    assert record.fields["os"]
