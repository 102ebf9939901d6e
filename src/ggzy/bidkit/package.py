"""The plaintext bid package (投标文件包): a deterministic ZIP.

Layout, in this order::

    price-form.json        the validated price form (报价单), see pricing.py
    files/<name>           each bid file (投标文件), sorted by name;
    files/<dir>/<path>     directories keep their relative paths
    manifest.json          {"format": "ggzy-bid-package", "v": 1, "bidder": USCC | null,
                            "files": [{"name", "size", "sha256"}, …]} — every entry above

The same inputs always give the same bytes: entries in a fixed order, every timestamp
1980-01-01 00:00:00, Unix attributes ``rw-r--r--``, no extra fields, names in Unicode
NFC (macOS hands out NFD names), DEFLATE at zlib's default level. (Determinism holds for
one zlib build; every CPython release so far ships output-identical zlib.) The bidder
can therefore rebuild the package from the same files and get the same commitment.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, Final

from ggzy.bidkit.errors import BidkitError, Code
from ggzy.bidkit.pricing import PriceForm, parse_price_form

__all__ = [
    "FILES_PREFIX",
    "MANIFEST_NAME",
    "PACKAGE_FORMAT",
    "PRICE_FORM_NAME",
    "PackageEntry",
    "PackageInfo",
    "atomic_output",
    "build_package",
    "collect_inputs",
    "read_package",
]

PACKAGE_FORMAT: Final = "ggzy-bid-package"
PRICE_FORM_NAME: Final = "price-form.json"
MANIFEST_NAME: Final = "manifest.json"
FILES_PREFIX: Final = "files/"
FIXED_DATE_TIME: Final = (1980, 1, 1, 0, 0, 0)
_UNIX: Final = 3
_FILE_MODE: Final = 0o100644
_BLOCK: Final = 1 << 20
_MAX_JSON: Final = 1 << 20


@dataclass(frozen=True, slots=True)
class PackageEntry:
    """One file of the package and its SHA-256."""

    name: str
    size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True, slots=True)
class PackageInfo:
    """A package that was built or read back and checked."""

    path: Path
    size: int
    sha256: str
    price_form: PriceForm
    bidder: str | None
    entries: tuple[PackageEntry, ...]


def _archive_component(part: str, source: Path) -> str:
    name = unicodedata.normalize("NFC", part)
    if (
        not name
        or name in (".", "..")
        or "\\" in name
        or any(unicodedata.category(c) in ("Cc", "Cs") for c in name)
    ):
        raise BidkitError(
            Code.PACKAGE_INVALID,
            f"文件名不能放入投标文件包：{source}",
            f"unusable file name (control characters, backslash or surrogates): {source!s}",
        )
    return name


def _walk(directory: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            yield Path(root) / name


def collect_inputs(paths: Sequence[Path]) -> list[tuple[str, Path]]:
    """Map each input file (or every file under an input directory) to its archive name.

    Refuses missing inputs, special files, names that collide (also case-insensitively,
    since Windows would overwrite one with the other) and an empty selection.
    """
    pairs: list[tuple[str, Path]] = []
    for given in paths:
        if not given.exists():
            raise BidkitError(Code.FILE_NOT_FOUND, f"找不到文件：{given}", f"not found: {given}")
        if given.is_dir():
            base = _archive_component(given.resolve().name, given)
            for path in _walk(given):
                if not path.is_file():
                    continue  # sockets, fifos, dangling links: not part of a bid
                parts = path.relative_to(given).parts
                rel = "/".join(_archive_component(p, path) for p in parts)
                pairs.append((f"{FILES_PREFIX}{base}/{rel}", path))
        elif given.is_file():
            pairs.append((FILES_PREFIX + _archive_component(given.name, given), given))
        else:
            raise BidkitError(
                Code.PACKAGE_INVALID, f"不是普通文件：{given}", f"not a regular file: {given}"
            )
    if not pairs:
        raise BidkitError(
            Code.PACKAGE_INVALID, "投标文件包至少需要一个文件", "no files to put in the package"
        )
    seen: dict[str, Path] = {}
    for name, path in pairs:
        key = name.casefold()
        if key in seen:
            raise BidkitError(
                Code.PACKAGE_INVALID,
                f"两个文件在包内同名：{seen[key]} 与 {path}",
                f"{seen[key]} and {path} would both be stored as {name}",
            )
        seen[key] = path
    return sorted(pairs)


def _zipinfo(name: str, size: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = _UNIX  # the same bytes on Windows, macOS and Linux
    info.external_attr = _FILE_MODE << 16
    info.file_size = size  # decides ZIP64 up front, from the size alone
    return info


def _add_bytes(zf: zipfile.ZipFile, name: str, data: bytes) -> PackageEntry:
    zf.writestr(_zipinfo(name, len(data)), data)
    return PackageEntry(name, len(data), hashlib.sha256(data).hexdigest())


def _add_file(zf: zipfile.ZipFile, name: str, source: Path) -> PackageEntry:
    try:
        with source.open("rb") as src:
            size = os.fstat(src.fileno()).st_size
            digest = hashlib.sha256()
            copied = 0
            with zf.open(_zipinfo(name, size), "w") as dest:
                while block := src.read(_BLOCK):
                    digest.update(block)
                    dest.write(block)
                    copied += len(block)
    except OSError as exc:
        raise BidkitError(
            Code.FILE_UNREADABLE, f"无法读取文件：{source}", f"cannot read {source}: {exc}"
        ) from exc
    if copied != size:
        raise BidkitError(
            Code.PACKAGE_INVALID,
            f"打包过程中文件发生了变化：{source}",
            f"{source} changed while it was being packaged; close the program editing it",
        )
    return PackageEntry(name, size, digest.hexdigest())


def _manifest(entries: Sequence[PackageEntry], bidder: str | None) -> bytes:
    doc = {
        "format": PACKAGE_FORMAT,
        "v": 1,
        "bidder": bidder,
        "files": [e.to_json() for e in entries],
    }
    return (json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


def _sha256_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


@contextlib.contextmanager
def atomic_output(out: Path) -> Iterator[IO[bytes]]:
    """Write ``out`` through a temporary file in the same directory, renamed on success.

    The file is created with mode 0600 (``mkstemp``): bids and keys stay private.
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    except OSError as exc:
        raise BidkitError(
            Code.FILE_UNREADABLE, f"无法写入：{out}", f"cannot write to {out.parent}: {exc}"
        ) from exc
    try:
        with os.fdopen(fd, "w+b") as f:
            yield f
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def build_package(
    out: Path, *, files: Sequence[Path], price_form: PriceForm, bidder: str | None = None
) -> PackageInfo:
    """Write the deterministic bid package ``out`` and return what it holds."""
    pairs = collect_inputs(files)
    target = out.resolve()
    for _name, source in pairs:
        if source.resolve() == target:
            raise BidkitError(
                Code.PACKAGE_INVALID,
                f"输出文件不能同时是输入文件：{out}",
                f"the output {out} is among the inputs; write it elsewhere",
            )
    if not out.parent.is_dir():
        raise BidkitError(
            Code.FILE_NOT_FOUND, f"输出目录不存在：{out.parent}", f"no such directory: {out.parent}"
        )
    with atomic_output(out) as f:
        with zipfile.ZipFile(f, "w", allowZip64=True) as zf:
            entries = [_add_bytes(zf, PRICE_FORM_NAME, price_form.to_bytes())]
            entries.extend(_add_file(zf, name, source) for name, source in pairs)
            _add_bytes(zf, MANIFEST_NAME, _manifest(entries, bidder))
        f.flush()
    size, sha256 = _sha256_file(out)
    return PackageInfo(out, size, sha256, price_form, bidder, tuple(entries))


