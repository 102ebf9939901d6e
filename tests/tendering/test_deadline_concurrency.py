"""200 concurrent submissions around the deadline: every accepted bid has a receipt time
before the deadline, none after; every refusal is the deadline rule. PostgreSQL only (real
concurrent connections; SQLite test databases are shared in-memory connections)."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from tests.factories import make_org, signup

from ggzy import clock
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.crypto.suites import INTL
from ggzy.registry import services as registry
from ggzy.rules import selectors as rules
from ggzy.tendering import bids
from ggzy.tendering.models import Bid, BidStatus

SUBMISSIONS = 200
WORKERS = 50
BIDDERS = 40


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_around_the_deadline(tw, settings):
    settings.GGZY_LEDGER_SEQUENCER = "worker"  # integration is measured elsewhere; keep it fast
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent connections (CI runs this suite on it)")
    real_now = clock.now()
    deadline = real_now + dt.timedelta(minutes=1)
    # announced early enough that the 20-day bid period (run on past a holiday) ends by then
    start = min(
        deadline - dt.timedelta(days=21),
        rules.latest_start_for(rules.ruleset_for("works.open"), "bid_period_min_days", deadline),
    )
    with clock.frozen(start - dt.timedelta(minutes=1)):
        tender = tw.publish(start=start, deadline=deadline)
    # the deadline is now a few seconds ahead in real time
    deadline = tender.bid_deadline
    assert deadline - clock.now() > dt.timedelta(seconds=2)
    people = []
    for i in range(BIDDERS):
        user = signup(f"cb{i:03d}", "并发")
        org = make_org(user, ["bidder"], f"并发测试{i:03d}有限公司")
        key = INTL.generate_signing_key()
        registry.entity_key_register(
            actor=user, purpose="sign", public_key=key.public_key.to_text(), organization=org
        )
        people.append((user, org, key))
    uploads = []
    for n in range(SUBMISSIONS):
        user, org, key = people[n % BIDDERS]
        data = tw.seal(f"bid {n}".encode(), bidder_ref=org.uscc, signing=key)
        up = bids.upload_start(
            actor=user,
            tender=tender,
            bidder=org,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            chunk_size=256 * 1024,
        )
        bids.upload_chunk(
            actor=user, upload=up, index=0, data=data, sha256=hashlib.sha256(data).hexdigest()
        )
        uploads.append((user, up))
    assert clock.now() < deadline, "setup took longer than the time left before the deadline"

    results: list[tuple[str, dt.datetime | None]] = []
    lock = threading.Lock()
    start_at = deadline.timestamp() - 0.6  # spread the completions over ±0.6 s around it

    def submit(k: int, user, upload) -> None:
        try:
            time.sleep(max(0.0, start_at + 1.2 * k / SUBMISSIONS - clock.now().timestamp()))
            try:
                bid = bids.upload_complete(actor=user, upload=upload)
                outcome = ("accepted", bid.received_at)
            except DomainError as exc:
                outcome = (exc.code.value, None)
            with lock:
                results.append(outcome)
        finally:
            connection.close()

    # at most WORKERS connections at once (PostgreSQL's default max_connections is 100)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for k, (u, up) in enumerate(uploads):
            pool.submit(submit, k, u, up)
    assert len(results) == SUBMISSIONS
    accepted = [at for kind, at in results if kind == "accepted"]
    refused = [kind for kind, at in results if kind != "accepted"]
    assert set(refused) <= {ErrorCode.BID_DEADLINE_PASSED.value}
    assert accepted, "no submission landed before the deadline"
    assert refused, "no submission came after the deadline"
    assert all(at is not None and at < deadline for at in accepted)
    stored = Bid.objects.filter(tender=tender)
    assert stored.count() == len(accepted)
    assert all(b.received_at < deadline for b in stored)
    live = stored.filter(status=BidStatus.SUBMITTED)
    assert live.count() == len({b.bidder_id for b in stored})  # one live bid per bidder
