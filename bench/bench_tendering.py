"""Bid submission and opening figures (不见面开标).

    .venv/bin/python bench/bench_tendering.py [--bids 1000] [--size 1048576]
        [--submissions 500] [--clients 50] [--workers 4] [--parts opening,submission]

Two parts, each in a child process on a fresh database:

* ``opening`` (SQLite): one published tender, ``--bids`` bidder organisations (each with its
  own registered signing key) each submit one sealed bid package of ``--size`` bytes through
  the chunked upload services; after the deadline (``clock.frozen``) the custodians release
  2 of 3 shares and every bid is opened with ``opening.custodian_decrypt`` — key recovery,
  content-key unwrap, receipt-hash check, AES-256-GCM decryption, commitment check, package
  read (price form), storage of the plaintext, ledger record. Timed: that loop. Compared with
  the raw AES-256-GCM decrypt + SHA-256 throughput of the same machine in the same run
  (``cryptography`` AESGCM over 1 MiB chunks, hashlib.sha256 over the same bytes).
* ``submission`` (PostgreSQL ``ggzy_bench_tendering`` on 127.0.0.1, skipped if unreachable):
  the platform under gunicorn (``--workers`` sync workers, ``GGZY_LEDGER_SEQUENCER=worker``),
  ``--submissions`` bidder organisations with API tokens and sealed envelopes prepared in
  advance, then ``--clients`` threads each running the full HTTP protocol per bid
  (POST start upload, PUT chunk(s), POST complete). Reported: submissions/s, p50/p99 of one
  full submission, errors.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MIB = 1024 * 1024


# --------------------------------------------------------------------------- setup helpers


class Setup:
    """A published tender and ``n`` bidder organisations, all through the services."""

    def __init__(self, n: int) -> None:
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.test import override_settings

        from ggzy import clock
        from ggzy.accounts import services as accounts
        from ggzy.crypto.suites import INTL, PrivateKey
        from ggzy.projects import services as projects
        from ggzy.registry import services as registry
        from ggzy.registry.models import Department, Role, TradingCentre
        from ggzy.tendering import services
        from ggzy.tendering.selectors import earliest_schedule

        self._n = 0
        # Argon2 for 1,000 sign-ups is setup time nobody is measuring.
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            staff = self.signup("staff", "赵工作")
            accounts.centre_bootstrap_staff(user=staff)
            centre = TradingCentre(
                code="620400", name="白银市公共资源交易中心", region_code="620400"
            )
            registry.reference_data_saved(actor=staff, obj=centre, changed=[], created=True)
            dept = Department(code="620400-01", name="市发展改革委", region_code="620400")
            registry.reference_data_saved(actor=staff, obj=dept, changed=[], created=True)
            registry.membership_grant(
                actor=staff, person=staff.person, role=Role.CENTRE_STAFF, centre=centre
            )
            regulator = self.signup("regulator", "钱监管")
            registry.membership_grant(
                actor=staff, person=regulator.person, role=Role.REGULATOR, department=dept
            )
            tenderer = self.signup("tenderer", "李招标")
            for u in (staff, regulator, tenderer):
                u.__dict__.pop("_ggzy_roles", None)
            tenderer_org = self.org(tenderer, ["tenderer"], "白银市城市建设投资有限公司")
            from django.core.management import call_command

            call_command("rules", "load", "--as", staff.username, verbosity=0)
            self.custodians = {"centre": staff, "supervisor": regulator, "tenderer": tenderer}
            self.custodian_keys = {}
            for role, user in self.custodians.items():
                key = PrivateKey.generate(INTL.wrapping_algorithm)
                registry.entity_key_register(
                    actor=user,
                    purpose="encrypt",
                    public_key=key.public_key.to_text(),
                    person=user.person,
                )
                self.custodian_keys[role] = key
            project = projects.project_register(
                actor=tenderer,
                centre=centre,
                name="白银市城区道路改造工程",
                region_code="620402",
                legal_person=tenderer_org,
                budget=Decimal("52000000"),
                approval_number="白发改投资〔2026〕88号",
            )
            tp = projects.tender_project_create(
                actor=tenderer,
                project=project,
                name="白银市城区道路改造工程施工招标",
                trade_type_code="works.open",
                tenderer=tenderer_org,
            )
            self.section = projects.section_create(
                actor=tenderer,
                tender_project=tp,
                name="一标段",
                estimated_price=Decimal("30000000"),
                max_price=Decimal("29500000"),
            )
            tender = services.tender_create(
                actor=tenderer,
                section=self.section,
                title="白银市城区道路改造工程施工招标公告",
                announcement_html="<p>招标条件：本项目已批准建设。</p>",
            )
            services.document_add(
                actor=tenderer,
                tender=tender,
                upload=SimpleUploadedFile("招标文件.pdf", b"%PDF-1.7 tender documents"),
            )
            dates = earliest_schedule(tender, clock.now() + dt.timedelta(minutes=1), bid_days=21)
            self.tender = services.tender_publish(
                actor=tenderer,
                tender=tender,
                docs_from=dates.docs_from,
                docs_until=dates.docs_until,
                bid_deadline=dates.bid_deadline,
                custodians=self.custodians,
            )
            self.staff = staff
            self.bidders: list[tuple[Any, Any, Any]] = []  # (user, org, signing key)
            for i in range(n):
                user = self.signup(f"bidder{i:05d}", "吴投标")
                org = self.org(user, ["bidder"], f"白银第{i + 1}建设工程有限公司")
                signing = INTL.generate_signing_key()
                registry.entity_key_register(
                    actor=user,
                    purpose="sign",
                    public_key=signing.public_key.to_text(),
                    organization=org,
                )
                user.__dict__.pop("_ggzy_roles", None)
                self.bidders.append((user, org, signing))
        self.bidder_encrypt = INTL.generate_wrapping_key()

    def signup(self, username: str, name: str) -> Any:
        from ggzy.accounts import services as accounts
        from ggzy.registry import identifiers as ids

        self._n += 1
        n = self._n
        body = f"62040219{80 + n % 20:02d}0{1 + n % 9}{10 + n % 18:02d}{n % 1000:03d}"
        return accounts.user_signup(
            username=username,
            password="Bench#pass2026",  # noqa: S106 - a throwaway bench account
            name=name,
            id_type="01",
            id_number=body + ids.citizen_id_check_char(body),
        )

    def org(self, user: Any, roles: list[str], name: str) -> Any:
        from ggzy.registry import identifiers as ids
        from ggzy.registry import services as registry

        self._n += 1
        body8 = f"{10_000_000 + self._n:08d}"
        return registry.organization_register(
            actor=user,
            uscc=ids.make_uscc("91620402" + body8 + ids.org_code_check_char(body8)),
            name=name,
            kind="enterprise",
            region_code="620402",
            legal_representative="张三",
            roles=roles,
        )

    def seal(self, plaintext: bytes, org: Any, signing: Any) -> bytes:
        from ggzy.crypto import envelope as env
        from ggzy.crypto.suites import INTL, PublicKey

        out = io.BytesIO()
        env.seal(
            io.BytesIO(plaintext),
            out,
            suite=INTL,
            opening_public_key=PublicKey.from_text(self.tender.opening_public_key),
            bidder_public_key=self.bidder_encrypt.public_key,
            bidder_signing_key=signing,
            tender_ref=self.section.code,
            bidder_ref=org.uscc,
        )  # the envelope's default chunk size (1 MiB), as bidkit seals
        return out.getvalue()


def bid_package(size: int) -> bytes:
    """A real bid package (price form + one ``size``-byte incompressible document)."""
    from ggzy.bidkit.package import build_package
    from ggzy.bidkit.pricing import parse_price_form

    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / "technical.pdf"
        doc.write_bytes(b"%PDF-1.7 " + os.urandom(max(size - 9, 1)))
        out = Path(tmp) / "bid.zip"
        build_package(
            out,
            files=[doc],
            price_form=parse_price_form(
                {
                    "price_form": 1,
                    "amount": "28800000.00",
                    "price_unit": 0,
                    "duration_days": 365,
                    "quality": "合格",
                }
            ),
        )
        return out.read_bytes()


def raw_aes_sha_mb_s(chunks: int, seconds: float = 3.0) -> float:
    """AES-256-GCM decrypt of 1 MiB chunks + SHA-256 over the same bytes: MiB/s (median of 3)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = AESGCM.generate_key(bit_length=256)
    aead = AESGCM(key)
    data = []
    for i in range(chunks):
        nonce = i.to_bytes(12, "big")
        data.append((nonce, aead.encrypt(nonce, os.urandom(MIB), b"aad")))
    runs = []
    for _ in range(3):
        done = 0
        t0 = time.perf_counter()
        while True:
            for nonce, ct in data:
                plain = aead.decrypt(nonce, ct, b"aad")
                hashlib.sha256(plain).digest()
                done += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= seconds:
                break
        runs.append(done / elapsed)
    return statistics.median(runs)


