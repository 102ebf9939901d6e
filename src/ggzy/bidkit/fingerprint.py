"""The machine fingerprint record (投标文件特征码) written when a bid is sealed.

Regulators compare these across bidders to find bids prepared on the same computer
(实施条例 Art 40(1)/(2): 视为串通投标; DOMAIN.md §7, data set 519 ``CPU_ID``,
``HARD_DISK_SERIAL_NUMBER``, ``MEMORY_SERIAL_NUMBER``, ``MAC_ADDRESS``, ``NET_ID``).
The record holds **hashes only, never the raw values**::

    value_hash = SHA-256("ggzy-bid-fingerprint-v1" ‖ 0x00 ‖ field ‖ 0x00 ‖ normalised value)

The prefix is fixed (no per-bidder salt) so that equal values from two bidders give
equal hashes — that is the point. It is a pseudonym, not secrecy: a MAC address or a
host name can be found again by trying candidates.

Every field is a sorted list of such hashes (a machine has several MAC addresses);
an empty list means the value could not be read, and its name is also listed in
``unavailable``. Values are gathered with the standard library only, best effort,
without administrator rights: ``/proc`` and ``/sys`` on Linux; the registry and one
PowerShell CIM query on Windows; ``ioreg``, ``sysctl``, ``ifconfig`` and
``system_profiler`` on macOS. Nothing is sent anywhere while collecting (the local IP
is read from an unconnected UDP socket's route choice; no packet leaves the machine).
"""

from __future__ import annotations

import contextlib
import hashlib
import platform
import re
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ggzy import clock
from ggzy.bidkit import TOOL_NAME, TOOL_VERSION

__all__ = [
    "FIELDS",
    "FINGERPRINT_FORMAT",
    "HASH_PREFIX",
    "Fingerprint",
    "collect",
    "hash_value",
    "linux_probe",
    "macos_probe",
    "windows_probe",
]

FINGERPRINT_FORMAT: Final = "ggzy-bid-fingerprint"
HASH_PREFIX: Final = b"ggzy-bid-fingerprint-v1"
FIELDS: Final = (
    "cpu_id",  # CPU_ID
    "disk_serial",  # HARD_DISK_SERIAL_NUMBER
    "machine_id",  # OS installation id: /etc/machine-id, MachineGuid, IOPlatformUUID
    "memory_serial",  # MEMORY_SERIAL_NUMBER
    "mac_address",  # MAC_ADDRESS
    "hostname",
    "os",
    "tool_version",
    "local_ip",  # NET_ID as seen on the bidder's machine
)
_TEST_NET: Final = ("192.0.2.1", 9)  # RFC 5737 documentation address: never contacted
_COMMAND_TIMEOUT: Final = 15.0
_MAC: Final = re.compile(r"([0-9a-f]{2})(?:[:-]([0-9a-f]{2})){5}", re.IGNORECASE)
_ZERO_MAC: Final = "00:00:00:00:00:00"

Raw = dict[str, set[str]]
Runner = Callable[[list[str]], str | None]


