"""``ggzy bidkit`` — command line of the bid-preparation tool (投标文件制作工具).

::

    ggzy bidkit keygen  --out KEYS [--suite intl|gm]
    ggzy bidkit package --out bid.zip --price-form price.json [--bidder USCC] FILE|DIR ...
    ggzy bidkit seal    --package bid.zip --keys KEYS --opening-key x25519:… \\
                        --section CODE --bidder USCC --out bid.ggzyenv [--suite intl|gm]
    ggzy bidkit verify  --envelope bid.ggzyenv [--package bid.zip] [--keys KEYS] ...
    ggzy bidkit submit  --url https://… --token … --section CODE --envelope bid.ggzyenv
    ggzy bidkit release-key --envelope bid.ggzyenv --keys KEYS [--out release.json]

Exit status: 0 success, 2 refused (bad input, failed check, platform refusal),
3 platform unreachable after retries (run again: the upload resumes), 130 interrupted.
Errors go to stderr as ``错误 error [code]: 中文 — English``, never as a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from ggzy import clock
from ggzy.bidkit import TOOL_NAME, TOOL_VERSION, fingerprint
from ggzy.bidkit.errors import EXIT_REFUSED, BidkitError, Code, from_crypto
from ggzy.bidkit.keys import (
    BidderKeys,
    generate,
    insecure_key_files,
    load_keys,
    parse_public_key,
    write_key_dir,
)
from ggzy.bidkit.package import build_package
from ggzy.bidkit.pricing import parse_price_form
from ggzy.bidkit.release import build_release, verify_release
from ggzy.bidkit.sealing import (
    EnvelopeFacts,
    check_bidder,
    check_section,
    decrypt_check,
    inspect_envelope,
    load_record,
    seal_package,
    write_json,
)
from ggzy.bidkit.upload import RetryPolicy, parse_platform_key, submit_envelope
from ggzy.crypto.envelope import (
    DEFAULT_CHUNK_SIZE,
    MAX_CHUNK_SIZE,
    MIN_CHUNK_SIZE,
    EnvelopeHeader,
    unwrap_content_key,
    verify_header_signature,
)
from ggzy.crypto.errors import CryptoError
from ggzy.crypto.suites import SUITES, PublicKey

__all__ = ["build_parser", "main"]

Handler = Callable[[argparse.Namespace], int]


def _out(text: str = "") -> None:
    print(text, file=sys.stdout)


def _note(text: str) -> None:
    print(text, file=sys.stderr)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in the tool's error format."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        _note(BidkitError(Code.USAGE, "命令参数有误", message).render())
        raise SystemExit(EXIT_REFUSED)


def _chunk_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not MIN_CHUNK_SIZE <= value <= MAX_CHUNK_SIZE:
        raise argparse.ArgumentTypeError(f"must be {MIN_CHUNK_SIZE}..{MAX_CHUNK_SIZE}")
    return value


def _warn_key_modes(path: Path) -> None:
    for weak in insecure_key_files(path):
        _note(f"警告 warning: 私钥文件可被其他用户读取，请执行 chmod 600 {weak}")


# ----------------------------------------------------------------------------- keygen


def _keygen(args: argparse.Namespace) -> int:
    keys = generate(SUITES[args.suite])
    write_key_dir(keys, Path(args.out))
    _out(f"签名公钥 signing public key:    {keys.signing_public.to_text()}")
    _out(f"加密公钥 encryption public key: {keys.encryption_public.to_text()}")
    _note(
        f"密钥已保存到 {args.out}（私钥文件权限 0600，请备份并妥善保管；"
        "丢失加密私钥将无法自行解密）。请在平台登记以上两个公钥。"
        f"\nKeys written to {args.out}; register both public keys on the platform."
    )
    return 0


# ----------------------------------------------------------------------------- package


def _package(args: argparse.Namespace) -> int:
    price_path = Path(args.price_form)
    try:
        data = json.loads(price_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BidkitError(
            Code.FILE_NOT_FOUND, f"找不到报价单文件：{price_path}", f"not found: {price_path}"
        ) from None
    except (OSError, ValueError) as exc:
        raise BidkitError(
            Code.PRICE_FORM_INVALID,
            f"报价单不是有效的 UTF-8 JSON：{price_path}",
            f"{price_path}: {exc}",
        ) from exc
    price_form = parse_price_form(data)
    bidder = check_bidder(args.bidder) if args.bidder else None
    info = build_package(
        Path(args.out), files=[Path(f) for f in args.files], price_form=price_form, bidder=bidder
    )
    _out(f"投标文件包 package: {info.path}")
    _out(f"大小 size:         {info.size}")
    _out(f"SHA-256:           {info.sha256}")
    _out(f"文件 entries:       {len(info.entries)} (含 price-form.json；另有 manifest.json)")
    return 0


# ----------------------------------------------------------------------------- seal


def _seal(args: argparse.Namespace) -> int:
    keys_path = Path(args.keys)
    keys = load_keys(keys_path)
    _warn_key_modes(keys_path)
    opening = parse_public_key(args.opening_key)
    record = seal_package(
        package=Path(args.package),
        keys=keys,
        opening_key=opening,
        section=args.section,
        bidder=args.bidder,
        out=Path(args.out),
        fingerprint=fingerprint.collect,
        suite=SUITES[args.suite] if args.suite else None,
        chunk_size=args.chunk_size,
        force=args.force,
    )
    envelope = record["envelope"]
    _out(f"加密投标文件 envelope:   {args.out}")
    _out(f"文件摘要 envelope SHA-256: {envelope['sha256']}")
    if envelope["digest_algorithm"] != "sha256":
        _out(f"文件摘要 envelope {envelope['digest_algorithm'].upper()}:    {envelope['digest']}")
    _out(f"承诺值 commitment ({record['commitment_algorithm']}): {record['commitment']}")
    _out(f"加密记录 record:        {args.out}.json")
    gaps = record["fingerprint"]["unavailable"]
    if gaps:
        _note(f"特征码中未能读取 fingerprint fields unavailable: {', '.join(gaps)}")
    _note("递交后请核对平台回执中的文件摘要与上面的 SHA-256 一致。")
    return 0


# ----------------------------------------------------------------------------- release-key


def _release_key(args: argparse.Namespace) -> int:
    keys_path = Path(args.keys)
    keys = load_keys(keys_path)
    _warn_key_modes(keys_path)
    facts = inspect_envelope(Path(args.envelope))
    header = facts.header
    if header.suite is not keys.suite:
        raise BidkitError(
            Code.KEYS_MISMATCH,
            f"该投标文件使用 {header.suite.name} 套件，密钥属于 {keys.suite.name} 套件",
            "the keys are of another suite than the envelope",
        )
    try:
        verify_header_signature(header, keys.signing_public)
    except CryptoError as exc:
        raise BidkitError(
            Code.KEYS_MISMATCH,
            "该投标文件不是用这套密钥签名的",
            "the envelope was not signed by these keys",
        ) from exc
    if header.recipient("bidder").kid != header.suite.key_id(keys.encryption_public):
        raise BidkitError(
            "wrong_key",
            "该投标文件不是加密给这把加密密钥的",
            "the envelope's bidder copy is not wrapped to this encryption key",
        )
    content_key = unwrap_content_key(header, keys.encryption)
    document = build_release(
        header=header,
        envelope_sha256=facts.sha256,
        content_key=content_key,
        signing_key=keys.signing,
        released_at=clock.now(),
    )
    if args.out:
        write_json(Path(args.out), document)
        _out(f"密钥释放声明 key release statement: {args.out}")
    else:
        _out(json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True))
    _note(
        "注意：该声明含解密密钥，只能在开标解密时段内提交给平台。"
        "\nThis statement contains the decryption key: hand it over only in the decryption window."
    )
    return 0


# ----------------------------------------------------------------------------- verify


def _read_release(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BidkitError(
            Code.FILE_NOT_FOUND, f"找不到文件：{path}", f"not found: {path}"
        ) from None
    except (OSError, ValueError) as exc:
        raise BidkitError(
            Code.RELEASE_INVALID, f"密钥释放声明不是有效的 JSON：{path}", str(exc)
        ) from exc


def _check_expected(args: argparse.Namespace, header: EnvelopeHeader) -> None:
    if args.section is not None and check_section(args.section) != header.tender_ref:
        raise BidkitError(
            Code.SECTION_MISMATCH,
            f"标段不符：文件属于 {header.tender_ref}，不是 {args.section}",
            f"the envelope is for section {header.tender_ref!r}, not {args.section!r}",
        )
    if args.bidder is not None and check_bidder(args.bidder) != header.bidder_ref:
        raise BidkitError(
            Code.BIDDER_MISMATCH,
            f"投标人不符：文件属于 {header.bidder_ref}",
            f"the envelope is from bidder {header.bidder_ref!r}",
        )


def _check_package(path: Path, header: EnvelopeHeader) -> None:
    if not path.is_file():
        raise BidkitError(Code.FILE_NOT_FOUND, f"找不到投标文件包：{path}", f"not found: {path}")
    digest = header.suite.new_hash()
    size = 0
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
            size += len(block)
    if digest.finalize() != header.commitment or size != header.plaintext_length:
        raise BidkitError(
            Code.PACKAGE_MISMATCH,
            "投标文件包与加密投标文件的承诺值不一致（不是加密的那个文件包）",
            f"{path} is not the package this envelope commits to",
        )


def _content_key(
    args: argparse.Namespace,
    facts: EnvelopeFacts,
    keys: BidderKeys | None,
    verify_key: PublicKey | None,
) -> bytes | None:
    """The content key from ``--release`` (checked) or from the bidder's own keys."""
    if args.release:
        if verify_key is None:
            raise BidkitError(
                Code.USAGE,
                "校验密钥释放声明需要 --keys 或 --signing-key",
                "--release needs --keys or --signing-key to check its signature",
            )
        release = verify_release(
            _read_release(Path(args.release)),
            verify_key=verify_key,
            header=facts.header,
            envelope_sha256=facts.sha256,
        )
        _out("密钥释放声明 key release: OK")
        return release.content_key
    if keys is None:
        return None
    try:
        return unwrap_content_key(facts.header, keys.encryption)
    except CryptoError as exc:
        raise from_crypto(exc, "unwrapping the bidder's copy of the content key") from exc


