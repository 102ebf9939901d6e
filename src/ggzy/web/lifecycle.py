"""``ggzy demo lifecycle``: one works tender from project entry to the signed opening record,
driven entirely through the public API (``/api/v1``) over HTTP, printing each step — what a
third-party trading system would do. The platform runs in-process on a loopback port; the
clock is moved forward (⏩) where the law makes people wait 20 days.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import tempfile
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests
from django.core.handlers.wsgi import WSGIHandler

from ggzy import clock
from ggzy.accounts import services as accounts
from ggzy.accounts.models import User
from ggzy.accounts.permissions import user_permissions
from ggzy.bidkit.package import build_package
from ggzy.bidkit.pricing import parse_price_form
from ggzy.bidkit.release import build_release
from ggzy.crypto import envelope as env
from ggzy.crypto.suites import INTL, PrivateKey, PublicKey
from ggzy.registry.models import Membership, Role
from ggzy.rules.timecalc import LOCAL_TZ

CHUNK = 256 * 1024


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class Client:
    def __init__(self, base: str, token: str | None) -> None:
        self.base = base
        self.http = requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, expect: int, **kw: Any) -> Any:
        r = self.http.request(method, self.base + path, timeout=60, **kw)
        if r.status_code != expect:
            raise RuntimeError(f"{method} {path} → {r.status_code}: {r.text[:500]}")
        return r.json() if r.content and "json" in r.headers.get("Content-Type", "") else r


def _token(user: User) -> str:
    scopes = sorted(p.value for p in user_permissions(user))
    return accounts.token_create(actor=user, name="lifecycle", scopes=scopes)[1]


def run(log: Callable[[str], None] = print) -> dict[str, Any]:
    server: WSGIServer = make_server("127.0.0.1", 0, WSGIHandler(), handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/api/v1"
    try:
        return _walk(base, log)
    finally:
        server.shutdown()


def _bidders() -> list[tuple[User, Any]]:
    rows = (
        Membership.objects.filter(role=Role.BIDDER, is_admin=True, status="active")
        .select_related("organization", "person__user")
        .order_by("organization__uscc")
    )
    out: list[tuple[User, Any]] = []
    for m in rows:
        if m.person.user is not None and m.organization not in [o for _, o in out]:
            out.append((m.person.user, m.organization))
        if len(out) == 3:
            break
    if len(out) < 3:
        raise RuntimeError("run `ggzy demo` first: three bidder organisations are needed")
    return out


def _walk(base: str, log: Callable[[str], None]) -> dict[str, Any]:  # noqa: PLR0915 - a script
    tenderer_user = User.objects.get(username="tenderer")
    staff = User.objects.get(username="staff")
    regulator = User.objects.get(username="fgw")
    tenderer = Client(base, _token(tenderer_user))
    centre = Client(base, _token(staff))
    anonymous = Client(base, None)
    org = Membership.objects.get(person__user=tenderer_user, role=Role.TENDERER).organization
    assert org is not None
    # early enough that the demo's evaluation, publicity and award after it are in the past
    t0 = clock.now() - dt.timedelta(days=35)
    step = iter(range(1, 100))

    def say(text: str) -> None:
        log(f"[{next(step):02d}] {text}")

    with clock.frozen(t0):
        p = tenderer.call(
            "POST",
            "/projects",
            201,
            json={
                "name": "白银市城区供水管网改造工程",
                "centre_code": "620400",  # the demo city's trading centre (进场交易中心)
                "region_code": "620402",
                "legal_person_uscc": org.uscc,
                "address": "白银市白银区",
                "industries_type": "E48",
                "fund_source": "财政资金",
                "project_scale": "新建改造供水管网 28 公里",
                "contactor": "李招标",
                "contact_information": "0943-8220000",
                "approval_name": "关于白银市城区供水管网改造工程可行性研究报告的批复",
                "approval_number": "白发改审批〔2026〕128号",
                "budget": "46000000",
            },
        )
        say(f"进场登记 project {p['code']}")
        tp = tenderer.call(
            "POST",
            f"/projects/{p['code']}/tenders",
            201,
            json={"name": "白银市城区供水管网改造工程施工招标", "trade_type_code": "works.open"},
        )
        say(f"招标项目 tender project {tp['code']} ({tp['trade_type_code']})")
        s = tenderer.call(
            "POST",
            f"/tenders/{tp['code']}/sections",
            201,
            json={
                "name": "施工一标段",
                "estimated_price": "30000000",
                "max_price": "29500000",
                "classify_codes": "A08",
                "limit_days": 365,
            },
        )
        say(f"标段 section {s['code']}, 统一交易标识码 {s['unified_deal_code']}")
        t = tenderer.call(
            "POST",
            f"/tendering/sections/{s['code']}/tender",
            201,
            json={
                "title": "白银市城区供水管网改造工程施工招标公告",
                "announcement_html": "<h3>一、招标条件</h3>"
                "<p>本项目已由白银市发展和改革委员会批准建设。</p>",
            },
        )
        tender_id = t["id"]
        tenderer.call(
            "POST",
            f"/tendering/tenders/{tender_id}/documents",
            201,
            files={"file": ("招标文件.pdf", b"%PDF-1.7 tender documents")},
        )
        say(f"招标公告草稿与招标文件 tender {tender_id}")
        custodian_keys: dict[str, PrivateKey] = {}
        for role, user in (
            ("centre", staff),
            ("supervisor", regulator),
            ("tenderer", tenderer_user),
        ):
            key = INTL.generate_wrapping_key()
            Client(base, _token(user)).call(
                "POST",
                "/platform/my-keys",
                201,
                json={"purpose": "encrypt", "public_key": key.public_key.to_text()},
            )
            custodian_keys[role] = key
        say("开标密钥保管人登记加密公钥（交易中心、发改委、招标人）")
        start = t0 + dt.timedelta(minutes=10)
        # the earliest ends the rule set allows (a period ending on a holiday runs on to the
        # next working day, so "20 days" is not always start + 20 days)
        ends = {
            key: dt.datetime.fromisoformat(
                anonymous.call(
                    "GET",
                    "/rules/trade-types/works.open/deadline",
                    200,
                    params={"key": key, "start": start.isoformat()},
                )["end"]
            )
            for key in ("doc_period_min_days", "bid_period_min_days")
        }
        docs_until = max(start + dt.timedelta(days=6), ends["doc_period_min_days"])
        bid_deadline = ends["bid_period_min_days"] + dt.timedelta(hours=9, minutes=30)
        say(
            "规则期限计算 /rules/trade-types/works.open/deadline: 投标截止最早 "
            f"{bid_deadline.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}（北京时间）"
        )
        t = tenderer.call(
            "POST",
            f"/tendering/tenders/{tender_id}/publish",
            200,
            json={
                "docs_from": start.isoformat(),
                "docs_until": docs_until.isoformat(),
                "bid_deadline": bid_deadline.isoformat(),
                "custodians": {"centre": "staff", "supervisor": "fgw", "tenderer": "tenderer"},
                "deposit_amount": "600000",
            },
        )
        say(
            f"发布招标公告 rules {t['ruleset']}; 投标截止 {t['bid_deadline']}; "
            f"开标公钥 {t['opening_key_id'][:12]}…"
        )
    deadline = dt.datetime.fromisoformat(t["bid_deadline"])

    with clock.frozen(start + dt.timedelta(hours=2)):
        doc_id = t["documents"][0]["id"]
        r = anonymous.call("GET", f"/tendering/documents/{doc_id}", 200)
        say(f"匿名下载招标文件（无需报名） sha256 {hashlib.sha256(r.content).hexdigest()[:16]}…")

    bidders = []
    with clock.frozen(start + dt.timedelta(days=10)):
        for i, (user, borg) in enumerate(_bidders()):
            client = Client(base, _token(user))
            signing, encrypt = INTL.generate_signing_key(), INTL.generate_wrapping_key()
            client.call(
                "POST",
                f"/entities/{borg.uscc}/keys",
                201,
                json={"purpose": "sign", "public_key": signing.public_key.to_text()},
            )
            with tempfile.TemporaryDirectory() as tmp:
                doc = Path(tmp) / "技术标.pdf"
                doc.write_bytes(f"%PDF-1.7 technical proposal of {borg.name}".encode())
                pkg = Path(tmp) / "bid.zip"
                build_package(
                    pkg,
                    files=[doc],
                    price_form=parse_price_form(
                        {
                            "price_form": 1,
                            "amount": str(Decimal("28600000") + 137000 * i) + ".00",
                            "price_unit": 0,
                            "duration_days": 330 + 10 * i,
                            "quality": "合格",
                        }
                    ),
                )
                out = io.BytesIO()
                env.seal(
                    io.BytesIO(pkg.read_bytes()),
                    out,
                    suite=INTL,
                    opening_public_key=PublicKey.from_text(t["opening_public_key"]),
                    bidder_public_key=encrypt.public_key,
                    bidder_signing_key=signing,
                    tender_ref=s["code"],
                    bidder_ref=borg.uscc,
                )
            data = out.getvalue()
            up = client.call(
                "POST",
                f"/tendering/sections/{s['code']}/uploads",
                201,
                json={
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "chunk_size": CHUNK,
                    "bidder": borg.uscc,
                },
            )
            for n in range(0, len(data), CHUNK):
                part = data[n : n + CHUNK]
                client.call(
                    "PUT",
                    f"/tendering/uploads/{up['upload_id']}/chunks/{n // CHUNK}",
                    204,
                    data=part,
                    headers={"X-Chunk-SHA256": hashlib.sha256(part).hexdigest()},
                )
            receipt = client.call(
                "POST",
                f"/tendering/uploads/{up['upload_id']}/complete",
                201,
                json={"fingerprint": {"tool": "lifecycle"}},
            )
            say(f"{borg.name} 递交加密投标文件 {len(data)} 字节，回执 {receipt['received_at']}")
            bidders.append((client, borg, signing, encrypt, receipt, data))

    with clock.frozen(deadline + dt.timedelta(minutes=1)):
        centre.call("POST", f"/tendering/tenders/{tender_id}/opening", 201)
        say("⏩ 投标截止，开标开始（不见面开标）")
        for client, borg, signing, encrypt, receipt, data in bidders:
            client.call("POST", f"/tendering/bids/{receipt['bid_id']}/sign-in", 200)
            header = env.read_header(io.BytesIO(data))
            statement = build_release(
                header=header,
                envelope_sha256=receipt["envelope_sha256"],
                content_key=env.unwrap_content_key(header, encrypt),
                signing_key=signing,
                released_at=clock.now(),
            )
            res = client.call(
                "POST", f"/tendering/bids/{receipt['bid_id']}/key-release", 200, json=statement
            )
            say(f"{borg.name} 签到并解密：{res['consistency']}，报价 {res['price']['amount']} 元")
        record = centre.call("POST", f"/tendering/tenders/{tender_id}/opening/record", 200)
        say(
            f"开标记录表 sha256 {record['record_sha256'][:16]}…，有效投标 "
            f"{record['record']['valid_bids']} 家"
        )
        for client, _borg, *_rest, receipt, _data in bidders:
            client.call("POST", f"/tendering/bids/{receipt['bid_id']}/confirm", 200, json={})
        closed = centre.call("POST", f"/tendering/tenders/{tender_id}/opening/close", 200)
        say(f"投标人确认开标记录，开标结束：{closed['state']}")
    checkpoint = anonymous.call("GET", "/ledger/checkpoint", 200).text.splitlines()
    say(f"存证日志检查点 size {checkpoint[1]}，root {checkpoint[2][:16]}…")
    return {
        "tender": tender_id,
        "record": record["record"],
        "checkpoint": checkpoint[:3],
        "custodians": sorted(custodian_keys),
    }


__all__ = ["run"]
