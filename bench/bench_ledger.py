"""Evidence-ledger figures (issue: 区块链存证).

    .venv/bin/python bench/bench_ledger.py [--million 1000000] [--databases sqlite,postgres]

For each database (a fresh SQLite file; a fresh PostgreSQL database on 127.0.0.1 when
reachable) in a child process:
  * durable appends/s through the public ``ggzy.ledger.record`` path at 1, 16 and 256 entries
    per transaction, and the sequencer's integration rate (leaves/s, incl. tree nodes and a
    signed checkpoint per batch); side by side, pymerkle 7's SqliteTree appending the same
    leaf data in the same batches (and computing the root per batch) — ratio ours/pymerkle;
  * latency from ``record`` to a signed checkpoint (inline sequencer), p50/p99;
and once on SQLite: a log of --million entries, with resident memory sampled while it grows,
then inclusion-proof generation/verification time and bytes at that size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def rss_mib() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(database: str, million: int) -> dict[str, Any]:
    os.environ["GGZY_LEDGER_SEQUENCER"] = "worker"
    os.environ["GGZY_LEDGER_SAFETY_SECONDS"] = "0"
    sys.path.insert(0, str(HERE))
    from _common import setup_django

    vendor = setup_django()
    from django.conf import settings
    from django.db import transaction

    from ggzy import ledger
    from ggzy.ledger import merkle, proofs
    from ggzy.ledger.models import Entry
    from ggzy.ledger.sequencer import integrate, leaf_data

    def drain(batch: int) -> int:
        total = 0
        while done := integrate(max_batch=batch):
            total += done
        return total

    out: dict[str, Any] = {"database": vendor, "throughput": []}
    seq = 0
    for b in (1, 16, 256):
        n = 2048 if b == 1 else 20480
        t0 = time.perf_counter()
        for _ in range(0, n, b):
            with transaction.atomic():
                for _ in range(b):
                    seq += 1
                    ledger.record(
                        "bench:entry:added",
                        ("bench.entry", str(seq)),
                        "system:bench",
                        {"n": seq, "uscc": "91620402MA0000000X", "amount": "1250000.00"},
                    )
        t_record = time.perf_counter() - t0
        t0 = time.perf_counter()
        integrated = drain(256)
        t_integrate = time.perf_counter() - t0
        row = {
            "batch": b,
            "entries": n,
            "record_per_s": n / t_record,
            "integrate_per_s": integrated / t_integrate,
            "durable_logged_per_s": n / (t_record + t_integrate),
        }
        if vendor == "sqlite":
            row["pymerkle_per_s"] = _pymerkle(
                [leaf_data(e) for e in Entry.objects.order_by("-id")[:n]][::-1], b
            )
            row["ratio_ours_over_pymerkle"] = row["durable_logged_per_s"] / row["pymerkle_per_s"]
        out["throughput"].append(row)

    settings.GGZY_LEDGER_SEQUENCER = "inline"
    latencies = []
    for _ in range(500):
        seq += 1
        t0 = time.perf_counter()
        with transaction.atomic():
            ledger.record("bench:entry:added", ("bench.entry", str(seq)), "system:bench", {})
        latencies.append(time.perf_counter() - t0)  # commit + integration + signed checkpoint
    assert proofs.latest_checkpoint().size == Entry.objects.count()
    latencies.sort()
    out["record_to_checkpoint_ms"] = {
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
    }
    settings.GGZY_LEDGER_SEQUENCER = "worker"
    if vendor == "sqlite":
        out["record_to_cosigned_ms"] = _cosigned_latency(settings, seq)
        seq += 200

    if million and vendor == "sqlite":
        samples = []
        start_rss = rss_mib()
        next_mark = 100_000
        t0 = time.perf_counter()
        while seq < million:
            with transaction.atomic():
                for _ in range(min(256, million - seq)):
                    seq += 1
                    ledger.record(
                        "bench:entry:added", ("bench.entry", str(seq)), "system:bench", {"n": seq}
                    )
            if seq % 4096 == 0 or seq == million:
                drain(4096)
            if seq >= next_mark:
                samples.append({"entries": seq, "rss_mib": rss_mib()})
                next_mark += 100_000
        build_s = time.perf_counter() - t0
        size = proofs.tree_size()
        rng = random.Random(1)
        root = bytes(proofs.latest_checkpoint().root_hash)
        gen, ver, sizes = [], [], []
        leaf_hashes = {}
        indexes = [rng.randrange(size) for _ in range(1000)]
        from ggzy.ledger.models import LogLeaf

        for leaf in LogLeaf.objects.filter(index__in=indexes):
            leaf_hashes[leaf.index] = bytes(leaf.leaf_hash)
        for index in indexes:
            t = time.perf_counter()
            proof = proofs.inclusion(index, size)
            gen.append(time.perf_counter() - t)
            t = time.perf_counter()
            merkle.verify_inclusion(leaf_hashes[index], index, size, proof, root)
            ver.append(time.perf_counter() - t)
            sizes.append(32 * len(proof))
        receipt = proofs.receipt(LogLeaf.objects.get(index=indexes[0]).entry).to_bytes()
        out["million"] = {
            "entries": size,
            "build_seconds": build_s,
            "rss_start_mib": start_rss,
            "rss_samples": samples,
            "rss_growth_100k_to_end_mib": samples[-1]["rss_mib"] - samples[0]["rss_mib"],
            "inclusion_gen_us_p50": statistics.median(gen) * 1e6,
            "inclusion_gen_us_p99": sorted(gen)[989] * 1e6,
            "inclusion_verify_us_p50": statistics.median(ver) * 1e6,
            "inclusion_proof_bytes": max(sizes),
            "receipt_bytes": len(receipt),
        }
    return out


def _cosigned_latency(settings: Any, seq: int) -> dict[str, float]:
    """record → integrate → 2-of-3 cosigned checkpoint, with three real witness processes."""
    from django.db import transaction

    from ggzy import ledger
    from ggzy.ledger import keys
    from ggzy.ledger.cosign import cosign_latest
    from ggzy.ledger.sequencer import integrate
    from ggzy.ledger.witness_server import KnownLog, generate_key_file, write_config

    tmp = Path(tempfile.mkdtemp(prefix="ggzy-bench-witness-"))
    procs, lines = [], []
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    for i in range(3):
        d = tmp / f"w{i}"
        d.mkdir()
        generate_key_file(f"bench.witness{i}", d / "w.skey")
        write_config(
            d / "w.toml",
            key_file=str(d / "w.skey"),
            state_db=str(d / "s.db"),
            listen="127.0.0.1:0",
            logs=[KnownLog(keys.origin(), (keys.verifier_key(),))],
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "ggzy.ledger.witness_server", "--config", str(d / "w.toml")],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        vkey = proc.stdout.readline().split()[-1]  # "witness vkey <vkey>"
        url = proc.stdout.readline().split()[-1]  # "listening on <url>"
        procs.append(proc)
        lines.append(f"witness w{i} {vkey} {url}\n")
    policy = tmp / "witnesses.policy"
    policy.write_text("".join(lines) + "quorum 2\n")
    settings.GGZY_WITNESS_POLICY = str(policy)
    samples = []
    try:
        for _ in range(200):
            seq += 1
            t0 = time.perf_counter()
            with transaction.atomic():
                ledger.record("bench:entry:added", ("bench.entry", str(seq)), "system:bench", {})
            integrate()
            result = cosign_latest()
            assert result is not None and result.policy_met
            samples.append(time.perf_counter() - t0)
    finally:
        settings.GGZY_WITNESS_POLICY = ""
        for proc in procs:
            proc.terminate()
            proc.wait()
    samples.sort()
    return {"p50": statistics.median(samples) * 1000, "p99": samples[197] * 1000}


def _pymerkle(leaves: list[bytes], batch: int) -> float:
    from pymerkle import SqliteTree

    with tempfile.TemporaryDirectory() as tmp:
        tree = SqliteTree(str(Path(tmp) / "pymerkle.db"))
        t0 = time.perf_counter()
        for i in range(0, len(leaves), batch):
            tree.append_entries(leaves[i : i + batch], chunksize=batch)
            tree.get_state()  # the root after each batch, as our checkpoint has
        elapsed = time.perf_counter() - t0
        tree.close()
    return len(leaves) / elapsed


def main() -> None:
    from _common import fresh_postgres

    parser = argparse.ArgumentParser()
    parser.add_argument("--million", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.million)))
        return
    results = []
    for db in args.databases.split(","):
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        if db == "postgres":
            url = fresh_postgres("ggzy_bench_ledger")
            if url is None:
                print("PostgreSQL not reachable on 127.0.0.1:5432; skipped")
                continue
            env["DATABASE_URL"] = url
        env["GGZY_DATA_DIR"] = tempfile.mkdtemp(prefix=f"ggzy-bench-ledger-{db}-")
        done = subprocess.run(
            [sys.executable, __file__, "--child", db, "--million", str(args.million)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))

    sys.path.insert(0, str(HERE))
    from _common import write_result

    figures = []
    for r in results:
        db = r["database"]
        for row in r["throughput"]:
            b = row["batch"]
            figures.append(
                {
                    "metric": f"{db}_record_per_s_batch{b}",
                    "value": row["record_per_s"],
                    "unit": "entries/s",
                }
            )
            figures.append(
                {
                    "metric": f"{db}_integrate_per_s_batch{b}",
                    "value": row["integrate_per_s"],
                    "unit": "leaves/s",
                }
            )
            figures.append(
                {
                    "metric": f"{db}_durable_logged_per_s_batch{b}",
                    "value": row["durable_logged_per_s"],
                    "unit": "entries/s",
                }
            )
            if "pymerkle_per_s" in row:
                figures.append(
                    {
                        "metric": f"pymerkle_sqlite_per_s_batch{b}",
                        "value": row["pymerkle_per_s"],
                        "unit": "entries/s",
                    }
                )
                figures.append(
                    {
                        "metric": f"ratio_ours_over_pymerkle_batch{b}",
                        "value": row["ratio_ours_over_pymerkle"],
                        "unit": "x",
                    }
                )
        for k, v in r["record_to_checkpoint_ms"].items():
            figures.append({"metric": f"{db}_record_to_checkpoint_{k}", "value": v, "unit": "ms"})
        for k, v in r.get("record_to_cosigned_ms", {}).items():
            figures.append(
                {"metric": f"{db}_record_to_2of3_cosigned_{k}", "value": v, "unit": "ms"}
            )
        if "million" in r:
            m = r["million"]
            for k in (
                "build_seconds",
                "rss_start_mib",
                "rss_growth_100k_to_end_mib",
                "inclusion_gen_us_p50",
                "inclusion_gen_us_p99",
                "inclusion_verify_us_p50",
                "inclusion_proof_bytes",
                "receipt_bytes",
            ):
                figures.append({"metric": f"{db}_{m['entries']}_{k}", "value": m[k], "unit": k})
            print("RSS samples:", m["rss_samples"])
    write_result("ledger", figures, {"million": args.million, "databases": args.databases})


if __name__ == "__main__":
    main()