def _verify(args: argparse.Namespace) -> int:
    facts = inspect_envelope(Path(args.envelope))
    header = facts.header
    _out(f"结构 structure:    OK ({header.suite.name}, {facts.size} bytes)")
    _out(f"标段 section:      {header.tender_ref}")
    _out(f"投标人 bidder:     {header.bidder_ref}")
    _out(f"文件摘要 SHA-256:  {facts.sha256}")
    _out(f"承诺值 commitment: {header.commitment.hex()}")
    _check_expected(args, header)
    keys = load_keys(Path(args.keys)) if args.keys else None
    verify_key: PublicKey | None = keys.signing_public if keys else None
    if args.signing_key:
        verify_key = parse_public_key(args.signing_key, algorithm=header.suite.signing_algorithm)
    if verify_key is None:
        _out("签名 signature:    未检查 not checked (give --keys or --signing-key)")
    else:
        try:
            verify_header_signature(header, verify_key)
        except CryptoError as exc:
            raise from_crypto(exc, "header signature") from exc
        _out("签名 signature:    OK")
    content_key = _content_key(args, facts, keys, verify_key)
    if args.package:
        _check_package(Path(args.package), header)
        _out("投标文件包 package:  OK (matches the commitment)")
    if content_key is None:
        if args.extract:
            raise BidkitError(
                Code.USAGE, "--extract 需要 --keys 或 --release", "--extract needs a key"
            )
        _out("解密 decryption:    未检查 not checked (give --keys or --release)")
        return 0
    extract = Path(args.extract) if args.extract else None
    result = decrypt_check(facts.path, content_key, extract=extract)
    _out(f"解密 decryption:    OK ({result.plaintext_length} bytes)")
    _out("一致性 consistency: OK — 解密文件与投标人签名的承诺值一致")
    if extract is not None:
        _out(f"已解密到 extracted to: {extract}")
    return 0


