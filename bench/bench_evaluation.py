"""Evaluation figures (评标): scoring and ranking one tender of ``--bids`` bids scored by
``--experts`` experts on ``--criteria`` criteria (default 500 × 9 × 40 = 180,000 scores).

    .venv/bin/python bench/bench_evaluation.py [--bids 500] [--experts 9] [--criteria 40]

* ``pure``: the scoring plug-ins alone (no Django): deviation-rate price scores with a drawn K,
  per-criterion means over the experts (dropping max/min at ≥ 7 experts), totals and ranking.
* ``db``: the full path on a database (SQLite, or DATABASE_URL's PostgreSQL): a tender opened
  through the real services (sealed bids, custodian decryption — setup, not timed), then timed:
  every expert's score sheet for every bid through ``scores.scores_set`` (one ledger entry
  per sheet), and the advance through price score, totals, ranking and report (reading the
  scores back, storing price scores, totals, ranks and the hashed report).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from _common import setup_django, write_result

HERE = Path(__file__).resolve().parent


def template(criteria: int) -> dict[str, Any]:
    per = Decimal(40) / criteria
    return {
        "code": "bench",
        "version": "1",
        "name": "bench",
        "method": "comprehensive_scoring",
        "price": {
            "formula": "deviation/v1",
            "s_max": "60",
            "e1": "1",
            "e2": "0.5",
            "k_choices": ["0", "0.01", "0.02"],
        },
        "drop_extremes_min": 7,
        "criteria": [
            {
                "code": f"C{i:02d}",
                "name": f"评分项{i}",
                "group": "technical",
                "max": str(per.quantize(Decimal("0.01"))),
            }
            for i in range(criteria)
        ],
    }


def pure(bids: int, experts: int, criteria: int, rng: random.Random) -> dict[str, float]:
    from ggzy.evaluation.scoring import aggregate, price
    from ggzy.evaluation.scoring.template import parse_template

    tpl = parse_template(template(criteria))
    prices = {
        f"b{i}": Decimal(rng.randrange(2_700_000_000, 2_950_000_000)) / 100 for i in range(bids)
    }
    scores = {
        b: {
            c.code: [Decimal(rng.randrange(0, int(c.max * 100) + 1)) / 100 for _ in range(experts)]
            for c in tpl.criteria
        }
        for b in prices
    }
    t0 = time.perf_counter()
    k, _digest = price.k_draw("checkpoint:1:" + "00" * 32, "tender:1", tpl.k_choices)
    result = price.deviation_scores(prices, tpl.deviation_params(k))
    _items, totals = aggregate.score_matrix_totals(
        scores, tpl.weights, result.scores, drop_extremes_min=tpl.drop_extremes_min
    )
    ranked = aggregate.rank(totals, prices, {b: i for i, b in enumerate(prices)})
    elapsed = time.perf_counter() - t0
    assert len(ranked) == bids
    return {"pure_s": elapsed}


def package(amount: str) -> bytes:
    from ggzy.bidkit.package import build_package
    from ggzy.bidkit.pricing import parse_price_form

    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / "technical.pdf"
        doc.write_bytes(b"%PDF-1.7 " + os.urandom(64))
        out = Path(tmp) / "bid.zip"
        build_package(
            out,
            files=[doc],
            price_form=parse_price_form(
                {
                    "price_form": 1,
                    "amount": amount,
                    "price_unit": 0,
                    "duration_days": 365,
                    "quality": "合格",
                }
            ),
        )
        return out.read_bytes()


def db_path(bids: int, experts: int, criteria: int, rng: random.Random) -> dict[str, float]:
    sys.path.insert(0, str(HERE))
    from django.test import override_settings

    from bench_tendering import Setup
    from ggzy import clock
    from ggzy.evaluation import compute, scores, services
    from ggzy.evaluation.models import Score
    from ggzy.registry import services as registry
    from ggzy.registry.models import Role
    from ggzy.tendering import bids as bidsvc
    from ggzy.tendering import keyshare, opening
    from ggzy.tendering.models import CustodianShare

    t0 = time.perf_counter()
    world = Setup(bids)
    for user, org, signing in world.bidders:
        amount = f"{rng.randrange(2_700_000_000, 2_950_000_000) / 100:.2f}"
        data = world.seal(package(amount), org, signing)
        up = bidsvc.upload_start(
            actor=user,
            tender=world.tender,
            bidder=org,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            chunk_size=8 << 20,
        )
        bidsvc.upload_chunk(
            actor=user, upload=up, index=0, data=data, sha256=hashlib.sha256(data).hexdigest()
        )
        bidsvc.upload_complete(actor=user, upload=up)
    tender = world.tender
    with clock.frozen(tender.bid_deadline + dt.timedelta(seconds=5)):
        opening.opening_start(actor=world.staff, tender=tender)
        for role in ("centre", "supervisor"):
            share = CustodianShare.objects.get(tender=tender, role=role)
            plain = keyshare.open_sealed_share(
                bytes(share.wrapped_share), world.custodian_keys[role]
            )
            bidsvc.share_release(actor=world.custodians[role], share=share, plaintext_share=plain)
        opening.custodian_decrypt_all(actor=world.staff, tender=tender)
        opening.opening_record(actor=world.staff, tender=tender)
        opening.opening_close(actor=world.staff, tender=tender)
    tender.refresh_from_db()
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        panel = []
        for i in range(experts):
            u = world.signup(f"expert{i}", f"专家{i}")
            registry.membership_grant(actor=world.staff, person=u.person, role=Role.EXPERT)
            u.__dict__.pop("_ggzy_roles", None)
            panel.append(u)
    setup_s = time.perf_counter() - t0
    session = services.evaluation_start(
        actor=world.staff, tender=tender, template=template(criteria)
    )
    members = services.committee_form(actor=world.staff, session=session, experts=panel)
    for m in members:
        services.chair_vote(actor=m.user, session=session, candidate=members[0])
    for step in ("qualification", "preliminary", "detailed"):
        services.session_advance(actor=world.staff, session=session, to=step)
    tpl = compute.template_of(session)
    reviews = list(session.reviews.filter(rejected=False))
    sheets = [
        (
            m,
            r,
            {
                c.code: str(Decimal(rng.randrange(0, int(c.max * 100) + 1)) / 100)
                for c in tpl.criteria
            },
        )
        for m in members
        for r in reviews
    ]
    # (a) one sheet per call, as the workspace submits them: the first expert's sheets
    first = [x for x in sheets if x[0].pk == members[0].pk]
    t0 = time.perf_counter()
    for m, r, sheet in first:
        scores.scores_set(actor=m.user, review=r, scores=sheet, submit=True)
    single_s = time.perf_counter() - t0
    # (b) the other experts submit all their sheets at once (one transaction each)
    t0 = time.perf_counter()
    for m in members[1:]:
        mine = [(r, sheet) for mm, r, sheet in sheets if mm.pk == m.pk]
        scores.scores_set_many(actor=m.user, session=session, sheets=mine, submit=True)
    many_s = time.perf_counter() - t0
    store_s = single_s + many_s
    assert Score.objects.count() == len(members) * len(reviews) * criteria
    t0 = time.perf_counter()
    for step in ("price", "totals", "ranking", "report"):
        services.session_advance(actor=world.staff, session=session, to=step)
    compute_s = time.perf_counter() - t0
    session.refresh_from_db()
    assert len(session.report["candidates"]) == 3
    return {
        "setup_s": setup_s,
        "store_scores_s": store_s,
        "sheets": len(sheets),
        "single_sheet_ms": single_s / len(first) * 1000,
        "many_per_expert_s": many_s / (len(members) - 1),
        "compute_rank_report_s": compute_s,
        "valid_bids": len(reviews),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bids", type=int, default=500)
    parser.add_argument("--experts", type=int, default=9)
    parser.add_argument("--criteria", type=int, default=40)
    parser.add_argument("--skip-db", action="store_true")
    args = parser.parse_args()
    vendor = setup_django()
    rng = random.Random(5)
    runs = sorted(pure(args.bids, args.experts, args.criteria, rng)["pure_s"] for _ in range(5))
    figures = [
        {"metric": "pure scoring+ranking (median of 5)", "value": runs[2] * 1000, "unit": "ms"},
        {"metric": "pure scoring+ranking (min of 5)", "value": runs[0] * 1000, "unit": "ms"},
    ]
    params: dict[str, Any] = {
        "bids": args.bids,
        "experts": args.experts,
        "criteria": args.criteria,
        "scores": args.bids * args.experts * args.criteria,
        "database": vendor,
    }
    if not args.skip_db:
        d = db_path(args.bids, args.experts, args.criteria, rng)
        figures += [
            {
                "metric": "db store all score sheets",
                "value": d["store_scores_s"],
                "unit": "s",
            },
            {
                "metric": "db one sheet per call (scores_set)",
                "value": d["single_sheet_ms"],
                "unit": "ms",
            },
            {
                "metric": "db one expert's sheets in one call (scores_set_many)",
                "value": d["many_per_expert_s"],
                "unit": "s",
            },
            {
                "metric": "db price+totals+ranking+report",
                "value": d["compute_rank_report_s"],
                "unit": "s",
            },
            {
                "metric": "db total (store + compute)",
                "value": d["store_scores_s"] + d["compute_rank_report_s"],
                "unit": "s",
            },
        ]
        params.update(
            setup_s=round(d["setup_s"], 1), sheets=d["sheets"], valid_bids=d["valid_bids"]
        )
    write_result(f"evaluation_{vendor}", figures, params)


if __name__ == "__main__":
    main()