# ----------------------------------------------------------------------------- read back


def _invalid(path: Path, zh: str, en: str) -> BidkitError:
    return BidkitError(Code.PACKAGE_INVALID, f"投标文件包无效（{zh}）：{path}", f"{path}: {en}")


def _read_json_member(zf: zipfile.ZipFile, name: str, path: Path) -> Any:
    info = zf.getinfo(name)
    if info.file_size > _MAX_JSON:
        raise _invalid(path, f"{name} 过大", f"{name} is too large")
    try:
        return json.loads(zf.read(name).decode("utf-8"))
    except (ValueError, zipfile.BadZipFile) as exc:
        raise _invalid(path, f"{name} 不是有效的 JSON", f"{name} is not UTF-8 JSON") from exc


def _hash_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    digest = hashlib.sha256()
    with zf.open(info) as member:
        while block := member.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _manifest_entries(doc: object, path: Path) -> tuple[str | None, list[PackageEntry]]:
    if not isinstance(doc, dict) or doc.get("format") != PACKAGE_FORMAT or doc.get("v") != 1:
        raise _invalid(path, "manifest.json 格式不符", "manifest.json has an unknown format")
    bidder, files = doc.get("bidder"), doc.get("files")
    if bidder is not None and not isinstance(bidder, str):
        raise _invalid(path, "manifest.json 的 bidder 无效", "manifest bidder must be a string")
    if not isinstance(files, list):
        raise _invalid(path, "manifest.json 缺少文件清单", "manifest files must be a list")
    entries = []
    for item in files:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("name"), str)
            or type(item.get("size")) is not int
            or not isinstance(item.get("sha256"), str)
        ):
            raise _invalid(path, "manifest.json 文件条目无效", "bad entry in manifest files")
        entries.append(PackageEntry(item["name"], item["size"], item["sha256"]))
    return bidder, entries


