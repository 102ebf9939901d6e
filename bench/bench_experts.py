"""Expert draw figures (专家随机抽取): 9 experts + 3 reserves from a pool of 100,000 with the
full avoidance checks against 30 bidders (+ tenderer and agency).

    .venv/bin/python bench/bench_experts.py [--pool 100000] [--runs 300] [--db-experts 300]

Figures:
* draw_p50/p99 — the pure ``draw/v1`` run on a loaded pool snapshot (new seed each run);
* verify_p50/p99 — the re-run that verify-draw performs (replay + commitment comparison);
* verify_from_snapshot — decode the stored snapshot, rebuild the index, re-hash it and
  replay (what ``ggzy experts verify-draw`` does end to end, minus the database read);
* snapshot_sha256 — hashing the canonical 100,000-record snapshot;
* eager_scan — every predicate on every candidate (for comparison: the draw evaluates the
  predicates lazily, only on the candidates its shuffle visits);
* service_request_run — ``draw_request`` + ``draw_run`` through the services on a database
  pool of ``--db-experts`` (snapshot, encryption, ledger entries, invitations).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import statistics
import time
from typing import Any

from _common import setup_django, write_result

PW = "Bench#pass2026"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))] * 1000


def build_pool(n: int, rng: random.Random, orgs: list[str]) -> list[Any]:
    from ggzy.experts import draw as d
    from ggzy.experts.specialties import classification

    leaves = [c for c in classification().items if len(c) == 5]
    regions = ["620402", "620403", "620421", "620422", "620423", "620102", "620103", "610113"]
    day = "2026-12-10"
    out = []
    for i in range(n):
        r = rng.random()
        out.append(
            d.Candidate(
                id=i + 1,
                specialties=tuple(sorted({rng.choice(leaves), rng.choice(leaves)})),
                region=rng.choice(regions),
                employer=rng.choice(orgs),
                status="suspended" if r < 0.02 else "penalised" if r < 0.03 else "active",
                penalty_until="2027-06-30" if 0.02 <= r < 0.03 else "",
                unavailable=(day,) if rng.random() < 0.05 else (),
                former_employers=((rng.choice(orgs), "2024-05-31"),) if rng.random() < 0.1 else (),
                relatives=(
                    (
                        hashlib.sha256(f"p{rng.randrange(50_000)}".encode()).hexdigest(),
                        rng.choice(orgs),
                    ),
                )
                if rng.random() < 0.1
                else (),
                interests=((rng.choice(orgs), "2025-12-31"),) if rng.random() < 0.03 else (),
                orgs=(rng.choice(orgs),) if rng.random() < 0.05 else (),
                person=hashlib.sha256(f"e{i}".encode()).hexdigest(),
                recent_draws=("2026-12-01",) * rng.randrange(5),
            )
        )
    return out


def pure_figures(args: argparse.Namespace) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from ggzy.experts import draw as d

    rng = random.Random(2026)
    orgs = [f"91620400MA{rng.randrange(10**8):08d}" for _ in range(20_000)]
    candidates = build_pool(args.pool, rng, orgs)
    t = time.perf_counter()
    pool = d.Pool(candidates)
    index_s = time.perf_counter() - t
    t = time.perf_counter()
    pool.digest()
    hash_s = time.perf_counter() - t
    bidders = rng.sample(orgs, 32)  # 30 bidders + tenderer + agency
    spec = d.DrawSpec(
        section="E6204000001001001",
        evaluation_date="2026-12-10",
        lines=(d.Line("A02", 5, 2), d.Line("A05", 2, 1), d.Line("C01", 2, 0)),
        regions_exclude=("6101",),
        party_orgs=tuple(bidders),
        party_persons=tuple(hashlib.sha256(f"p{i}".encode()).hexdigest() for i in range(300)),
        departments=("620400-01",),
    )
    draws, verifies, excluded = [], [], []
    for i in range(args.runs):
        seed = d.derive_seed(hashlib.sha256(str(i).encode()).digest(), spec.digest())
        t = time.perf_counter()
        result = d.run(spec, pool, seed)
        draws.append(time.perf_counter() - t)
        assert len(result.members) == 9 and len(result.reserves) == 3
        excluded.append(sum(result.excluded.values()))
        t = time.perf_counter()
        ok = d.replay(spec, pool, seed, [])[-1] == result.commitment
        verifies.append(time.perf_counter() - t)
        assert ok
    # end-to-end verification from the stored (canonical JSON) snapshot
    stored = d.canonical(pool.as_list())
    snap = []
    for _ in range(3):
        t = time.perf_counter()
        again = d.Pool.from_canonical(stored)
        assert again.digest() == pool.digest()
        d.replay(spec, again, seed, [])
        snap.append(time.perf_counter() - t)
    ctx = d.Context.of(spec)
    t = time.perf_counter()
    eligible = sum(1 for c in pool.candidates if d.exclusion(c, ctx) is None)
    eager_s = time.perf_counter() - t
    figures = [
        {"metric": "draw_p50", "value": pct(draws, 0.5), "unit": "ms"},
        {"metric": "draw_p99", "value": pct(draws, 0.99), "unit": "ms"},
        {"metric": "verify_p50", "value": pct(verifies, 0.5), "unit": "ms"},
        {"metric": "verify_p99", "value": pct(verifies, 0.99), "unit": "ms"},
        {
            "metric": "verify_from_snapshot_p50",
            "value": statistics.median(snap) * 1000,
            "unit": "ms",
        },
        {"metric": "snapshot_sha256", "value": hash_s * 1000, "unit": "ms"},
        {"metric": "snapshot_index_build", "value": index_s * 1000, "unit": "ms"},
        {"metric": "eager_scan_all_predicates", "value": eager_s * 1000, "unit": "ms"},
        {"metric": "eligible_in_pool", "value": eligible, "unit": "experts"},
        {
            "metric": "candidates_skipped_per_draw_p50",
            "value": statistics.median(excluded),
            "unit": "experts",
        },
    ]
    params = {
        "pool": args.pool,
        "runs": args.runs,
        "members": 9,
        "reserves": 3,
        "bidders": 30,
        "party_orgs": 32,
        "snapshot_bytes": len(stored),
    }
    return figures, params


def service_figures(n: int) -> list[dict[str, Any]]:
    """draw_request + draw_run through the services on a database pool of ``n`` experts."""
    from decimal import Decimal

    from django.conf import settings

    from ggzy import clock
    from ggzy.accounts import services as accounts
    from ggzy.experts import draws, services
    from ggzy.projects import services as projects
    from ggzy.registry import identifiers as ids
    from ggzy.registry import services as registry
    from ggzy.registry.models import Role, TradingCentre

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    rng = random.Random(5)
    seq = iter(range(1, 10**6))

    def cid() -> str:
        year = 80 + rng.randrange(20)
        body = (
            f"62040219{year:02d}0{1 + rng.randrange(9)}1{rng.randrange(10)}{next(seq) % 1000:03d}"
        )
        return body + ids.citizen_id_check_char(body)

    def uscc() -> str:
        body8 = f"{rng.randrange(10**8):08d}"
        return ids.make_uscc("91620402" + body8 + ids.org_code_check_char(body8))

    staff = accounts.user_signup(
        username="bstaff", password=PW, name="工作", id_type="01", id_number=cid()
    )
    accounts.centre_bootstrap_staff(user=staff)
    centre = TradingCentre(code="620400", name="白银市公共资源交易中心", region_code="620400")
    registry.reference_data_saved(actor=staff, obj=centre, changed=[], created=True)
    registry.membership_grant(
        actor=staff, person=staff.person, role=Role.CENTRE_STAFF, centre=centre
    )
    staff.__dict__.pop("_ggzy_roles", None)
    from django.core.management import call_command

    call_command("rules", "load", "--as", staff.username, verbosity=0)
    tenderer_org = registry.organization_register(
        actor=staff,
        uscc=uscc(),
        name="基准招标人有限公司",
        kind="enterprise",
        region_code="620402",
        legal_representative="甲",
        roles=["tenderer"],
    )
    project = projects.project_register(
        actor=staff,
        centre=centre,
        name="基准项目",
        region_code="620402",
        legal_person=tenderer_org,
        budget=Decimal("1000000"),
        approval_number="基准〔2026〕1号",
    )
    tp = projects.tender_project_create(
        actor=staff,
        project=project,
        name="基准招标项目",
        trade_type_code="works.open",
        tenderer=tenderer_org,
    )
    section = projects.section_create(
        actor=staff, tender_project=tp, name="一标段", estimated_price=Decimal("900000")
    )
    codes = ["A0201", "A0202", "A0501", "C0101"]
    employers = [uscc() for _ in range(max(n // 3, 20))]
    for i in range(n):
        user = accounts.user_signup(
            username=f"bx{i}",
            password=PW,
            name=f"专家{i}",
            id_type="01",
            id_number=cid(),
        )
        registry.membership_grant(actor=staff, person=user.person, role=Role.EXPERT)
        services.expert_register(
            actor=staff,
            user=user,
            specialties=[codes[i % 4], codes[(i + 1) % 4]],
            region_code="620402",
            employer_uscc=employers[i % len(employers)],
            employer_name="单位",
            title="senior",
            years=10,
            home_centre=centre,
        )
    bidders = [uscc() for _ in range(30)]
    times = []
    for k in range(5):
        start = clock.now() + dt.timedelta(days=3 + k)
        t = time.perf_counter()
        req = draws.draw_request(
            actor=staff,
            section=section,
            evaluation_start=start,
            extra_party_usccs=bidders,
            lines=[
                {"specialty": "A02", "count": 5, "reserves": 2},
                {"specialty": "A05", "count": 2, "reserves": 1},
                {"specialty": "C01", "count": 2, "reserves": 0},
            ],
        )
        draws.draw_run(actor=staff, request=req)
        times.append(time.perf_counter() - t)
        draws.draw_cancel(actor=staff, request=req, reason="基准测试")  # one live draw per section
    return [
        {
            "metric": "service_request_run_p50",
            "value": statistics.median(times) * 1000,
            "unit": "ms",
        },
        {"metric": "service_pool_size", "value": n, "unit": "experts"},
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pool", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--db-experts", type=int, default=300)
    args = parser.parse_args()
    vendor = setup_django()
    figures, params = pure_figures(args)
    if args.db_experts:
        figures += service_figures(args.db_experts)
    params["database"] = vendor
    params["db_experts"] = args.db_experts
    write_result("experts_draw", figures, params)


if __name__ == "__main__":
    main()
