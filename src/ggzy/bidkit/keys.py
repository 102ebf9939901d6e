"""The bidder's key pair set (投标人密钥): a signing key and an encryption key.

Kept in a directory (``ggzy bidkit keygen --out DIR``)::

    DIR/signing.key      ed25519-private:… | sm2-private:…   mode 0600, secret
    DIR/encryption.key   x25519-private:…  | sm2-private:…   mode 0600, secret
    DIR/signing.pub      ed25519:…         | sm2:…           register on the platform
    DIR/encryption.pub   x25519:…          | sm2:…           register on the platform

or in one JSON file, the form the browser tool (``seal.js`` ``exportKeys``) saves::

    {"format": "ggzy-bidder-keys", "v": 1, "suite": "intl",
     "signing_key": "ed25519-private:…", "encryption_key": "x25519-private:…",
     "signing_public_key": "ed25519:…", "encryption_public_key": "x25519:…"}

Key texts are those of :mod:`ggzy.crypto.suites`. The suite follows from the key
algorithms: Ed25519 + X25519 is ``intl``, SM2 + SM2 is ``gm``.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ggzy.bidkit.errors import BidkitError, Code
from ggzy.crypto.errors import KeyFormatError
from ggzy.crypto.suites import SUITES, KeyAlgorithm, PrivateKey, PublicKey, Suite

__all__ = [
    "ENCRYPTION_KEY_FILE",
    "ENCRYPTION_PUBLIC_FILE",
    "KEYS_FORMAT",
    "SIGNING_KEY_FILE",
    "SIGNING_PUBLIC_FILE",
    "BidderKeys",
    "generate",
    "insecure_key_files",
    "load_keys",
    "parse_public_key",
    "write_key_dir",
]

SIGNING_KEY_FILE: Final = "signing.key"
ENCRYPTION_KEY_FILE: Final = "encryption.key"
SIGNING_PUBLIC_FILE: Final = "signing.pub"
ENCRYPTION_PUBLIC_FILE: Final = "encryption.pub"
KEYS_FORMAT: Final = "ggzy-bidder-keys"
_MAX_KEY_FILE: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class BidderKeys:
    """A bidder's signing key (签名密钥) and encryption key (加密密钥) of one suite."""

    suite: Suite
    signing: PrivateKey
    encryption: PrivateKey

    @property
    def signing_public(self) -> PublicKey:
        return self.signing.public_key

    @property
    def encryption_public(self) -> PublicKey:
        return self.encryption.public_key

    def to_json(self) -> dict[str, Any]:
        """The single-file form (contains the private keys: handle as a secret)."""
        return {
            "format": KEYS_FORMAT,
            "v": 1,
            "suite": self.suite.name,
            "signing_key": self.signing.to_text(),
            "encryption_key": self.encryption.to_text(),
            "signing_public_key": self.signing_public.to_text(),
            "encryption_public_key": self.encryption_public.to_text(),
        }


def _suite_for(signing: PrivateKey, encryption: PrivateKey) -> Suite:
    for suite in SUITES.values():
        if (
            signing.algorithm is suite.signing_algorithm
            and encryption.algorithm is suite.wrapping_algorithm
        ):
            return suite
    raise BidkitError(
        Code.KEYS_INVALID,
        "签名密钥与加密密钥不属于同一密码套件",
        f"a {signing.algorithm} signing key and a {encryption.algorithm} encryption key "
        "do not form a suite (intl: ed25519 + x25519, gm: sm2 + sm2)",
    )


def generate(suite: Suite) -> BidderKeys:
    """Fresh keys for ``suite``."""
    return BidderKeys(
        suite=suite,
        signing=suite.generate_signing_key(),
        encryption=suite.generate_wrapping_key(),
    )


