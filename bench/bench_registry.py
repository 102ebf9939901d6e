"""Registry figures: identifier checks, registrations through the service (with their ledger
entries) and signed verification-API lookups.

    .venv/bin/python bench/bench_registry.py [--orgs 2000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from _common import setup_django, write_result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orgs", type=int, default=2000)
    parser.add_argument("--lookups", type=int, default=1000)
    args = parser.parse_args()
    vendor = setup_django()

    from django.conf import settings
    from django.test import Client

    from ggzy.accounts import services as accounts
    from ggzy.registry import identifiers as ids
    from ggzy.registry import services as registry

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    rng = random.Random(1)
    bodies = ["91620402" + f"{rng.randrange(10**9):09d}" for _ in range(100_000)]
    codes = [ids.make_uscc(b) for b in bodies]
    t = time.perf_counter()
    assert all(ids.is_valid_uscc(c) for c in codes)
    uscc_rate = len(codes) / (time.perf_counter() - t)

    body = "62040219900101001"
    user = accounts.user_signup(
        username="bench",
        password="Bench#pass2026",  # noqa: S106,
        name="测试",
        id_type="01",
        id_number=body + ids.citizen_id_check_char(body),
    )
    t = time.perf_counter()
    registered = []
    for i in range(args.orgs):
        org = registry.organization_register(
            actor=user,
            uscc=codes[i],
            name=f"基准测试{i}有限公司",
            kind="enterprise",
            region_code="620402",
            legal_representative="甲",
            roles=["bidder"],
        )
        registered.append(org.uscc)
    reg_seconds = time.perf_counter() - t

    client = Client()
    latencies = []
    for _ in range(args.lookups):
        code = registered[rng.randrange(len(registered))]
        t0 = time.perf_counter()
        response = client.get(f"/api/v1/entities/{code}")
        latencies.append(time.perf_counter() - t0)
        assert response.status_code == 200
    latencies.sort()
    figures = [
        {"metric": "uscc_validations_per_s", "value": uscc_rate, "unit": "codes/s"},
        {"metric": "registrations_per_s", "value": args.orgs / reg_seconds, "unit": "orgs/s"},
        {
            "metric": "signed_profile_p50",
            "value": statistics.median(latencies) * 1000,
            "unit": "ms",
        },
        {
            "metric": "signed_profile_p99",
            "value": latencies[int(len(latencies) * 0.99)] * 1000,
            "unit": "ms",
        },
    ]
    write_result(
        "registry", figures, {"orgs": args.orgs, "lookups": args.lookups, "database": vendor}
    )


if __name__ == "__main__":
    main()
