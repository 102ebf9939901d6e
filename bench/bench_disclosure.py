"""Disclosure portal figures on PostgreSQL with N notices (default 1,000,000): the portal list
page (first page, a filtered page, a deep keyset page) and Chinese search, served by gunicorn
on loopback and driven by a small thread + http.client load generator, next to a trivial page
on the same server in the same run (ratio target ≥ 0.5). "trivial" is the catalogue page: the same
base template, middleware and context processors as the portal pages, but no notice reads;
"trivial_json" (a static JSON answer) is printed for reference.

    .venv/bin/python bench/bench_disclosure.py [--notices 1000000] [--seconds 10] [--reuse]
        [--workers N (default 2 × cores + 1)] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from _common import fresh_postgres, setup_django, write_result

PLACES = [
    "白银市", "会宁县", "靖远县", "景泰县", "平川区", "白银区", "兰州市", "城关区", "七里河区",
    "安宁区", "西固区", "榆中县", "皋兰县", "永登县", "天水市", "秦州区", "麦积区", "武威市",
    "凉州区", "张掖市", "甘州区", "酒泉市", "肃州区", "嘉峪关市", "金昌市", "定西市", "陇西县",
    "平凉市", "庆阳市", "陇南市",
]  # fmt: skip
OBJECTS = [
    "城区道路改造", "中学教学楼", "污水处理厂", "供热管网", "老旧小区改造", "人民医院门诊楼",
    "农村饮水安全", "高标准农田建设", "黄河堤防加固", "体育中心", "公共租赁住房", "垃圾填埋场",
    "工业园区基础设施", "乡村公路", "幼儿园", "政务服务中心", "消防站", "图书馆", "雨污分流",
    "桥梁维修加固", "光伏电站", "风电场集电线路", "智慧城市平台", "医疗设备", "办公家具",
    "教学设备", "公交车辆", "路灯照明", "绿化景观", "地下综合管廊", "水库除险加固", "林草生态修复",
    "文化广场", "养老服务中心", "职业技术学院实训楼", "污泥处置", "天然气管道", "社区卫生服务站",
    "疾控中心实验室", "档案馆",
]  # fmt: skip
WORKS = ["施工", "监理", "勘察设计", "设备采购", "EPC总承包", "运营维护", "全过程造价咨询", "检测"]
STAGES = [
    ("tender_announcement", "招标公告", 40),
    ("clarification", "澄清或修改公告", 10),
    ("opening_record", "开标记录", 15),
    ("candidate_publicity", "中标候选人公示", 12),
    ("award_result", "中标结果公告", 12),
    ("contract", "合同公告", 6),
    ("termination", "终止公告", 2),
    ("failed", "流标公告", 3),
]
TRADE_TYPES = [
    ("works.open", 60),
    ("gp.open", 30),
    ("land.listing", 5),
    ("property.equity", 5),
]
REGIONS = [f"62{c:02d}{d:02d}" for c in range(1, 13) for d in range(1, 6)]
SEARCHES = ["会宁县污水处理厂", "城区道路改造施工", "黄河堤防加固", "智慧城市平台", "路灯"]


def generate(n: int, rng: random.Random):
    stage_names = [s for s, _, _ in STAGES]
    stage_weights = [w for _, _, w in STAGES]
    stage_label = {s: label for s, label, _ in STAGES}
    tt_names = [t for t, _ in TRADE_TYPES]
    tt_weights = [w for _, w in TRADE_TYPES]
    end = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    span = 3 * 365 * 86400
    stages = rng.choices(stage_names, stage_weights, k=n)
    tts = rng.choices(tt_names, tt_weights, k=n)
    for i in range(n):
        place, obj, work = rng.choice(PLACES), rng.choice(OBJECTS), rng.choice(WORKS)
        stage = stages[i]
        title = f"{place}{obj}项目{work}{stage_label[stage]}"
        text = (
            f"{place}{obj}项目已批准建设，资金已落实。本项目{work}内容包括{rng.choice(OBJECTS)}"
            f"及配套工程，标段编号 S{i:08d}。投标人应具备相应资质，近三年有类似业绩。"
        )
        published = end - dt.timedelta(seconds=rng.randrange(span))
        subject = f"E6204{i:012d}001"
        yield (
            f"bench:{i}",
            tts[i],
            stage,
            rng.choice(REGIONS),
            "",
            title,
            f"<p>{text}</p>",
            text,
            f"{title}\n{text}".lower(),
            published,
            subject,
            subject[:17],
            "",
            "bench",
            "{}",
        )


def load(n: int) -> float:
    from django.db import connection

    columns = (
        "key, trade_type, stage, region_code, industry, title, body_html, body_text, "
        "search_text, published_at, subject_code, project_code, public_url, source_app, facts"
    )
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("DROP INDEX IF EXISTS disclosure_notice_trgm")
        cur.execute("DROP INDEX IF EXISTS disclosure_notice_title_trgm")
    raw = connection.connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"COPY disclosure_notice ({columns}) FROM STDIN") as copy:
        for row in generate(n, random.Random(7)):
            copy.write_row(row)
    raw.commit()
    copied = time.perf_counter() - t
    print(f"copied {n} notices in {copied:.1f} s; building the trigram indexes …", flush=True)
    with connection.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute(
            "CREATE INDEX disclosure_notice_trgm ON disclosure_notice "
            "USING gin (search_text gin_trgm_ops)"
        )
        cur.execute(  # migration 0003: the title tier of search
            "CREATE INDEX disclosure_notice_title_trgm ON disclosure_notice "
            "USING gin (lower(title) gin_trgm_ops)"
        )
    with connection.cursor() as cur:  # outside a transaction: VACUUM sets the visibility map
        cur.execute("VACUUM (ANALYZE) disclosure_notice")
    return time.perf_counter() - t


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ggzy.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
        ],
        env=env,
        cwd=str(Path(__file__).resolve().parents[1]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    end = time.monotonic() + 30
    while time.monotonic() < end:
        try:
            get(port, "/notices/catalogue.json")
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


Run = tuple[list[float], int, float]  # latencies (s), errors, elapsed (s)


def drive(port: int, paths: list[str], seconds: float, concurrency: int) -> Run:
    """Closed loop: ``concurrency`` threads each issue requests back to back for ``seconds``."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        mine: list[float] = []
        bad = 0
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            status = get(port, rng.choice(paths))
            mine.append(time.perf_counter() - t0)
            bad += status != 200
        with lock:
            latencies.extend(mine)
            errors += bad

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return latencies, errors, time.perf_counter() - started