def _write_new(path: Path, text: str, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise BidkitError(
            Code.FILE_EXISTS,
            f"文件已存在，不会覆盖密钥：{path}",
            f"refusing to overwrite an existing key file: {path}",
        ) from None
    with os.fdopen(fd, "w", encoding="ascii", newline="\n") as f:
        f.write(text + "\n")
    os.chmod(path, mode)  # the umask may have removed bits we asked for


def write_key_dir(keys: BidderKeys, directory: Path) -> list[Path]:
    """Write the four key files into ``directory`` (created 0700); never overwrites."""
    names = (SIGNING_KEY_FILE, ENCRYPTION_KEY_FILE, SIGNING_PUBLIC_FILE, ENCRYPTION_PUBLIC_FILE)
    existing = [name for name in names if (directory / name).exists()]
    if existing:
        raise BidkitError(
            Code.FILE_EXISTS,
            f"目录中已有密钥文件，不会覆盖：{directory}（请换一个目录）",
            f"{directory} already holds {', '.join(existing)}; choose another directory",
        )
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise BidkitError(
            Code.FILE_UNREADABLE, f"无法创建目录：{directory}", f"cannot create {directory}: {exc}"
        ) from exc
    contents = (
        (SIGNING_KEY_FILE, keys.signing.to_text(), 0o600),
        (ENCRYPTION_KEY_FILE, keys.encryption.to_text(), 0o600),
        (SIGNING_PUBLIC_FILE, keys.signing_public.to_text(), 0o644),
        (ENCRYPTION_PUBLIC_FILE, keys.encryption_public.to_text(), 0o644),
    )
    written = []
    for name, text, mode in contents:
        _write_new(directory / name, text, mode)
        written.append(directory / name)
    return written


def _read_small(path: Path, what_zh: str) -> str:
    try:
        if path.stat().st_size > _MAX_KEY_FILE:
            raise BidkitError(
                Code.KEYS_INVALID, f"{what_zh}文件过大：{path}", f"{path} is too large"
            )
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BidkitError(
            Code.FILE_NOT_FOUND, f"找不到{what_zh}文件：{path}", f"file not found: {path}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BidkitError(
            Code.FILE_UNREADABLE, f"无法读取{what_zh}文件：{path}", f"cannot read {path}: {exc}"
        ) from exc


def _private(text: str, what_zh: str, source: Path) -> PrivateKey:
    try:
        return PrivateKey.from_text(text.strip())
    except KeyFormatError as exc:
        raise BidkitError(
            Code.KEYS_INVALID,
            f"{what_zh}格式错误：{source}",
            f"{source}: {exc.message}",
        ) from exc


def _check_public(expected: PublicKey, text: object, source: Path, what_zh: str) -> None:
    if text is None:
        return
    if not isinstance(text, str):
        raise BidkitError(Code.KEYS_INVALID, f"{what_zh}公钥格式错误：{source}", str(source))
    try:
        given = PublicKey.from_text(text)
    except KeyFormatError as exc:
        raise BidkitError(
            Code.KEYS_INVALID, f"{what_zh}公钥格式错误：{source}", f"{source}: {exc.message}"
        ) from exc
    if given != expected:
        raise BidkitError(
            Code.KEYS_MISMATCH,
            f"{what_zh}公钥与私钥不匹配：{source}",
            f"{source}: the public key does not belong to the private key",
        )


def _load_json(path: Path) -> BidderKeys:
    try:
        doc = json.loads(_read_small(path, "密钥"))
    except ValueError as exc:
        raise BidkitError(
            Code.KEYS_INVALID, f"密钥文件不是有效的 JSON：{path}", f"{path}: {exc}"
        ) from exc
    if not isinstance(doc, dict) or doc.get("format") != KEYS_FORMAT or doc.get("v") != 1:
        raise BidkitError(
            Code.KEYS_INVALID,
            f"不是投标人密钥文件：{path}",
            f'{path} is not a {{"format": "{KEYS_FORMAT}", "v": 1}} key file',
        )
    signing_text, encryption_text = doc.get("signing_key"), doc.get("encryption_key")
    if not isinstance(signing_text, str) or not isinstance(encryption_text, str):
        raise BidkitError(
            Code.KEYS_INVALID,
            f"密钥文件缺少私钥：{path}",
            f"{path} needs signing_key and encryption_key",
        )
    signing = _private(signing_text, "签名私钥", path)
    encryption = _private(encryption_text, "加密私钥", path)
    _check_public(signing.public_key, doc.get("signing_public_key"), path, "签名")
    _check_public(encryption.public_key, doc.get("encryption_public_key"), path, "加密")
    keys = BidderKeys(_suite_for(signing, encryption), signing, encryption)
    if doc.get("suite", keys.suite.name) != keys.suite.name:
        raise BidkitError(
            Code.KEYS_INVALID,
            f"密钥文件声明的密码套件与密钥算法不符：{path}",
            f"{path}: suite {doc.get('suite')!r} does not match the keys",
        )
    return keys


def load_keys(path: Path) -> BidderKeys:
    """Load a key directory written by :func:`write_key_dir`, or a JSON key file."""
    if not path.exists():
        raise BidkitError(
            Code.FILE_NOT_FOUND, f"找不到密钥目录或密钥文件：{path}", f"not found: {path}"
        )
    if path.is_file():
        return _load_json(path)
    signing_path, encryption_path = path / SIGNING_KEY_FILE, path / ENCRYPTION_KEY_FILE
    signing = _private(_read_small(signing_path, "签名私钥"), "签名私钥", signing_path)
    encryption = _private(_read_small(encryption_path, "加密私钥"), "加密私钥", encryption_path)
    for name, key, what in (
        (SIGNING_PUBLIC_FILE, signing.public_key, "签名"),
        (ENCRYPTION_PUBLIC_FILE, encryption.public_key, "加密"),
    ):
        if (path / name).exists():
            _check_public(key, _read_small(path / name, "公钥").strip(), path / name, what)
    return BidderKeys(_suite_for(signing, encryption), signing, encryption)


def insecure_key_files(path: Path) -> list[Path]:
    """Private key files that others on this machine can read (POSIX modes only)."""
    if os.name != "posix":
        return []
    candidates = [path] if path.is_file() else [path / SIGNING_KEY_FILE, path / ENCRYPTION_KEY_FILE]
    return [p for p in candidates if p.exists() and stat.S_IMODE(p.stat().st_mode) & 0o077]


def parse_public_key(text: str, *, algorithm: KeyAlgorithm | None = None) -> PublicKey:
    """A public key from its text form, or ``@FILE`` holding that text.

    Used for the tender's opening key (开标公钥) the platform publishes.
    """
    source = text
    if text.startswith("@"):
        source = _read_small(Path(text[1:]), "公钥").strip()
    try:
        key = PublicKey.from_text(source)
    except KeyFormatError as exc:
        raise BidkitError(
            Code.KEYS_INVALID,
            "公钥格式错误（应形如 x25519:… 或 sm2:…）",
            f"public key text: {exc.message}",
        ) from exc
    if algorithm is not None and key.algorithm is not algorithm:
        raise BidkitError(
            Code.KEYS_MISMATCH,
            f"公钥算法不符：需要 {algorithm}，得到 {key.algorithm}",
            f"expected a {algorithm} key, got {key.algorithm}",
        )
    return key