# --------------------------------------------------------------------------- part 1: opening


def child_opening(n: int, size: int) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from _common import setup_django

    vendor = setup_django()
    from ggzy import clock
    from ggzy.tendering import bids, keyshare, opening
    from ggzy.tendering.models import BidOpening, Consistency, CustodianShare

    t0 = time.perf_counter()
    world = Setup(n)
    t_world = time.perf_counter() - t0
    plaintext = bid_package(size)
    t0 = time.perf_counter()
    submitted = []
    envelope_bytes = 0
    for user, org, signing in world.bidders:
        data = world.seal(plaintext, org, signing)
        envelope_bytes += len(data)
        chunk = 8 * MIB
        up = bids.upload_start(
            actor=user,
            tender=world.tender,
            bidder=org,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            chunk_size=chunk,
        )
        for i in range(up.chunk_count):
            part = data[i * chunk : (i + 1) * chunk]
            bids.upload_chunk(
                actor=user, upload=up, index=i, data=part, sha256=hashlib.sha256(part).hexdigest()
            )
        submitted.append(bids.upload_complete(actor=user, upload=up))
    t_submit = time.perf_counter() - t0

    tender = world.tender
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=5)):
        session = opening.opening_start(actor=world.staff, tender=tender)
        assert session.state == "decrypting", session.state
        t0 = time.perf_counter()
        for role in ("centre", "supervisor"):
            share = CustodianShare.objects.get(tender=tender, role=role)
            plain = keyshare.open_sealed_share(
                bytes(share.wrapped_share), world.custodian_keys[role]
            )
            bids.share_release(actor=world.custodians[role], share=share, plaintext_share=plain)
        t_shares = time.perf_counter() - t0
        t0 = time.perf_counter()
        done = opening.custodian_decrypt_all(actor=world.staff, tender=tender)
        t_open = time.perf_counter() - t0
        assert done == n
        for opened in BidOpening.objects.filter(bid__in=submitted):
            assert opened.consistency == Consistency.CONSISTENT, opened.detail
            assert opened.price.get("amount") == "28800000.00", (opened.detail, opened.price)
        latencies = [t_open / n] * n  # one batch: the mean time per bid
        session = opening.opening_record(actor=world.staff, tender=tender)
        assert session.record["valid_bids"] == n, session.record["valid_bids"]
    raw = raw_aes_sha_mb_s(min(64, max(8, n * max(size, MIB) // MIB)))
    open_mb_s = envelope_bytes / MIB / t_open
    latencies.sort()
    return {
        "database": vendor,
        "bids": n,
        "plaintext_bytes": len(plaintext),
        "envelope_bytes_total": envelope_bytes,
        "setup_world_s": t_world,
        "setup_submit_s": t_submit,
        "share_release_s": t_shares,
        "open_s": t_open,
        "open_per_s": n / t_open,
        "open_mib_s": open_mb_s,
        "open_ms_p50": statistics.median(latencies) * 1000,
        "open_ms_p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "raw_aesgcm_sha256_mib_s": raw,
        "ratio": open_mb_s / raw,
        "sequencer": os.environ.get("GGZY_LEDGER_SEQUENCER", "inline"),
    }


# --------------------------------------------------------------------------- part 2: submission


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_submission(n: int, size: int, clients: int, workers: int) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from _common import setup_django

    vendor = setup_django()
    import requests

    from ggzy.accounts import services as accounts
    from ggzy.accounts.permissions import user_permissions
    from ggzy.tendering.models import Bid, BidStatus

    t0 = time.perf_counter()
    world = Setup(n)
    plaintext = bid_package(size)
    jobs = []
    for i, (user, org, signing) in enumerate(world.bidders):
        scopes = sorted(p.value for p in user_permissions(user))
        _tok, raw = accounts.token_create(actor=user, name=f"bench-{i}", scopes=scopes)
        data = world.seal(plaintext, org, signing)
        jobs.append((raw, data, hashlib.sha256(data).hexdigest()))
    t_setup = time.perf_counter() - t0
    from django.db import connections

    connections.close_all()

    port = _free_port()
    base = f"http://127.0.0.1:{port}/api/v1/tendering"
    env = dict(os.environ)
    env["GGZY_LEDGER_SEQUENCER"] = "worker"
    env["PYTHONPATH"] = str(HERE.parent / "src") + os.pathsep + env.get("PYTHONPATH", "")
    log = open(Path(os.environ["GGZY_DATA_DIR"]) / "gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ggzy.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 60
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/api/v1/", timeout=10)
                break
            except requests.RequestException:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        section = world.section.code
        chunk = 8 * MIB  # the platform's default chunk size: one PUT for a 1 MiB bid
        next_job = iter(range(len(jobs)))
        lock = threading.Lock()
        latencies: list[float] = []
        errors: list[str] = []
        barrier = threading.Barrier(clients + 1)

        def submit(http: Any, token: str, data: bytes, digest: str) -> None:
            http.headers["Authorization"] = f"Bearer {token}"
            r = http.post(
                f"{base}/sections/{section}/uploads",
                json={"size": len(data), "sha256": digest, "chunk_size": chunk},
                timeout=120,
            )
            if r.status_code != 201:
                raise RuntimeError(f"start {r.status_code} {r.text[:200]}")
            up = r.json()
            for i in range(0, len(data), chunk):
                part = data[i : i + chunk]
                r = http.put(
                    f"{base}/uploads/{up['upload_id']}/chunks/{i // chunk}",
                    data=part,
                    headers={
                        "X-Chunk-SHA256": hashlib.sha256(part).hexdigest(),
                        "Content-Type": "application/octet-stream",
                    },
                    timeout=120,
                )
                if r.status_code != 204:
                    raise RuntimeError(f"chunk {r.status_code} {r.text[:200]}")
            r = http.post(f"{base}/uploads/{up['upload_id']}/complete", json={}, timeout=120)
            if r.status_code != 201:
                raise RuntimeError(f"complete {r.status_code} {r.text[:200]}")

        def client() -> None:
            http = requests.Session()
            barrier.wait()
            while True:
                with lock:
                    i = next(next_job, None)
                if i is None:
                    return
                t = time.perf_counter()
                try:
                    submit(http, *jobs[i])
                except Exception as exc:  # counted and reported
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                elapsed = time.perf_counter() - t
                with lock:
                    latencies.append(elapsed)

        threads = [threading.Thread(target=client) for _ in range(clients)]
        for t in threads:
            t.start()
        barrier.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    stored = Bid.objects.filter(tender=world.tender, status=BidStatus.SUBMITTED).count()
    latencies.sort()
    return {
        "database": vendor,
        "submissions": n,
        "clients": clients,
        "workers": workers,
        "envelope_bytes": len(jobs[0][1]),
        "setup_s": t_setup,
        "wall_s": wall,
        "ok": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:5],
        "bids_stored": stored,
        "submissions_per_s": len(latencies) / wall,
        "mib_per_s": len(latencies) * len(jobs[0][1]) / MIB / wall,
        "latency_ms_p50": statistics.median(latencies) * 1000 if latencies else 0.0,
        "latency_ms_p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
        if latencies
        else 0.0,
    }


# --------------------------------------------------------------------------- driver


def main() -> None:
    from _common import fresh_postgres

    parser = argparse.ArgumentParser()
    parser.add_argument("--bids", type=int, default=1000, help="bids opened (part 1)")
    parser.add_argument("--size", type=int, default=MIB, help="bid document bytes")
    parser.add_argument("--submissions", type=int, default=500, help="HTTP submissions (part 2)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--parts", default="opening,submission")
    parser.add_argument(
        "--opening-sequencer",
        default="inline",
        choices=["inline", "worker"],
        help="GGZY_LEDGER_SEQUENCER for the opening part (inline: each decryption's ledger "
        "entry is integrated and checkpointed after its commit, as the default settings do)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "opening":
        print(json.dumps(child_opening(args.bids, args.size)))
        return
    if args.child == "submission":
        print(json.dumps(child_submission(args.submissions, args.size, args.clients, args.workers)))
        return

    results: dict[str, dict[str, Any]] = {}
    for part in args.parts.split(","):
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        if part == "submission":
            url = fresh_postgres("ggzy_bench_tendering")
            if url is None:
                print("PostgreSQL not reachable on 127.0.0.1:5432; submission part skipped")
                continue
            env["DATABASE_URL"] = url
        env["GGZY_DATA_DIR"] = tempfile.mkdtemp(prefix=f"ggzy-bench-tendering-{part}-")
        if part == "opening":
            env["GGZY_LEDGER_SEQUENCER"] = args.opening_sequencer
        cmd = [sys.executable, __file__, "--child", part]
        for flag in ("bids", "size", "submissions", "clients", "workers"):
            cmd += [f"--{flag}", str(getattr(args, flag))]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.stderr.write(done.stderr[-5000:])
            raise SystemExit(f"{part} child failed ({done.returncode})")
        results[part] = json.loads(done.stdout.strip().splitlines()[-1])
        shutil.rmtree(env["GGZY_DATA_DIR"], ignore_errors=True)  # ~2 GB at the defaults
        print(part, json.dumps(results[part], ensure_ascii=False))

    sys.path.insert(0, str(HERE))
    from _common import write_result

    figures = []
    if "opening" in results:
        r = results["opening"]
        db = r["database"]
        for key, unit in (
            ("open_s", "s"),
            ("open_per_s", "bids/s"),
            ("open_mib_s", "MiB/s"),
            ("open_ms_p50", "ms"),
            ("open_ms_p99", "ms"),
            ("raw_aesgcm_sha256_mib_s", "MiB/s"),
            ("ratio", "x"),
        ):
            name = key if key.startswith("raw") else f"{db}_{key}"
            figures.append({"metric": name, "value": r[key], "unit": unit})
    if "submission" in results:
        r = results["submission"]
        db = r["database"]
        for key, unit in (
            ("submissions_per_s", "bids/s"),
            ("mib_per_s", "MiB/s"),
            ("latency_ms_p50", "ms"),
            ("latency_ms_p99", "ms"),
            ("errors", "errors"),
        ):
            figures.append(
                {"metric": f"{db}_http_{r['clients']}clients_{key}", "value": r[key], "unit": unit}
            )
    write_result(
        "tendering",
        figures,
        {
            "bids": args.bids,
            "size": args.size,
            "submissions": args.submissions,
            "clients": args.clients,
            "workers": args.workers,
            "parts": args.parts,
            "opening_sequencer": args.opening_sequencer,
            "details": results,
        },
    )


if __name__ == "__main__":
    main()