def hash_value(name: str, value: str) -> str:
    """The hex SHA-256 of one normalised value under the fixed domain prefix."""
    data = HASH_PREFIX + b"\x00" + name.encode("ascii") + b"\x00" + value.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def _normalise(name: str, value: str) -> str:
    value = " ".join(value.split())
    if name == "mac_address":
        return value.lower().replace("-", ":")
    if name in ("hostname", "machine_id"):
        return value.lower()
    if name in ("cpu_id", "disk_serial", "memory_serial"):
        return value.upper()
    return value


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The hashed record. ``fields`` maps each of :data:`FIELDS` to a sorted hash list."""

    fields: dict[str, list[str]]
    collected_at: str
    unavailable: list[str] = field(default_factory=list)

    @classmethod
    def from_raw(cls, raw: Raw, *, collected_at: str) -> Fingerprint:
        fields: dict[str, list[str]] = {}
        for name in FIELDS:
            values = {_normalise(name, v) for v in raw.get(name, set())}
            fields[name] = sorted({hash_value(name, v) for v in values if v})
        return cls(
            fields=fields,
            collected_at=collected_at,
            unavailable=[name for name in FIELDS if not fields[name]],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FINGERPRINT_FORMAT,
            "v": 1,
            "hash": "sha256",
            "prefix": HASH_PREFIX.decode("ascii"),
            "collected_at": self.collected_at,
            "fields": self.fields,
            "unavailable": self.unavailable,
        }


# ----------------------------------------------------------------------------- helpers


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip() or None
    except OSError:
        return None


def _add(raw: Raw, name: str, values: Iterable[str | None]) -> None:
    for value in values:
        if value and value.strip():
            raw.setdefault(name, set()).add(value.strip())


def _run(command: list[str]) -> str | None:
    """Run a read-only system query; ``None`` if it is missing, fails or takes too long."""
    exe = shutil.which(command[0])
    if exe is None:
        return None
    try:
        done = subprocess.run(  # noqa: S603 - fixed commands, no shell, no user input
            [exe, *command[1:]],
            capture_output=True,
            timeout=_COMMAND_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", errors="replace")


def _macs_in(text: str) -> list[str]:
    found = [m.group(0).lower().replace("-", ":") for m in _MAC.finditer(text)]
    return [m for m in found if m != _ZERO_MAC]


# ----------------------------------------------------------------------------- Linux


def _linux_cpu(root: Path) -> list[str]:
    info = _read(root / "proc/cpuinfo") or ""
    serial = re.search(r"^Serial\s*:\s*(\S+)", info, re.M)
    if serial and serial.group(1).strip("0"):
        return [serial.group(1)]  # ARM boards (Raspberry Pi …) have a real serial
    first = info.split("\n\n", 1)[0]
    keys = ("vendor_id", "cpu family", "model", "stepping", "model name", "CPU implementer")
    parts = []
    for key in keys:
        m = re.search(rf"^{re.escape(key)}\s*:\s*(.+)$", first, re.M)
        if m:
            parts.append(f"{key}={m.group(1).strip()}")
    return ["; ".join(parts)] if parts else []


def _linux_disks(root: Path) -> list[str]:
    serials: list[str] = []
    block = root / "sys/block"
    with contextlib.suppress(OSError):
        for dev in sorted(block.iterdir()):
            if dev.name.startswith(("loop", "ram", "zram", "dm-", "md", "sr", "fd")):
                continue
            serial = _read(dev / "device/serial")
            if serial is None:  # SCSI/SATA: unit serial number VPD page, 4-byte header
                with contextlib.suppress(OSError):
                    vpd = (dev / "device/vpd_pg80").read_bytes()
                    serial = vpd[4:].decode("ascii", errors="ignore").strip() or None
            if serial:
                serials.append(serial)
    if serials:
        return serials
    by_id = root / "dev/disk/by-id"  # fallback: udev names carry model_serial
    with contextlib.suppress(OSError):
        for link in sorted(by_id.iterdir()):
            name = link.name
            if (
                name.startswith(("ata-", "nvme-", "scsi-", "usb-"))
                and "-part" not in name
                and not name.startswith(("nvme-eui.", "nvme-nvme."))
            ):
                serials.append(name.split("-", 1)[1])
    return serials


def _linux_macs(root: Path) -> list[str]:
    net = root / "sys/class/net"
    physical: list[str] = []
    other: list[str] = []
    with contextlib.suppress(OSError):
        for iface in sorted(net.iterdir()):
            if iface.name == "lo":
                continue
            address = _read(iface / "address")
            if not address or address == _ZERO_MAC or not _MAC.fullmatch(address):
                continue
            (physical if (iface / "device").exists() else other).append(address)
    return physical or other


def linux_probe(root: Path = Path("/")) -> Raw:
    """Hardware and OS identifiers from ``/proc``, ``/sys`` and ``/etc`` under ``root``."""
    raw: Raw = {}
    _add(raw, "cpu_id", _linux_cpu(root))
    _add(raw, "disk_serial", _linux_disks(root))
    _add(
        raw,
        "machine_id",
        [_read(root / "etc/machine-id") or _read(root / "var/lib/dbus/machine-id")],
    )
    _add(raw, "mac_address", _linux_macs(root))
    return raw


# ----------------------------------------------------------------------------- Windows

_WINDOWS_QUERY: Final = (
    "$ErrorActionPreference='SilentlyContinue';"
    "Get-CimInstance Win32_Processor|ForEach-Object{'cpu_id='+$_.ProcessorId};"
    "Get-CimInstance Win32_DiskDrive|ForEach-Object{'disk_serial='+$_.SerialNumber};"
    "Get-CimInstance Win32_PhysicalMemory|ForEach-Object{'memory_serial='+$_.SerialNumber};"
    "Get-CimInstance Win32_NetworkAdapter -Filter 'PhysicalAdapter=True'|"
    "ForEach-Object{'mac_address='+$_.MACAddress}"
)


def _windows_machine_guid() -> str | None:
    if sys.platform != "win32":
        return None
    import winreg  # Windows only

    try:
        with winreg.OpenKey(
            winreg.HKEY_LOCAL_MACHINE,
            r"SOFTWARE\Microsoft\Cryptography",
            0,
            winreg.KEY_READ | winreg.KEY_WOW64_64KEY,
        ) as key:
            value, _kind = winreg.QueryValueEx(key, "MachineGuid")
    except OSError:
        return None
    return str(value)


def windows_probe(run: Runner = _run, machine_guid: str | None = None) -> Raw:
    """CPU, disk, memory and adapter ids from one PowerShell CIM query; MachineGuid."""
    raw: Raw = {}
    output = run(["powershell", "-NoProfile", "-NonInteractive", "-Command", _WINDOWS_QUERY])
    for line in (output or "").splitlines():
        name, sep, value = line.partition("=")
        name = name.strip()
        if sep and name in ("cpu_id", "disk_serial", "memory_serial") and value.strip():
            _add(raw, name, [value])
        elif sep and name == "mac_address":
            _add(raw, name, _macs_in(value))
    if "mac_address" not in raw:
        _add(raw, "mac_address", _macs_in(run(["getmac", "/fo", "csv", "/nh"]) or ""))
    _add(raw, "machine_id", [machine_guid])
    return raw


# ----------------------------------------------------------------------------- macOS


def _ioreg_value(text: str, key: str) -> str | None:
    m = re.search(rf'"{re.escape(key)}"\s*=\s*"([^"]+)"', text)
    return m.group(1) if m else None


def _profiler_serials(text: str) -> dict[str, list[str]]:
    """``Serial Number:`` lines of ``system_profiler`` output, by top-level section."""
    section = ""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line and not line[0].isspace() and line.rstrip().endswith(":"):
            section = line.strip().rstrip(":")
            continue
        m = re.match(r"\s+Serial Number:\s*(\S.*)$", line)
        if m:
            found.setdefault(section, []).append(m.group(1).strip())
    return found


def macos_probe(run: Runner = _run) -> Raw:
    """IOPlatformUUID, CPU brand/signature, disk and memory serials, Ethernet addresses."""
    raw: Raw = {}
    platform_device = run(["ioreg", "-rd1", "-c", "IOPlatformExpertDevice"]) or ""
    _add(raw, "machine_id", [_ioreg_value(platform_device, "IOPlatformUUID")])
    brand = (run(["sysctl", "-n", "machdep.cpu.brand_string"]) or "").strip()
    signature = (run(["sysctl", "-n", "machdep.cpu.signature"]) or "").strip()
    _add(raw, "cpu_id", ["; ".join(p for p in (brand, signature) if p)])
    profile = _profiler_serials(
        run(["system_profiler", "SPNVMeDataType", "SPSerialATADataType", "SPMemoryDataType"]) or ""
    )
    for section, serials in profile.items():
        name = "memory_serial" if section.startswith("Memory") else "disk_serial"
        _add(raw, name, [s for s in serials if s not in ("-", "Empty")])
    ether = re.findall(r"^\s+ether\s+(\S+)", run(["ifconfig"]) or "", re.M)
    _add(raw, "mac_address", [m for m in ether if _MAC.fullmatch(m) and m != _ZERO_MAC])
    return raw


# ----------------------------------------------------------------------------- everywhere


def _local_ip() -> str | None:
    """The address this machine would use for an outgoing connection (no packet is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(_TEST_NET)
            address = str(s.getsockname()[0])
    except OSError:
        return None
    return None if address.startswith("0.") else address


def _mac_from_uuid() -> str | None:
    node = uuid.getnode()
    if node >> 40 & 1:  # multicast bit set: Python made up a random number
        return None
    return ":".join(f"{node >> shift & 0xFF:02x}" for shift in range(40, -8, -8))


def common_probe() -> Raw:
    """Host name, OS, tool version and local IP: available on every platform."""
    raw: Raw = {}
    _add(raw, "hostname", [socket.gethostname()])
    os_text = " ".join(
        p
        for p in (platform.system(), platform.release(), platform.version(), platform.machine())
        if p
    )
    _add(raw, "os", [os_text])
    _add(raw, "tool_version", [f"{TOOL_NAME}/{TOOL_VERSION}"])
    _add(raw, "local_ip", [_local_ip()])
    return raw


def collect(*, probe: Callable[[], Raw] | None = None) -> Fingerprint:
    """Gather and hash this machine's identifiers (best effort; never raises)."""
    raw = common_probe()
    try:
        if probe is not None:
            system = probe()
        elif sys.platform.startswith("linux"):
            system = linux_probe()
        elif sys.platform == "win32":
            system = windows_probe(machine_guid=_windows_machine_guid())
        elif sys.platform == "darwin":
            system = macos_probe()
        else:
            system = {}
    except Exception:  # a gap in the fingerprint must never stop a bid
        system = {}
    for name, values in system.items():
        _add(raw, name, values)
    if "mac_address" not in raw:
        _add(raw, "mac_address", [_mac_from_uuid()])
    stamp = clock.now().isoformat(timespec="seconds").replace("+00:00", "Z")
    return Fingerprint.from_raw(raw, collected_at=stamp)