def merge(runs: list[Run]) -> dict[str, float]:
    """The rounds of one scenario as one: rate over the summed time, percentiles over all."""
    latencies = sorted(x for r in runs for x in r[0])
    elapsed = sum(r[2] for r in runs)
    return {
        "requests": len(latencies),
        "errors": sum(r[1] for r in runs),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notices", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(  # gunicorn's documented starting point: sync workers idle on I/O
        "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="serve the database a previous run loaded (settled caches, no autovacuum); "
        "writes disclosure_portal_settled.json",
    )
    args = parser.parse_args()
    url = (
        "postgres://postgres@127.0.0.1:5432/ggzy_bench_disclosure"
        if args.reuse
        else fresh_postgres("ggzy_bench_disclosure")
    )
    if url is None:
        raise SystemExit("PostgreSQL is not running on 127.0.0.1:5432")
    os.environ["DATABASE_URL"] = url
    vendor = setup_django()
    assert vendor == "postgresql"
    load_seconds = 0.0 if args.reuse else load(args.notices)
    print(f"loaded and indexed in {load_seconds:.1f} s", flush=True)

    from django.db import connection

    with connection.cursor() as cur:  # a keyset cursor deep into the list (page ~2,500)
        cur.execute(
            "SELECT published_at, id FROM disclosure_notice "
            "ORDER BY published_at DESC, id DESC OFFSET %s LIMIT 1",
            [min(50_000, args.notices // 2)],
        )
        when, pk = cur.fetchone()
    from base64 import urlsafe_b64encode

    deep = urlsafe_b64encode(f"{when.isoformat()}|{pk}".encode()).decode().rstrip("=")
    connection.close()

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    proc = serve(port, args.workers, env)
    q = urllib.parse.quote
    scenarios = {
        "trivial": ["/notices/catalogue/"],  # same base template and middleware, no notices
        "trivial_json": ["/notices/catalogue.json"],  # no template, no database
        "list": [
            "/notices/",
            "/notices/?trade_type=gp.open",
            "/notices/?stage=award_result&region=620301",
            f"/notices/?cursor={deep}",
        ],
        "search": [f"/search/?q={q(s)}" for s in SEARCHES],
    }
    results: dict[str, dict[str, float]] = {}
    try:
        for paths in scenarios.values():  # warm every worker's connections and caches
            for p in paths:
                for _ in range(args.workers):
                    assert get(port, p) == 200, p
        rounds: dict[str, list[Run]] = {name: [] for name in scenarios}
        for _ in range(2):  # interleaved rounds: background work hits every scenario alike
            for name, paths in scenarios.items():
                rounds[name].append(drive(port, paths, args.seconds / 2, args.concurrency))
        for name, runs in rounds.items():
            results[name] = merge(runs)
            r = results[name]
            print(
                f"{name:8s} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.1f} ms  "
                f"p99 {r['p99_ms']:7.1f} ms  ({r['requests']} requests, {r['errors']} errors)",
                flush=True,
            )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    figures = [{"metric": "load_and_index_s", "value": load_seconds, "unit": "s"}]
    for name, r in results.items():
        figures += [
            {"metric": f"{name}_rps", "value": r["rps"], "unit": "req/s"},
            {"metric": f"{name}_p50", "value": r["p50_ms"], "unit": "ms"},
            {"metric": f"{name}_p99", "value": r["p99_ms"], "unit": "ms"},
            {"metric": f"{name}_errors", "value": r["errors"], "unit": "requests"},
        ]
    for name in ("list", "search"):
        ratio = results[name]["rps"] / results["trivial"]["rps"]
        figures.append({"metric": f"{name}_to_trivial_ratio", "value": ratio, "unit": "x"})
    write_result(
        "disclosure_portal_settled" if args.reuse else "disclosure_portal",
        figures,
        {
            "notices": args.notices,
            "seconds_per_scenario": args.seconds,
            "concurrency": args.concurrency,
            "gunicorn_workers": args.workers,
            "database": vendor,
            "paths": json.loads(json.dumps(scenarios)),
            "load_generator": "threads + http.client (new connection per request), same machine",
        },
    )


if __name__ == "__main__":
    main()