def _check_names(zf: zipfile.ZipFile, path: Path) -> None:
    names = zf.namelist()
    if len(set(names)) != len(names):
        raise _invalid(path, "包内有重复的文件名", "duplicate entry names")
    for name in names:
        parts = name.split("/")
        if name.startswith("/") or "\\" in name or ".." in parts or ":" in parts[0]:
            raise _invalid(path, f"包内文件名不安全：{name}", f"unsafe entry name {name!r}")


def read_package(
    path: Path,
    *,
    check_digests: bool = True,
    sha256: str | None = None,
    fileobj: BinaryIO | None = None,
) -> PackageInfo:
    """Open a bid package, validate its price form and, if present, its manifest.

    With ``check_digests`` every member is re-hashed against ``manifest.json``. A caller
    that has just decrypted the package (the opening's consistency check) passes it as a
    seekable ``fileobj`` (``path`` then only names it in messages) with its ``sha256``, so
    it is neither written to disk nor hashed a second time.
    """
    if fileobj is not None:
        if sha256 is None:
            raise ValueError("read_package(fileobj=...) needs the package's sha256")
        size = fileobj.seek(0, io.SEEK_END)
        fileobj.seek(0)
        return _read_zip(path, fileobj, size, sha256, check_digests=check_digests)
    if not path.is_file():
        raise BidkitError(
            Code.FILE_NOT_FOUND, f"找不到投标文件包：{path}", f"package not found: {path}"
        )
    try:
        if sha256 is None:
            size, sha256 = _sha256_file(path)
        else:
            size = path.stat().st_size
        with path.open("rb") as fh:
            return _read_zip(path, fh, size, sha256, check_digests=check_digests)
    except OSError as exc:
        raise BidkitError(
            Code.FILE_UNREADABLE, f"无法读取投标文件包：{path}", f"cannot read {path}: {exc}"
        ) from exc


def _read_zip(
    path: Path, fh: BinaryIO, size: int, sha256: str, *, check_digests: bool
) -> PackageInfo:
    try:
        with zipfile.ZipFile(fh) as zf:
            _check_names(zf, path)
            if PRICE_FORM_NAME not in zf.namelist():
                raise _invalid(
                    path,
                    "缺少 price-form.json，请先用 package 命令制作投标文件包",
                    "no price-form.json; build the package with `ggzy bidkit package`",
                )
            price_form = parse_price_form(_read_json_member(zf, PRICE_FORM_NAME, path))
            bidder: str | None = None
            entries: list[PackageEntry] = []
            if MANIFEST_NAME in zf.namelist():
                bidder, entries = _manifest_entries(
                    _read_json_member(zf, MANIFEST_NAME, path), path
                )
                listed = {e.name for e in entries}
                present = set(zf.namelist()) - {MANIFEST_NAME}
                if listed != present:
                    raise _invalid(
                        path,
                        "manifest.json 与包内文件不一致",
                        "manifest.json does not list exactly the package's files",
                    )
                for entry in entries if check_digests else ():
                    info = zf.getinfo(entry.name)
                    if info.file_size != entry.size or _hash_member(zf, info) != entry.sha256:
                        raise _invalid(
                            path,
                            f"{entry.name} 与 manifest.json 记录的摘要不符",
                            f"{entry.name} does not match its manifest digest",
                        )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise _invalid(path, "不是有效的 ZIP 文件", f"not a valid ZIP file: {exc}") from exc
    except OSError as exc:
        raise BidkitError(
            Code.FILE_UNREADABLE, f"无法读取投标文件包：{path}", f"cannot read {path}: {exc}"
        ) from exc
    return PackageInfo(path, size, sha256, price_form, bidder, tuple(entries))