# ----------------------------------------------------------------------------- submit


def _submit(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get("GGZY_TOKEN", "")
    if not token:
        raise BidkitError(
            Code.USAGE, "需要 --token（或环境变量 GGZY_TOKEN）", "--token or GGZY_TOKEN is required"
        )
    envelope = Path(args.envelope)
    facts = inspect_envelope(envelope)
    section = check_section(args.section)
    record = load_record(envelope)
    if record["envelope"].get("sha256") != facts.sha256:
        raise BidkitError(
            Code.RECORD_INVALID,
            "加密记录与加密投标文件不符（文件被替换或重新加密过？）",
            f"{envelope}.json describes another envelope than {envelope}",
        )
    platform_key = parse_platform_key(args.platform_key) if args.platform_key else None
    result = submit_envelope(
        facts,
        base_url=args.url,
        token=token,
        section=section,
        fingerprint=record["fingerprint"],
        chunk_size=args.chunk_size,
        policy=RetryPolicy(attempts=args.retries),
        timeout=args.timeout,
        platform_key=platform_key,
        progress=_note,
    )
    receipt = result.receipt
    _out("递交成功 submitted.")
    _out(f"投标编号 bid id:        {receipt.get('bid_id')}")
    _out(f"接收时间 received at:   {receipt.get('received_at')}")
    _out(f"文件摘要 envelope SHA-256: {receipt['envelope_sha256']} (与本地一致 matches)")
    _out(f"存证编号 ledger entry:  {receipt.get('ledger_entry_id')}")
    _out(f"回执 receipt saved:     {result.receipt_file}")
    if platform_key is not None:
        _out("回执签名 receipt signature: OK")
    return 0


# ----------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ggzy bidkit",
        description="投标文件制作工具 — prepare, seal, submit and release a bid offline.",
        epilog="退出码 exit status: 0 成功 ok, 2 拒绝/校验失败 refused, "
        "3 网络暂不可用 retry later.",
    )
    parser.add_argument("--version", action="version", version=f"{TOOL_NAME} {TOOL_VERSION}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("keygen", help="生成投标人签名密钥与加密密钥 generate the bidder's keys")
    p.add_argument("--out", required=True, metavar="DIR", help="key directory (created 0700)")
    p.add_argument("--suite", choices=sorted(SUITES), default="intl", help="default: intl")
    p.set_defaults(handler=_keygen)

    p = sub.add_parser("package", help="制作投标文件包 build the plaintext bid package (ZIP)")
    p.add_argument("--out", required=True, metavar="PKG.zip")
    p.add_argument("--price-form", required=True, metavar="price.json", help="报价单 price form")
    p.add_argument("--bidder", metavar="USCC", help="统一社会信用代码, written to manifest.json")
    p.add_argument("files", nargs="+", metavar="FILE", help="bid files or directories")
    p.set_defaults(handler=_package)

    p = sub.add_parser("seal", help="加密投标文件包 seal the package into an envelope")
    p.add_argument("--package", required=True, metavar="PKG.zip")
    p.add_argument("--keys", required=True, metavar="DIR", help="key directory or keys JSON")
    p.add_argument(
        "--opening-key", required=True, metavar="TEXT", help="开标公钥 x25519:… / sm2:… or @FILE"
    )
    p.add_argument("--section", required=True, metavar="CODE", help="标段编号 section code")
    p.add_argument("--bidder", required=True, metavar="USCC", help="统一社会信用代码")
    p.add_argument("--out", required=True, metavar="BID.ggzyenv")
    p.add_argument("--suite", choices=sorted(SUITES), help="must match the keys (default: theirs)")
    p.add_argument("--chunk-size", type=_chunk_size, default=DEFAULT_CHUNK_SIZE, metavar="N")
    p.add_argument("--force", action="store_true", help="replace an existing envelope")
    p.set_defaults(handler=_seal)

    p = sub.add_parser("release-key", help="开标解密：生成密钥释放声明 release the content key")
    p.add_argument("--envelope", required=True, metavar="BID.ggzyenv")
    p.add_argument("--keys", required=True, metavar="DIR")
    p.add_argument("--out", metavar="FILE", help="default: print to stdout")
    p.set_defaults(handler=_release_key)

    p = sub.add_parser("verify", help="校验加密投标文件（一致性判断）verify an envelope")
    p.add_argument("--envelope", required=True, metavar="BID.ggzyenv")
    p.add_argument("--package", metavar="PKG.zip", help="the package that was sealed")
    p.add_argument("--keys", metavar="DIR", help="bidder keys: check signature and decrypt")
    p.add_argument("--signing-key", metavar="TEXT", help="bidder's public signing key")
    p.add_argument("--release", metavar="FILE", help="a key release statement to decrypt with")
    p.add_argument("--section", metavar="CODE", help="expected section")
    p.add_argument("--bidder", metavar="USCC", help="expected bidder")
    p.add_argument("--extract", metavar="PKG.zip", help="also write the decrypted package")
    p.set_defaults(handler=_verify)

    p = sub.add_parser("submit", help="递交（断点续传）upload the envelope to the platform")
    p.add_argument("--url", required=True, metavar="BASE", help="https://platform.example")
    p.add_argument("--token", metavar="TOKEN", help="API token (or env GGZY_TOKEN)")
    p.add_argument("--section", required=True, metavar="CODE")
    p.add_argument("--envelope", required=True, metavar="BID.ggzyenv")
    p.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, metavar="N")
    p.add_argument("--retries", type=int, default=6, metavar="N", help="attempts per request")
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS")
    p.add_argument("--platform-key", metavar="KEY", help="verify the receipt's signature")
    p.set_defaults(handler=_submit)
    return parser


def _safe_streams() -> None:
    """Never die on a console that cannot show Chinese (e.g. a legacy Windows code page)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # a detached stream
                reconfigure(errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command; return the exit status (never raises for expected errors)."""
    _safe_streams()
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_REFUSED
    handler: Handler = args.handler
    try:
        return handler(args)
    except BidkitError as exc:
        _note(exc.render())
        return exc.exit_code
    except CryptoError as exc:
        _note(from_crypto(exc).render())
        return EXIT_REFUSED
    except OSError as exc:
        _note(BidkitError("io_error", "文件读写失败", str(exc)).render())
        return EXIT_REFUSED
    except KeyboardInterrupt:
        _note("已中断 interrupted")
        return 130
